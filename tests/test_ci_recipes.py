"""The CI recipes an operator copies (ci/): checked by the real actionlint (with shellcheck on every
`run:` script) and by the platforms' schemas that check-jsonschema ships, offline; and their own
steps, read from the YAML, run as the platform would in a clean clone of the operator's repository:
no secret, no RAT checkout, no Docker engine, no virtualenv but the one the recipe's cache step
restores (played by a copy of this one, which `make venv` then brings up to date in the clone)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml
from click.testing import CliRunner

from monitoring_as_code.cli import main
from tests.conftest import REPO, edit

GITHUB, GITLAB = "github", "gitlab"
RECIPES = {GITHUB: REPO / "ci/github/monitoring.yml", GITLAB: REPO / "ci/gitlab/monitoring.gitlab-ci.yml"}
SCHEMAS = {GITHUB: "vendor.github-workflows", GITLAB: "vendor.gitlab-ci"}
BIN = Path(sys.executable).parent  # the test extra installs actionlint, shellcheck and check-jsonschema here


def tool(name: str) -> str:
    path = BIN / name
    assert path.is_file(), f"{name} is not in {BIN}: `make venv` installs pyproject's test extra"
    return str(path)


def near_miss(tmp_path: Path, platform: str, old: str, new: str) -> Path:
    """A copy of the recipe with one plausible mistake."""
    copy = tmp_path / RECIPES[platform].name
    shutil.copy2(RECIPES[platform], copy)
    edit(copy, old, new)
    return copy


def actionlint(workflow: Path) -> subprocess.CompletedProcess[str]:
    command = [tool("actionlint"), "-no-color", "-shellcheck", tool("shellcheck"), str(workflow)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_the_github_workflow_passes_actionlint() -> None:
    result = actionlint(RECIPES[GITHUB])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("old", "new", "finding"),
    [
        # shellcheck's own finding: proves actionlint ran it on the scripts
        ("run: make lint", "run: make lint $GITHUB_BASE_REF", "SC2086"),
        ("run: make lint", 'run: echo "${{ github.event.pull_request.title }}"', "potentially untrusted"),
        ("pull-requests: write", "pull-request: write", 'unknown permission scope "pull-request"'),
    ],
    ids=["unquoted variable", "script injection", "misspelt permission"],
)
def test_actionlint_rejects_a_near_miss(tmp_path: Path, old: str, new: str, finding: str) -> None:
    result = actionlint(near_miss(tmp_path, GITHUB, old, new))
    assert result.returncode == 1, result.stdout + result.stderr
    assert finding in result.stdout


def test_every_action_is_pinned_to_a_commit_with_its_version() -> None:
    uses = re.findall(r"^\s*(?:- )?uses: (\S+)(.*)$", RECIPES[GITHUB].read_text(), re.MULTILINE)
    assert uses
    for action, comment in uses:
        assert re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", action), action
        assert re.fullmatch(r"\s+# v\d+\.\d+\.\d+", comment), f"{action}: no version comment"


@contextlib.contextmanager
def network_watched(tmp_path: Path) -> Iterator[tuple[dict[str, str], list[str]]]:
    """An environment whose every proxy is a local socket that notes and drops each connection, and
    no schema cache: a download a tool tries is listed after the block (and fails at once)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    proxy = f"http://127.0.0.1:{listener.getsockname()[1]}"
    names = ("http_proxy", "https_proxy", "all_proxy")
    env = {k: v for k, v in os.environ.items() if k.lower() not in (*names, "no_proxy")}
    env |= {name: proxy for name in (*names, *(n.upper() for n in names))}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    attempts: list[str] = []
    stop = threading.Event()

    def note_and_drop() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                connection, peer = listener.accept()
                attempts.append(str(peer))
                connection.close()

    watcher = threading.Thread(target=note_and_drop)
    watcher.start()
    try:
        yield env, attempts
    finally:
        stop.set()
        watcher.join()
        listener.close()


def check_jsonschema(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    with network_watched(tmp_path) as (env, attempts):
        command = [tool("check-jsonschema"), *args]
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    return result, attempts


@pytest.mark.parametrize("platform", [GITHUB, GITLAB])
def test_the_recipe_matches_its_platforms_schema_offline(tmp_path: Path, platform: str) -> None:
    result, attempts = check_jsonschema(tmp_path, "--builtin-schema", SCHEMAS[platform], str(RECIPES[platform]))
    assert result.returncode == 0, result.stdout + result.stderr
    assert attempts == [], "check-jsonschema tried the network"


@pytest.mark.parametrize(
    ("platform", "old", "new", "finding"),
    [
        (GITHUB, "pull-requests: write", "pull-request: write", "'pull-request' was unexpected"),
        (
            GITLAB,
            "  script:\n    - .venv/bin/mac lint",
            "  scripts:\n    - .venv/bin/mac lint",
            "'scripts' was unexpected",
        ),
    ],
    ids=["github: misspelt permission", "gitlab: misspelt script"],
)
def test_the_schema_rejects_a_near_miss(tmp_path: Path, platform: str, old: str, new: str, finding: str) -> None:
    broken = near_miss(tmp_path, platform, old, new)
    result, attempts = check_jsonschema(tmp_path, "--verbose", "--builtin-schema", SCHEMAS[platform], str(broken))
    assert result.returncode == 1, result.stdout + result.stderr
    assert finding in result.stdout
    assert attempts == []


def test_the_network_watch_sees_a_download(tmp_path: Path) -> None:
    """The watch can fail: a remote schema is fetched through the proxies it sets."""
    result, attempts = check_jsonschema(
        tmp_path, "--schemafile", "https://schemas.invalid/x.json", str(RECIPES[GITLAB])
    )
    assert result.returncode != 0
    assert attempts


# --- The recipes' own steps, in a clean clone --------------------------------------------------


@attrs.frozen
class Step:
    name: str
    script: str | None = None  # what the shell runs; None for a platform action
    action: str | None = None  # owner/name of a `uses:` action, without its pin
    inputs: dict[str, Any] = attrs.field(factory=dict)  # the action's `with:`
    env: dict[str, str] = attrs.field(factory=dict)


# The platform's actions, which the test plays (any other action fails the test until it is played).
PLAYED = {
    "actions/checkout": "the clean clone; with fetch-depth: 0, every branch's whole history fetched",
    "gitlab:clone": "the same, with GIT_DEPTH for fetch-depth",
    "actions/setup-python": "this machine's Python on PATH, of the version asked",
    "actions/cache": "the venv restored: a copy of this one, as a cache hit restores it",
    "gitlab:image": "this machine, of the Debian release and Python version of the image's tag",
    "gitlab:cache": "as actions/cache",
}
# GitHub's documented expansion of `shell: bash`; GitLab's runner runs its scripts the same way.
BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]


def talks_to_the_platform(step: Step) -> bool:
    """The one kind of step not run: given the platform's API token (the gh CLI reads GH_TOKEN),
    it posts on the pull request, which only the platform can answer. GitLab's note step is run:
    it skips itself when its token is absent, as here."""
    return "GH_TOKEN" in step.env


def load(platform: str) -> dict[str, Any]:
    return yaml.safe_load(RECIPES[platform].read_text())  # type: ignore[no-any-return]


def _merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """GitLab's `extends`: mappings merge key by key, anything else is replaced."""
    both = dict(base)
    for key, value in override.items():
        both[key] = _merged(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return both


def gitlab_job(config: dict[str, Any], name: str) -> dict[str, Any]:
    job = config[name]
    own = {key: value for key, value in job.items() if key != "extends"}
    return _merged(gitlab_job(config, job["extends"]), own) if "extends" in job else own


def jobs(platform: str) -> dict[str, tuple[list[Step], int]]:
    """Each job's steps and its timeout in seconds, in the file's order."""
    config = load(platform)
    if platform == GITHUB:
        assert config["defaults"]["run"]["shell"] == "bash", "the steps run under BASH"
        return {
            name: (
                [
                    Step(
                        step.get("name") or step["uses"].split("@")[0],
                        script=step.get("run"),
                        action=step["uses"].split("@")[0] if "uses" in step else None,
                        inputs=step.get("with", {}),
                        env=step.get("env", {}),
                    )
                    for step in job["steps"]
                ],
                job["timeout-minutes"] * 60,
            )
            for name, job in config["jobs"].items()
        }
    resolved = {name: gitlab_job(config, name) for name in config if not name.startswith(".")}
    return {name: (gitlab_steps(job), int(job["timeout"].split()[0]) * 60) for name, job in resolved.items()}


def gitlab_steps(job: dict[str, Any]) -> list[Step]:
    """What GitLab provides (the image, the clone, the cache), then each command of the scripts."""
    variables = job.get("variables", {})
    return [
        Step("image", action="gitlab:image", inputs={"name": job["image"]}),
        # GitLab clones 20 commits unless GIT_DEPTH says otherwise.
        Step("clone", action="gitlab:clone", inputs={"fetch-depth": int(variables.get("GIT_DEPTH", 20))}),
        Step("cache", action="gitlab:cache", inputs=job["cache"]),
        *(
            Step(f"{part}[{index}]: {command.splitlines()[0]}", script=command, env=variables)
            for part in ("before_script", "script")
            for index, command in enumerate(job.get(part, []))
        ),
    ]


JOBS = [(platform, job) for platform in RECIPES for job in jobs(platform)]


def test_the_jobs_are_those_the_steps_test_runs() -> None:
    assert JOBS == [(GITHUB, "check"), (GITHUB, "report"), (GITLAB, "monitoring:check"), (GITLAB, "monitoring:report")]


def git(cwd: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=operator", "-c", "user.email=operator@example.com", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


def generate(project: Path) -> None:
    result = CliRunner().invoke(main, ["--root", str(project), "generate"], catch_exceptions=False)
    assert result.exit_code == 0, result.output


RAT_FILE = "../rat/infra/docker-compose.yml"
THRESHOLD = "  disk_usage_percent: 90"
BEFORE = "  disk_usage_percent: 85"


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The operator's repository, made where RAT's checkout is (../rat beside it, read through
    compose.rat.file): `main` with disk_usage_percent at 85, and the pull request `pr`, the current
    tree, which sets it to 90; each commit with generated/ (and so RAT's compose record) from it."""
    host = tmp_path_factory.mktemp("operator")
    (host / "rat/infra").mkdir(parents=True)
    shutil.copy2(REPO / "tests/fixtures/rat/infra/docker-compose.yml", host / "rat/infra/docker-compose.yml")
    project = host / "project"
    listed = git(REPO, "ls-files", "--cached", "--others", "--exclude-standard").splitlines()
    for relative in listed:
        if (REPO / relative).is_file():
            (project / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / relative, project / relative)
    settings = project / "monitoring.yaml"
    edit(settings, f"# file: {RAT_FILE}", f"file: {RAT_FILE}")
    edit(settings, THRESHOLD, BEFORE)
    generate(project)
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "the monitoring as it is")
    git(project, "checkout", "-qb", "pr")
    edit(settings, BEFORE, THRESHOLD)
    generate(project)
    git(project, "commit", "-qam", "disks page at 90%")
    return project


@pytest.fixture(scope="module")
def runner(origin: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runner's folder: a clean clone of the pull request's last commit alone, as a checkout
    fetches it by default, and a temp folder. Its jobs run in turn in the one clone, as every job's
    cache step would restore the venv that the first job brought up to date; the first gets a copy
    of this venv, installed for another folder, as a cache restored by its prefix brings one."""
    folder = tmp_path_factory.mktemp("runner")
    clone = ["git", "clone", "-q", "--depth", "1", "--branch", "pr", f"file://{origin}", str(folder / "clone")]
    subprocess.run(clone, check=True)
    (folder / "temp").mkdir()
    return folder


def runner_env(platform: str, runner: Path, origin: Path) -> dict[str, str]:
    """This machine's environment without a virtualenv, a token or a Docker engine, and what the
    platform sets for a pull request (GitLab: a merge request pipeline without MAC_DIFF_TOKEN)."""
    secret = re.compile(r"TOKEN|SECRET|PASSWORD|CREDENTIAL|_KEY$", re.IGNORECASE)
    env = {k: v for k, v in os.environ.items() if not secret.search(k) and k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if Path(p) != BIN)
    env |= {"CI": "true", "DOCKER_HOST": f"unix://{runner}/no-docker-engine.sock"}
    clone, temp = runner / "clone", runner / "temp"
    if platform == GITHUB:
        return env | {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_BASE_REF": "main",
            "GITHUB_HEAD_REF": "pr",
            "GITHUB_WORKSPACE": str(clone),
            "RUNNER_TEMP": str(temp),
            "GITHUB_STEP_SUMMARY": str(temp / "summary.md"),
        }
    return env | {
        "GITLAB_CI": "true",
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_PROJECT_DIR": str(clone),
        "CI_DEFAULT_BRANCH": "main",
        "CI_MERGE_REQUEST_IID": "1",
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": git(origin, "rev-parse", "main"),
    }


def assert_python(version: str, env: dict[str, str]) -> None:
    found = subprocess.run(["python3", "--version"], env=env, capture_output=True, text=True, check=True).stdout
    assert found.startswith(f"Python {version}."), f"the recipe asks for Python {version}; PATH has {found}"


def play(step: Step, clone: Path, env: dict[str, str]) -> None:
    assert step.action in PLAYED, f"{step.action}: an action the test does not play"
    fetches_all = step.action in ("actions/checkout", "gitlab:clone") and step.inputs.get("fetch-depth") == 0
    if fetches_all and git(clone, "rev-parse", "--is-shallow-repository") == "true":
        git(clone, "fetch", "-q", "--unshallow", "origin", "+refs/heads/*:refs/remotes/origin/*")
    if step.action == "actions/setup-python":
        assert_python(step.inputs["python-version"], env)
    if step.action == "gitlab:image":
        image = re.fullmatch(r"python:(\d+\.\d+)-(\w+)", step.inputs["name"])
        assert image, f"{step.inputs['name']}: not a python:VERSION-DEBIAN image"
        assert_python(image[1], env)
        assert f"VERSION_CODENAME={image[2]}\n" in Path("/etc/os-release").read_text(), f"not Debian {image[2]} here"
    if step.action in ("actions/cache", "gitlab:cache") and not (clone / ".venv").exists():
        shutil.copytree(Path(sys.prefix), clone / ".venv", symlinks=True)


def run_job(platform: str, job: str, runner: Path, origin: Path) -> tuple[str, list[str]]:
    """Run the job's steps in order as its platform would, each under the job's timeout: its
    output, and the steps not run (talks_to_the_platform)."""
    clone = runner / "clone"
    env = runner_env(platform, runner, origin)
    steps, timeout = jobs(platform)[job]
    output, skipped = "", []
    for step in steps:
        if talks_to_the_platform(step):
            skipped.append(step.name)
            continue
        if step.action is not None:
            play(step, clone, env)
            continue
        assert step.script is not None
        command = [*BASH, "-c", step.script]
        ran = subprocess.run(
            command, cwd=clone, env=env | step.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        said = ran.stdout + ran.stderr
        assert ran.returncode == 0, f"{platform} {job}: step {step.name!r} exits {ran.returncode}:\n{said}"
        output += said
    return output, skipped


@pytest.mark.parametrize(("platform", "job"), [(platform, job) for platform, job in JOBS if "check" in job])
def test_the_check_jobs_pass_in_a_clean_clone(platform: str, job: str, runner: Path, origin: Path) -> None:
    clone = runner / "clone"
    assert not (runner / "rat").exists() and not (clone / "secrets").exists()
    output, skipped = run_job(platform, job, runner, origin)
    assert skipped == []
    assert f"{RAT_FILE}: no such file here; rendering RAT's compose from the record" in output
    assert "generated/ is up to date and valid" in output
    engine = subprocess.run(
        [".venv/bin/python", "-c", "import monitoring_as_code; print(monitoring_as_code.__file__)"],
        cwd=clone,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert Path(engine).is_relative_to(clone), f"the clone's venv runs another checkout's engine: {engine}"


@pytest.mark.parametrize(("platform", "job"), [(platform, job) for platform, job in JOBS if "report" in job])
def test_the_report_jobs_write_the_report_in_a_clean_clone(platform: str, job: str, runner: Path, origin: Path) -> None:
    output, skipped = run_job(platform, job, runner, origin)
    if platform == GITHUB:
        assert skipped == ["Post the report on the pull request"]
        report = (runner / "temp/mac-diff.md").read_text()
        assert report in (runner / "temp/summary.md").read_text()
    else:
        assert skipped == []
        assert "MAC_DIFF_TOKEN is not set" in output
        report = (runner / "clone/mac-diff.md").read_text()
    assert "85" in report and "90" in report, report  # the pull request's change, against its base
