"""The README's recipes, run word for word on a copy of the project as an operator has it (a git
checkout whose monitoring.yaml is the test profile): "change a threshold" and "Adding an alert"."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from monitoring_as_code.outputs.kubernetes.settings import KubernetesSettings
from tests.conftest import REPO, TEST_PROFILE, profile_project

README = (REPO / "README.md").read_text()


def readme_block(after: str, language: str) -> str:
    """The first ```language block of the README after the text `after`, without the indentation
    of its fence (a block in a list item is indented with the item)."""
    start = README.index(after)
    match = re.search(rf"^( *)```{language}\n(.*?)^\1```$", README[start:], re.MULTILINE | re.DOTALL)
    assert match, f"no {language} block after {after!r}"
    fence = match.group(1)
    return "".join(line.removeprefix(fence) for line in match.group(2).splitlines(keepends=True))


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """Every file of the project (as in this work tree), the test profile as monitoring.yaml and
    generated/ from it, committed to git; the virtualenv shared, the engine the checkout's own."""
    root = tmp_path / "checkout"
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for relative in listed:
        if relative.startswith("generated/") or not (REPO / relative).is_file():
            continue
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / relative, root / relative)
    shutil.copytree(profile_project() / "generated", root / "generated")
    shutil.copy2(TEST_PROFILE, root / "monitoring.yaml")
    (root / ".venv").symlink_to(REPO / ".venv")
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "as the operator has it"]):
        subprocess.run(["git", "-c", "user.name=op", "-c", "user.email=op@example.com", *command], cwd=root, check=True)
    return root


def run(root: Path, script: str) -> subprocess.CompletedProcess[str]:
    # The checkout's engine, as an editable install of the checkout would import it.
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=root, env=env, capture_output=True, text=True, check=False
    )


def test_change_a_threshold_as_written(checkout: Path) -> None:
    recipe = readme_block("To change a threshold, edit it and regenerate", "sh")
    result = run(checkout, recipe)
    assert result.returncode == 0, result.stdout + result.stderr
    diff = result.stdout
    assert "+        expr: 100 * (1 - node_f" in diff and "> 85" in diff
    assert "generated/docs/alerts.md" in diff  # the runbook changed with the rule
    # The suites that once hard-coded 90 stay green under the operator's new value.
    tests = ["tests/test_cli.py", "tests/test_alerting_content.py", "tests/test_writer.py"]
    result = run(checkout, f"{sys.executable} -m pytest -q -x -p no:cacheprovider {' '.join(tests)}")
    assert result.returncode == 0, result.stdout[-3000:]


def test_add_an_alert_as_written(checkout: Path) -> None:
    thresholds = readme_block("Add the thresholds to `monitoring.yaml`", "yaml")
    settings = checkout / "monitoring.yaml"
    settings.write_text(settings.read_text().replace("\nthresholds:\n", f"\nthresholds:\n{thresholds}", 1))

    alert = readme_block("Add the alert to the list that `define(settings)` returns", "python")
    module = checkout / "alerts/runtime.py"
    text = module.read_text()
    define = text.index("def define(settings")
    opening = text.index("    return [\n", define) + len("    return [\n")
    module.write_text(text[:opening] + textwrap.indent(alert, " " * 8) + text[opening:])

    result = run(checkout, "make generate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert run(checkout, "git status --porcelain monitoring_as_code").stdout == ""  # no engine edit
    generated = checkout / "generated"
    test_file = (generated / "prometheus/tests/RatSchedulerIdle.yml").read_text()
    assert "fires when dispatching stops" in test_file and "silent while schedules dispatch" in test_file
    assert "RatSchedulerIdle" in (generated / "docs/alerts.md").read_text()
    rules = yaml.safe_load((generated / "prometheus/rules/runtime.yml").read_text())["groups"][0]["rules"]
    assert next(r for r in rules if r.get("alert") == "RatSchedulerIdle")["for"] == "10m"
    assert run(checkout, "make check").returncode == 0


def test_the_kubernetes_install_creates_alertmanagers_secrets_before_helm_points_at_them() -> None:
    """The values snippet sets Alertmanager's configSecret and spec.secrets: run before both Secrets
    exist, the operator falls back to an empty config and the pod cannot mount the receivers' one."""
    k8s = KubernetesSettings()
    commands = readme_block("Install, with kube-prometheus-stack", "sh").replace("\\\n", " ").splitlines()

    def first(text: str) -> int:
        return next(i for i, command in enumerate(commands) if text in command)

    helm = first("helm upgrade kube-prometheus-stack")  # the blackbox exporter's chart may come first
    assert first(f"create secret generic {k8s.receiver_secret} ") < helm
    assert first("kubectl apply -k generated/kubernetes") < helm  # secret-alertmanager.yaml: the configSecret
