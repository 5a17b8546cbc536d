"""The bad-input corpus: every broken definition or settings file under tests/bad_inputs/ must
stop `mac generate` with exit 2 and one line naming the file, the object and the problem, and
leave generated/ byte for byte as it was.

A case is a YAML file: `file` (relative to the project), then either `replace: [old, new]` (one
edit of the real file), `content` / `content_hex` (the whole file), `symlink` (the file becomes a
symlink to this target) or `directory: true` (a folder of that name); `also`, a list of further
edits in the same form; and `error`, a substring the one-line message must contain (`{line}` and
`{line+N}` stand for the line the replaced text starts on and N below it, `{line:TEXT}` for the
line TEXT first starts on). Settings cases edit the test profile (tests/profile.yaml), which the
project copy uses. `profile` picks the RAT profile first (the definition edited may serve only that
one); a case may consist of `profile` alone. `files` (relative path -> text) are written into the
project first: what the edited file points at, such as RAT's compose file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import MacRunner, set_profile, tree_bytes

CASES = sorted((Path(__file__).parent / "bad_inputs").glob("*.yaml"))


def line_of(text: str, needle: str) -> int:
    """The 1-based line on which `needle` starts in `text`."""
    return text[: text.index(needle)].count("\n") + 1


def expected_error(root: Path, case: dict[str, Any]) -> str:
    """The case's error, with `{line}` / `{line+N}` (where its replaced text starts, and N lines
    below) and `{line:TEXT}` (where TEXT first starts) read from the file before the change, so a
    new setting above them moves nothing."""
    error: str = case["error"]
    if "replace" not in case:
        return error
    text = (root / case["file"]).read_text()
    replaced = line_of(text, case["replace"][0])
    error = re.sub(r"\{line(?:\+(\d+))?\}", lambda m: str(replaced + int(m.group(1) or 0)), error)
    return re.sub(r"\{line:([^}]+)\}", lambda m: str(line_of(text, m.group(1))), error)


def apply_case(root: Path, case: dict[str, Any]) -> None:
    if "profile" in case:
        set_profile(root, case["profile"])
    for relative, text in case.get("files", {}).items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    if "file" not in case:
        return
    target = root / case["file"]
    for other in case.get("also", []):
        apply_case(root, other)
    if "symlink" in case:
        target.symlink_to(case["symlink"])
    elif case.get("directory"):
        target.mkdir()
    elif "replace" in case:
        old, new = case["replace"]
        text = target.read_text()
        assert old in text, f"case is stale: {old!r} not in {case['file']}"
        target.write_text(text.replace(old, new, 1))
    elif "content_hex" in case:
        target.write_bytes(bytes.fromhex(case["content_hex"]))
    else:
        target.write_text(case["content"])


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case_file", CASES, ids=[c.stem for c in CASES])
def test_bad_input_is_refused_and_nothing_is_lost(project: Path, mac: MacRunner, case_file: Path) -> None:
    case = yaml.safe_load(case_file.read_text())
    before = tree_bytes(project / "generated")
    error = expected_error(project, case)
    apply_case(project, case)

    result = mac(project, "generate")

    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    message = lines[0].replace(str(project) + "/", "")
    assert error in message
    assert tree_bytes(project / "generated") == before
