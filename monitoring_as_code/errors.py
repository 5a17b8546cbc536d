"""The errors a user sees, each printed as one line with its exit code (cli.py): where (file),
what (object) and why."""

from __future__ import annotations


class DefinitionError(Exception):
    """Bad input: a definition, a settings file or a generated file that fails a check, or an
    environment mac cannot work in (a read-only tree, a full disk, a tool that timed out).

    Printed by the CLI as one line, ``error: FILE: OBJECT: MESSAGE``, with exit code 2.
    """

    def __init__(self, message: str, *, obj: str = "", file: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.obj = obj
        self.file = file
        self.details = ""  # a tool's full output, printed below the one-line error

    def located(self, *, file: str = "", obj: str = "") -> DefinitionError:
        """Fill in the file or the object where the raiser did not know them."""
        if not self.file:
            self.file = file
        if not self.obj:
            self.obj = obj
        return self

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.obj, self.message) if p]
        return ": ".join(parts)


class ToolError(Exception):
    """A required external tool is missing or failed to run at all (not a validation finding)."""


class Interrupted(KeyboardInterrupt):
    """A signal that ends a run (Ctrl-C's SIGINT, or SIGTERM, SIGHUP, SIGQUIT), raised where the
    run is: told apart from a definition raising KeyboardInterrupt, which is bad input like any
    other exception it raises."""

    def __init__(self, signum: int = 2) -> None:  # SIGINT
        super().__init__(signum)
        self.signum = signum
