"""The base of every model object: validated on construction, and named in the errors it raises."""

from __future__ import annotations

from typing import Any

from monitoring_as_code.errors import DefinitionError


class Checked:
    """Runs `_check()` after construction and names the object in any error it raises."""

    kind = "object"

    def __attrs_post_init__(self) -> None:
        try:
            self._check()
        except (ValueError, TypeError) as exc:
            raise DefinitionError(str(exc), obj=self.label) from exc
        except DefinitionError as exc:
            exc.located(obj=self.label)
            raise

    @property
    def label(self) -> str:
        return f"{self.kind} {getattr(self, 'name', '?')}"

    def _check(self) -> None:
        raise NotImplementedError

    def _set(self, field: str, value: Any) -> None:
        object.__setattr__(self, field, value)
