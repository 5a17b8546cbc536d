"""`mac diff`: what a change means, from the generated trees alone; nothing for a change of form;
one line and exit 2 for input it cannot read. The project copies use the test profile."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import MacRunner, edit, set_outputs

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@localhost",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@localhost",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(root: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV, "HOME": str(root)}
    return subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True).stdout


def committed(root: Path) -> Path:
    """`root` as a git repository on branch main, everything committed (secrets/ ignored, as the
    project's own .gitignore has it: generate refuses a secrets folder git would track)."""
    (root / ".gitignore").write_text("secrets/\n__pycache__/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "start")
    return root


def changes(mac: MacRunner, root: Path, *args: str) -> list[dict[str, Any]]:
    result = mac(root, "diff", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout)["changes"])


def regenerate(mac: MacRunner, root: Path) -> None:
    result = mac(root, "generate")
    assert result.exit_code == 0, result.output


def test_one_threshold_names_the_alert_and_both_values_and_nothing_else(mac: MacRunner, project: Path) -> None:
    committed(project)
    edit(project / "monitoring.yaml", "disk_usage_percent: 90", "disk_usage_percent: 85")
    regenerate(mac, project)
    assert len(git(project, "status", "--porcelain", "generated").splitlines()) >= 3  # rules, test, runbook
    found = changes(mac, project)  # default: the merge base of HEAD with main, i.e. the last commit
    assert {(c["kind"], c["subject"][0]) for c in found} == {("alerts", "RatHostDiskFull")}
    threshold = next(c for c in found if c["field"] == "threshold")
    assert ("90" in threshold["before"], "85" in threshold["after"]) == (True, True)
    text = mac(project, "diff").stdout
    assert "RatHostDiskFull: threshold: > 90% -> > 85%" in text
    assert "test" not in text.lower().replace("rathostdiskfull", "")  # its promtool test follows, unreported


def test_a_renamed_and_moved_panel_names_dashboard_and_panel_and_marks_it(
    mac: MacRunner, project: Path, tmp_path: Path
) -> None:
    before = shutil.copytree(project / "generated", tmp_path / "before")
    path = project / "generated/grafana/dashboards/rat-overview.json"
    board = json.loads(path.read_text())
    panel = board["panels"][3]
    panel["title"], panel["gridPos"]["y"] = "Goroutines Now", panel["gridPos"]["y"] + 40
    path.write_text(json.dumps(board))
    # The generated previews (generated/**/previews/<uid>.svg: one <g data-panel-id> per panel).
    svg = (project / "generated/grafana/previews/rat-overview.svg").read_text()
    assert f'data-panel-id="{panel["id"]}"' in svg
    found = changes(mac, project, "--from", str(before), "--to", str(project / "generated"))
    name = f"panel {panel['id']} “Goroutines Now”"
    assert {(c["kind"], *c["subject"], c["field"]) for c in found} == {
        ("dashboards", "rat-overview", name, "title"),
        ("dashboards", "rat-overview", name, "position"),
    }
    assets = tmp_path / "report"
    args = ("--from", str(before), "--to", str(project / "generated"), "--previews-dir", str(assets))
    markdown = mac(project, "diff", "--format", "markdown", *args).stdout
    assert f"Changed on **rat-overview** (outlined): {name}" in markdown
    assert markdown.count("<details>") == 1 and "rat-overview-before.svg" in markdown
    marked = (assets / "rat-overview-after.svg").read_text()
    assert f'g[data-panel-id="{panel["id"]}"]' in marked
    assert (project / "generated/grafana/previews/rat-overview.svg").read_text() == svg  # marks go on a copy


def test_without_previews_the_markdown_still_reports(mac: MacRunner, project: Path, tmp_path: Path) -> None:
    shutil.rmtree(project / "generated/grafana/previews")  # as with grafana.previews: false
    before = shutil.copytree(project / "generated", tmp_path / "before")
    edit(project / "generated/grafana/dashboards/rat-overview.json", '"title": "Goroutines"', '"title": "Routines"')
    markdown = mac(project, "diff", "--format", "markdown", "--from", str(before)).stdout
    assert "Routines" in markdown and "<img" not in markdown


def warning_alerts(tree: Path) -> set[str]:
    rules = [yaml.safe_load(p.read_text()) for p in (tree / "prometheus/rules").glob("*.yml")]
    return {
        rule["alert"]
        for data in rules
        for group in data["groups"]
        for rule in group["rules"]
        if rule.get("labels", {}).get("severity") == "warning"
    }


def test_routing_warnings_to_the_pager_lists_every_alert_whose_receiver_changed(
    mac: MacRunner, project: Path, tmp_path: Path
) -> None:
    before = shutil.copytree(project / "generated", tmp_path / "before")
    edit(project / "monitoring.yaml", "    warning: team-chat", "    warning: pager")
    regenerate(mac, project)
    found = changes(mac, project, "--from", str(before))
    paged = {c["subject"][0]: (c["before"], c["after"]) for c in found if c["kind"] == "who gets paged"}
    assert paged == {alert: ("team-chat", "pager") for alert in warning_alerts(before)}
    assert len(paged) > 5
    route = [c for c in found if c["kind"] == "alertmanager"]
    assert [(c["field"], c["before"], c["after"]) for c in route] == [("receiver", "team-chat", "pager")]


def _reordered(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _reordered(data[k]) for k in reversed(list(data))}
    return [_reordered(item) for item in data] if isinstance(data, list) else data


def test_a_change_of_key_order_and_layout_is_only_formatting(mac: MacRunner, project: Path, tmp_path: Path) -> None:
    before = shutil.copytree(project / "generated", tmp_path / "before")
    for path in (project / "generated").rglob("*"):
        if path.suffix == ".json":
            path.write_text(json.dumps(_reordered(json.loads(path.read_text())), indent=4))
        elif path.suffix == ".yml":
            path.write_text(yaml.safe_dump(_reordered(yaml.safe_load(path.read_text())), sort_keys=False, indent=4))
    assert changes(mac, project, "--from", str(before)) == []
    lines = mac(project, "diff", "--from", str(before)).stdout.splitlines()
    assert len(lines) == 1 and "only generated formatting changed" in lines[0], lines


def test_the_same_tree_has_no_changes(mac: MacRunner, project: Path) -> None:
    result = mac(project, "diff", "--from", str(project), "--to", str(project / "generated"))
    assert (result.exit_code, result.stdout.strip().endswith("no changes")) == (0, True)


def one_error_line(mac: MacRunner, root: Path, *args: str) -> str:
    result = mac(root, "diff", *args)
    lines = [line for line in result.output.splitlines() if line]
    assert (result.exit_code, len(lines)) == (2, 1), result.output
    return lines[0]


def test_a_revision_that_is_not_a_commit(mac: MacRunner, project: Path) -> None:
    committed(project)
    assert "'no-such-rev' is not a commit" in one_error_line(mac, project, "no-such-rev")


def test_a_revision_without_generated(mac: MacRunner, project: Path) -> None:
    committed(project)
    git(project, "rm", "-r", "-q", "generated")
    git(project, "commit", "-q", "-m", "without")
    assert "has no generated/" in one_error_line(mac, project, "HEAD")


def test_a_folder_without_generated(mac: MacRunner, project: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert "holds no generated/ tree" in one_error_line(mac, project, "--from", str(tmp_path / "empty"))


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [({"format": 2, "written_by": "monitoring-as-code"}, "tree format 2"), ({"format": 1, "colour": 1}, "colour")],
)
def test_a_tree_of_another_mac_version(
    mac: MacRunner, project: Path, tmp_path: Path, manifest: dict[str, Any], expected: str
) -> None:
    other = shutil.copytree(project / "generated", tmp_path / "other")
    (other / ".mac-tree.json").write_text(json.dumps(manifest))
    line = one_error_line(mac, project, "--from", str(other))
    assert "another version of mac" in line and expected in line


def test_a_tree_with_an_alert_field_this_mac_never_writes(mac: MacRunner, project: Path, tmp_path: Path) -> None:
    other = shutil.copytree(project / "generated", tmp_path / "other")
    edit(other / "prometheus/rules/host.yml", "        for: 5m\n", "        for: 5m\n        sparkle: true\n")
    line = one_error_line(mac, project, "--from", str(other))
    assert "host.yml" in line and "unknown fields sparkle" in line


def test_a_shallow_clone_without_the_merge_base_says_how_to_fetch_it(
    mac: MacRunner, project: Path, tmp_path: Path
) -> None:
    committed(project)
    git(project, "commit", "-q", "--allow-empty", "-m", "main moves on")
    git(project, "checkout", "-q", "-b", "feature", "HEAD~1")
    git(project, "commit", "-q", "--allow-empty", "-m", "feature")
    git(project, "checkout", "-q", "main")  # the clone's origin/HEAD
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", "--no-single-branch", f"file://{project}", str(clone))
    git(clone, "checkout", "-q", "feature")
    line = one_error_line(mac, clone)
    assert "shallow" in line and "git fetch --unshallow" in line


def test_a_folder_outside_git_says_to_compare_folders(mac: MacRunner, project: Path) -> None:
    assert "--from DIR --to DIR" in one_error_line(mac, project)


def test_the_kubernetes_copy_of_a_changed_alert_is_told_once(mac: MacRunner, project: Path, tmp_path: Path) -> None:
    set_outputs(project, "compose", "kubernetes")
    regenerate(mac, project)
    before = shutil.copytree(project / "generated", tmp_path / "before")
    edit(project / "monitoring.yaml", "    postgres: 2\n", "    postgres: 4\n")
    regenerate(mac, project)
    found = changes(mac, project, "--from", str(before))
    # RatPostgresDownOnPod is the cluster's alone (one ratd pod failing the check).
    assert {(c["kind"], c["subject"][0]) for c in found} == {
        ("alerts", "RatPostgresDown"),
        ("alerts", "RatPostgresDownOnPod"),
    }
    both = [c for c in found if c["subject"][0] == "RatPostgresDown"]
    # The same in both outputs: told once, naming neither (the description differs per platform).
    thresholds = [c for c in both if c["field"] == "threshold"]
    assert len(thresholds) == 1 and "outputs" not in thresholds[0]
    # Both platforms probe each check every intervals.dependency_probe: one `for`, told once.
    fors = [c for c in both if c["field"] == "for"]
    assert len(fors) == 1 and "outputs" not in fors[0]


def test_routing_asks_amtool_once_per_label_class_from_relative_folders(
    mac: MacRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alerts the routing tree cannot tell apart share one amtool run, and folders given relative
    to the working directory are found by amtool (which runs in the configuration's folder)."""
    shutil.copytree(project / "generated", project / "before")
    edit(project / "monitoring.yaml", "    warning: team-chat", "    warning: pager")
    regenerate(mac, project)
    monkeypatch.chdir(project)
    result = mac(project, "diff", "--format", "json", "--timings", "--from", "before", "--to", "generated")
    assert result.exit_code == 0, result.output
    paged = [c for c in json.loads(result.stdout)["changes"] if c["kind"] == "who gets paged"]
    assert len(paged) == len(warning_alerts(project / "before")) > 5
    timed = dict(
        reversed(m.groups())
        for m in map(re.compile(r"^ +(\d+\.\d{3}) s  (.+)$").match, result.stderr.splitlines())
        if m
    )
    assert {"imports", "who gets paged", "alerts", "report", "total"} <= timed.keys(), result.stderr
    runs = int(result.stderr.rsplit("tool runs: ", 1)[1])
    assert runs <= 2 * 5, "one run per side and label class (Watchdog, each severity, the rest), not per alert"


ROUTES = {
    "route": {
        "receiver": "default",
        "routes": [
            {"receiver": "pager", "matchers": ['severity="critical"']},
            {"receiver": "db", "matchers": ['team=~"db.*"']},
            {"receiver": "legacy", "match": {"service": "ratd"}},
            {"receiver": "chat", "matchers": ["severity!=info", "team=web"]},
        ],
    },
    "receivers": [{"name": name} for name in ("default", "pager", "db", "legacy", "chat")],
}
ALERTS = [
    {"alertname": "A", "severity": "critical"},
    {"alertname": "B", "severity": "critical", "service": "portal"},
    {"alertname": "C", "severity": "warning", "team": "dbx"},
    {"alertname": "D", "severity": "warning", "team": "dby"},
    {"alertname": "E", "severity": "warning", "team": "web"},
    {"alertname": "F", "severity": "info", "team": "web"},
    {"alertname": "G", "severity": "warning", "service": "ratd"},
    {"alertname": "H", "severity": "warning", "service": "minio"},
    {"alertname": "I"},
]


def test_alerts_of_one_label_class_are_routed_alike_by_amtool(tmp_path: Path) -> None:
    """The soundness of sharing a run: amtool, asked of every alert, gives each alert of a class
    the same receivers; a label a regular expression matches keeps its value apart."""
    from monitoring_as_code.diff import routing

    config = tmp_path / "alertmanager.yml"
    config.write_text(yaml.safe_dump(ROUTES))
    named = routing.matched_labels(ROUTES)
    assert named == {
        "severity": frozenset({"critical", "info"}),
        "team": None,
        "service": frozenset({"ratd"}),
    }
    classes: dict[Any, set[str]] = {}
    for labels in ALERTS:
        classes.setdefault(routing.label_class(labels, named), set()).add(routing.receivers(config, labels, "test"))
    assert all(len(receivers) == 1 for receivers in classes.values()), classes
    assert len(classes) < len(ALERTS)  # A and B share one, H and I another
    assert routing.label_class(ALERTS[2], named) != routing.label_class(ALERTS[3], named)  # dbx, dby: a regex


def test_a_matcher_line_not_read_tells_alerts_apart_by_all_labels() -> None:
    from monitoring_as_code.diff import routing

    several = {"route": {"receiver": "x", "routes": [{"receiver": "y", "matchers": ['{a="1", b="2"}']}]}}
    assert routing.matched_labels(several) is None
    assert routing.label_class(ALERTS[0], None) != routing.label_class(ALERTS[1], None)


def test_a_clone_without_a_default_branch_says_what_to_fetch(mac: MacRunner, project: Path) -> None:
    committed(project)
    git(project, "branch", "-q", "-m", "main", "trunk")
    line = one_error_line(mac, project)
    assert "no default branch" in line and "git fetch origin main" in line
