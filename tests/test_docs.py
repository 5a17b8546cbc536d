"""The README is a front page and the docs hold together: the README is at most 300 lines and links
every page of docs/; every relative link of the README and the docs names a file (and a heading)
that exists; every `mac` command and option they show is one `mac --help` lists; every `make`
target they name is one the Makefile has."""

from __future__ import annotations

import functools
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

README = REPO / "README.md"
PAGES = (README, *sorted((REPO / "docs").glob("*.md")))
MAX_README_LINES = 300

_FENCE = re.compile(r"^( *)```([\w-]*)\n(.*?)^\1```$", re.MULTILINE | re.DOTALL)
_INLINE = re.compile(r"(`+)(.+?)\1")
_LINK = re.compile(r"(?<!!)\[[^\]]+\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6} (.+)$", re.MULTILINE)
_SHELL_SEPARATORS = re.compile(r"&&|\|\||[;|&]")
_SHELL_BLOCKS = ("sh", "bash", "shell", "console")


def _prose(text: str) -> str:
    """The page without its fenced blocks (a `# comment` there is no heading, a link no link)."""
    return _FENCE.sub("", text)


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, inline code marks and punctuation dropped,
    spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


@functools.cache
def anchors(page: Path) -> frozenset[str]:
    return frozenset(slug(h) for h in _HEADING.findall(_prose(page.read_text())))


def links(page: Path) -> list[str]:
    return [
        target
        for target in _LINK.findall(_INLINE.sub("", _prose(page.read_text())))
        if not re.match(r"^[a-z]+:", target)  # http:, https:, mailto:
    ]


def commands(page: Path) -> list[list[str]]:
    """Every `mac` and `make` command the page shows: inline code that starts with one, and each
    command of its shell blocks, as words (comments and what follows a pipe or `&&` split off)."""
    text = page.read_text()
    # Inline code is a command only when it starts with one (an error message may say "mac writes").
    shown = [code for _, code in _INLINE.findall(_prose(text)) if _starts_a_command(code.split())]
    for fence in _FENCE.finditer(text):
        if fence.group(2) in _SHELL_BLOCKS:
            shown += fence.group(3).replace("\\\n", " ").splitlines()
    found = []
    for snippet in shown:
        for command in _SHELL_SEPARATORS.split(snippet.split(" #", 1)[0]):
            words = command.split()
            if _starts_a_command(words):
                found.append(words)
    return found


def _starts_a_command(words: list[str]) -> bool:
    return bool(words) and (words[0] in ("make", "mac") or words[0].endswith("/mac"))


@functools.cache
def mac_help(*command: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "monitoring_as_code", *command, "--help"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def mac_commands() -> set[str]:
    listing = mac_help().split("Commands:", 1)[1]
    return {line.split()[0] for line in listing.splitlines() if line.strip()}


def options(help_text: str) -> dict[str, bool]:
    """Each option `--help` lists -> whether it takes a value (click shows a metavar after it)."""
    found = re.findall(r"^\s+(--[a-z][a-z-]*)( [A-Z]+)?", help_text, re.MULTILINE)
    return {name: bool(metavar) for name, metavar in found}


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][\w-]*):(?!=)", (REPO / "Makefile").read_text(), re.MULTILINE))


def test_the_readme_is_a_front_page() -> None:
    lines = len(README.read_text().splitlines())
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines; move the rest into docs/"


def test_every_doc_page_is_linked_from_the_readme() -> None:
    linked = {(README.parent / target.split("#", 1)[0]).resolve() for target in links(README)}
    assert [p.name for p in PAGES[1:] if p.resolve() not in linked] == []


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(REPO)) for p in PAGES])
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for target in links(page):
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no file {path}")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: no heading #{anchor} in {file.name}")
    assert broken == []


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(REPO)) for p in PAGES])
def test_every_mac_command_and_option_shown_exists(page: Path) -> None:
    known, global_options = mac_commands(), options(mac_help())
    unknown = []
    for words in commands(page):
        if words[0] == "make":
            continue
        rest, at = words[1:], 0
        while at < len(rest) and rest[at].startswith("--"):  # global options come before the command
            flag = rest[at].split("=", 1)[0]
            if flag not in global_options:
                unknown.append(f"mac {flag}")
            at += 2 if global_options.get(flag) and "=" not in rest[at] else 1
        if at == len(rest):
            continue  # `mac` alone, or with global options only
        command = rest[at]
        if command not in known:
            unknown.append(f"mac {command}")
            continue
        allowed = options(mac_help(command))
        unknown += [
            f"mac {command} {w}" for w in rest[at + 1 :] if w.startswith("--") and w.split("=")[0] not in allowed
        ]
    assert unknown == []


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(REPO)) for p in PAGES])
def test_every_make_target_named_exists(page: Path) -> None:
    targets = make_targets()
    named = [
        w
        for words in commands(page)
        if words[0] == "make"
        for w in shlex.split(" ".join(words[1:]))[:1]
        if "=" not in w and not w.startswith("-")
    ]
    assert [t for t in named if t not in targets] == []
