"""generated/ as a git revision has it, extracted into a folder (`git archive`), and the default
revision: the merge base of HEAD with the default branch: origin/HEAD, else origin/main or
origin/master (a CI checkout has those without origin/HEAD), else the local main or master."""

from __future__ import annotations

import tarfile
from pathlib import Path

from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.validate.tools import run

DEFAULT_BRANCHES = (
    "refs/remotes/origin/HEAD",
    "refs/remotes/origin/main",
    "refs/remotes/origin/master",
    "refs/heads/main",
    "refs/heads/master",
)


def _git(root: Path, *args: str) -> tuple[int, str]:
    result = run("git", list(args), root, file=str(root))
    return result.returncode, (result.stdout or result.stderr).strip()


def _commit(root: Path, revision: str) -> str | None:
    code, out = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}")
    return out if code == 0 else None


def default_base(root: Path) -> tuple[str, str]:
    """(commit, how it was chosen) of the merge base of HEAD with the default branch."""
    for ref in DEFAULT_BRANCHES:
        if _commit(root, ref) is None:
            continue
        branch = ref.removeprefix("refs/remotes/").removeprefix("refs/heads/")
        code, out = _git(root, "merge-base", "HEAD", ref)
        if code == 0:
            return out, f"merge base of HEAD and {branch}"
        _, shallow = _git(root, "rev-parse", "--is-shallow-repository")
        if shallow == "true":
            raise DefinitionError(
                f"this clone is shallow and lacks the merge base of HEAD and {branch}: "
                f"fetch it with `git fetch --unshallow` (or `git fetch --deepen=200`), or give a REVISION",
                file=str(root),
            )
        raise DefinitionError(f"HEAD and {branch} have no common commit; give a REVISION", file=str(root))
    raise DefinitionError(
        "no default branch (origin/HEAD, origin/main, origin/master, main or master) to take the merge base with: "
        "fetch it (`git fetch origin main`) or give a REVISION",
        file=str(root),
    )


def extract(root: Path, revision: str | None, into: Path) -> str:
    """generated/ of `revision` (default: default_base) under the project `root`, extracted into
    `into`; returns how to name that side in the report."""
    code, inside = _git(root, "rev-parse", "--is-inside-work-tree")
    if code != 0 or inside != "true":
        raise DefinitionError("is not in a git work tree; compare folders with --from DIR --to DIR", file=str(root))
    if revision is None:
        commit, how = default_base(root)
        label = f"{commit[:12]} ({how})"
    else:
        found = _commit(root, revision)
        if found is None:
            raise DefinitionError(f"{revision!r} is not a commit here (try `git log`, or fetch it)", file=str(root))
        commit, label = found, f"{revision} ({found[:12]})" if revision != found else found[:12]
    _, prefix = _git(root, "rev-parse", "--show-prefix")
    tree = f"{commit}:{prefix}generated"
    code, kind = _git(root, "cat-file", "-t", tree)
    if code != 0 or kind != "tree":
        raise DefinitionError(f"revision {label} has no {prefix}generated/ folder", file=str(root))
    archive = into.parent / f"{into.name}.tar"
    code, out = _git(root, "archive", "--format=tar", f"--output={archive}", tree)
    if code != 0:
        raise DefinitionError(f"git archive of {label} failed: {out}", file=str(root))
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    archive.unlink()
    return label
