"""What the runbook pages (docs/alerts.md, and the kubernetes variant's) tell the on-call engineer:
true for the platform and the settings, and static text (nothing expands a template there)."""

from __future__ import annotations

import re

import attrs
import pytest

from alerts import host
from monitoring_as_code.definitions import Definitions
from monitoring_as_code.loader import load_alerting
from monitoring_as_code.model import RecordingRule
from monitoring_as_code.outputs.kubernetes.settings import SECTION as KUBERNETES_SETTINGS
from monitoring_as_code.outputs.kubernetes.unit import variant_settings
from monitoring_as_code.render.runbook import render_runbook, service_text
from monitoring_as_code.settings import Settings
from tests.conftest import REPO, SILENT, example_alert

RAT_NAMESPACE = "rat-prod"
READY_PATH = "/ready/deep"


def site(settings: Settings) -> Settings:
    """The test profile with a RAT namespace and a ready path of its own: no default may leak."""
    k8s = attrs.evolve(settings.of(KUBERNETES_SETTINGS), rat_namespace=RAT_NAMESPACE)
    return attrs.evolve(
        settings.with_section(KUBERNETES_SETTINGS, k8s), health=attrs.evolve(settings.health, ready_path=READY_PATH)
    )


@pytest.fixture(scope="module", params=["compose", "kubernetes"])
def page(request: pytest.FixtureRequest, settings: Settings) -> tuple[Settings, Definitions, str]:
    """(settings, definitions, runbook page) of each platform."""
    platform = site(settings) if request.param == "compose" else variant_settings(site(settings))
    defs = load_alerting(REPO / "alerts", platform)
    return platform, defs, render_runbook(defs, platform)


def prose(runbook: str) -> str:
    """The runbook without its ```promql blocks (the expressions)."""
    return re.sub(r"```promql\n.*?```", "", runbook, flags=re.DOTALL)


def test_the_runbook_says_where_a_service_label_from_the_expression_comes_from(
    page: tuple[Settings, Definitions, str],
) -> None:
    platform, defs, runbook = page
    assert "**service:** None" not in runbook
    expected = {
        "RatContainerMemoryPressure": "container" if platform.platform == "kubernetes" else "container_label_com_",
        "RatScrapeTargetDown": "job",
        **dict.fromkeys(
            ("RatServiceOOMKilled", "RatContainerOOMKilled", "RatServiceRestartLoop", "RatContainerRestartLoop"),
            "container_label_com_",
        ),
    }
    for alert in (a for a in defs.alerts if a.service is None):
        line = re.search(rf"^## {alert.name}\n\n- \*\*Severity:\*\* \w+; \*\*service:\*\* (.*)$", runbook, re.M)
        assert line, alert.name
        assert line.group(1).startswith(
            f"from the alert's `service` label (copied from the series label `{expected.pop(alert.name)}"
        )
    assert not set(expected) & {a.name for a in defs.alerts}


def test_a_service_label_the_series_carry_is_said_so() -> None:
    alert = example_alert(service=None, expr='ratd_up{service="ratd"} == 0', scenarios=[SILENT])
    assert service_text(alert, []) == "from the alert's `service` label (the series the expression reads carry it)"
    recorded = RecordingRule("service:up:min", 'min by (service) (label_replace(up, "service", "$1", "job", "(.+)"))')
    alert = example_alert(service=None, expr="service:up:min == 0", scenarios=[SILENT])
    assert service_text(alert, [recorded]) == "from the alert's `service` label (copied from the series label `job`)"
    assert service_text(example_alert(), [recorded]) == "ratd"


def test_no_template_in_the_runbook_text(page: tuple[Settings, Definitions, str]) -> None:
    """A runbook page is static Markdown: `{{ $labels.pod }}` would reach the reader as is."""
    _, defs, runbook = page
    assert "{{" not in prose(runbook)
    for alert in defs.alerts:
        assert not any("{{" in text for text in (alert.runbook.meaning, *alert.runbook.steps)), alert.name


def test_every_http_step_works_where_rat_runs(page: tuple[Settings, Definitions, str]) -> None:
    """No localhost on a cluster: a port-forward to the Service first, in RAT's namespace."""
    platform, _, runbook = page
    steps = [line for line in prose(runbook).splitlines() if "curl" in line]
    assert any(f"localhost:8080{READY_PATH}" in step for step in steps)
    assert not any("/health/ready" in step for step in steps)  # the settings' path, never the default
    for step in steps:
        forwarded = re.search(
            r"`kubectl -n (\S+) port-forward (?:svc/\S+|pod/<pod>) (\d+) &`, then `curl -s http://localhost:(\d+)/",
            step,
        )
        if platform.platform == "kubernetes":
            assert forwarded and forwarded.group(1) == RAT_NAMESPACE and forwarded.group(2) == forwarded.group(3), step
        else:
            assert "kubectl" not in step, step


def disk_logs_step(settings: Settings, driver: str, options: dict[str, str], loki_days: int = 31) -> str:
    site = attrs.evolve(
        settings,
        logging=attrs.evolve(settings.logging, driver=driver, options=options),
        retention=attrs.evolve(settings.retention, loki=loki_days * 86400.0),
    )
    disk = next(a for a in host.define(site) if a.name == "RatHostDiskFull")
    return next(step for step in disk.runbook.steps if step.startswith("Logs:"))


def test_the_disk_runbook_describes_the_configured_logging_driver(settings: Settings) -> None:
    rotated = disk_logs_step(settings, "json-file", {"max-size": "20m", "max-file": "5"})
    assert "at most 5 x 20m with json-file rotation" in rotated and "Loki" not in rotated
    loki = {"loki-url": "http://127.0.0.1:3100/loki/api/v1/push", "loki-retries": "5", "mode": "non-blocking"}
    shipped = disk_logs_step(settings, "loki", {**loki, "max-size": "50m", "max-file": "2"}, loki_days=7)
    assert "ships them to Loki, whose volume keeps 7d" in shipped
    assert "local copy for `docker logs` of at most 2 x 50m" in shipped and "json-file" not in shipped
    assert "unrotated local copy" in disk_logs_step(settings, "loki", loki)
    assert "no local copy" in disk_logs_step(settings, "loki", {**loki, "no-file": "true", "max-size": "10m"})
