"""End to end: the rendered configuration in the real Prometheus, Alertmanager, blackbox_exporter
and node_exporter, watching a simulated RAT, once per RAT profile (each against a RAT of its own
version). Every fault's alert must reach Alertmanager with the right labels and receiver, and
resolve once the fault clears.

Covered by their promtool unit tests only, because the fault cannot be staged here:
RatHostDiskFull (the test machine's real disk), RatBackupMetricMissing (its `for` is the backup
age, hours), RatApiInternalListenerDown (the simulated ratd serves both listeners on one port),
PrometheusRuleEvaluationFailures, PrometheusNotificationsFailing and
AlertmanagerNotificationsFailing (they need a broken Prometheus or receiver). Of the SLO tickets
(SlowBurn), e2e sees api-availability's, held back by its page; the others fire beside their
pages here too, but what they must do is proven by their promtool scenarios.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from monitoring_as_code import pipeline
from monitoring_as_code.cli import main
from monitoring_as_code.dashboard import LOKI, expanded_promql
from monitoring_as_code.settings import Settings
from monitoring_as_code.validate.previews import SVG, panel_groups
from tests.conftest import GUIDE, PROFILES, RATD_0_2, REPO
from tests.e2e.postgres import MAX_CONNECTIONS
from tests.e2e.stack import Stack, get_json, running_stack, wait_for

pytestmark = pytest.mark.e2e

ALERT_TIMEOUT = 30.0
MINUTE = 60.0


class Stacks:
    """One running stack at a time, started for a profile on first use and stopped when the next
    profile's tests begin (tests/e2e/conftest.py runs each profile's tests together)."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.tmp_path_factory = tmp_path_factory
        self.profile: str | None = None
        self.running: Stack | None = None
        self.cleanup = ExitStack()

    def get(self, profile: str) -> Stack:
        if profile != self.profile:
            self.close()
            workdir = self.tmp_path_factory.mktemp(f"e2e-{profile}")
            running = self.cleanup.enter_context(running_stack(workdir, profile))
            wait_for("every target up", running.all_targets_up, ALERT_TIMEOUT)
            self.profile, self.running = profile, running
        assert self.running is not None
        return self.running

    def close(self) -> None:
        self.cleanup.close()
        self.profile = self.running = None


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stacks]:
    pool = Stacks(tmp_path_factory)
    yield pool
    pool.close()


@pytest.fixture
def stack(stacks: Stacks, profile: str) -> Stack:
    return stacks.get(profile)


def wait_resolved(stack: Stack, name: str) -> None:
    wait_for(f"{name} to resolve in Prometheus", lambda: name not in stack.firing(), ALERT_TIMEOUT)
    wait_for(f"{name} to resolve in Alertmanager", lambda: not stack.alertmanager_alerts(name), ALERT_TIMEOUT)


def reach_alertmanager(stack: Stack, name: str) -> list[dict[str, Any]]:
    return wait_for(f"{name} to fire and reach Alertmanager", lambda: stack.alertmanager_alerts(name), ALERT_TIMEOUT)


def longest_baseline(settings: Settings) -> float:
    """How long the alerts comparing a window with the one(s) before it need data for."""
    w = settings.windows
    return max(w.request_baseline, w.scheduler_baseline, w.scheduler_season, w.sse_baseline, 2 * w.memory_growth)


def test_steady_state_only_the_watchdog_fires(stack: Stack) -> None:
    assert not stack.query("up == 0")
    # The baselines fill first; then several evaluations, so every `for` has had its chance.
    baseline = longest_baseline(stack.settings)
    wait_for("a quiet steady state", lambda: set(stack.firing()) == {"Watchdog"} or None, ALERT_TIMEOUT + baseline)
    for _ in range(5):
        stack.wait_evaluations(1)
        assert set(stack.firing()) == {"Watchdog"}
    wait_for("the Watchdog at the dead-man's switch", lambda: "Watchdog" in stack.hooks.alertnames("deadmans-switch"))


def test_from_start_up_nothing_but_the_watchdog_fired(stack: Stack) -> None:
    """The soak: from the first evaluation on, past the longest baseline and then past every `for`
    (but the backup alerts', the backup age: an hour here) and five more evaluations, no alert but
    the Watchdog ever fired (pending, inside its `for`, is allowed: that is the window at work),
    and nothing but the Watchdog reached Alertmanager or any receiver."""
    baseline = longest_baseline(stack.settings)
    fors = [a.for_ for a in pipeline.load(stack.project).alerting.alerts if a.for_ < MINUTE]
    wait_for("the baselines", lambda: time.time() > stack.started + baseline, baseline + 5)
    stack.wait_evaluations(round(max(fors) / stack.settings.intervals.evaluation) + 5)
    window = f"{round((time.time() - stack.started) * 1000)}ms"
    fired = stack.query(f'ALERTS{{alertstate="firing",alertname!="Watchdog"}}[{window}]')
    assert not fired, sorted({s["metric"]["alertname"] for s in fired})
    alerts = get_json(f"{stack.alertmanager}/api/v2/alerts")
    assert {a["labels"]["alertname"] for a in alerts} == {"Watchdog"}
    assert {r: stack.hooks.alertnames(r) for r in stack.hooks.received} == {"deadmans-switch": {"Watchdog"}}


SHARED_FAULTS = [
    # (fault, alert, severity, service, receiver)
    ({"memory_pressure": "runner"}, "RatContainerMemoryPressure", "warning", "runner", "team-chat"),
    ({"stale_backup": True}, "RatBackupTooOld", "info", "backup", "dashboard-only"),
    # Severity by compose.probe_pages: the portal pages.
    ({"unhealthy": {"portal"}}, "RatPortalDown", "critical", "portal", "pager"),
    # Severity by compose.crash_pages: postgres pages, ratq and the runner file a ticket.
    ({"oom_killed": "postgres"}, "RatServiceOOMKilled", "critical", "postgres", "pager"),
    ({"oom_killed": "ratq"}, "RatContainerOOMKilled", "warning", "ratq", "team-chat"),
    ({"restarting": "runner"}, "RatContainerRestartLoop", "warning", "runner", "team-chat"),
]
FAULTS = {
    GUIDE: [
        ({"unhealthy": {"postgres"}}, "RatPostgresDown", "critical", "postgres", "pager"),
        ({"unhealthy": {"minio"}}, "RatMinioDown", "critical", "minio", "pager"),
        ({"unhealthy": {"runner"}}, "RatRunnerDown", "critical", "runner", "pager"),
        ({"unhealthy": {"ratq"}}, "RatRatqUnhealthy", "warning", "ratq", "team-chat"),
        ({"unhealthy": {"nessie"}}, "RatNessieDown", "warning", "nessie", "team-chat"),
        ({"failing_runs": 4}, "RatPipelineFailures", "warning", "runner", "team-chat"),
        ({"slow_requests": True}, "RatApiHighLatency", "warning", "ratd", "team-chat"),
        ({"queue_full": True}, "RatRunnerQueueFull", "warning", "runner", "team-chat"),
        ({"request_spike": True}, "RatRequestVolumeSpike", "info", "ratd", "dashboard-only"),
        ({"scheduler_stalled": True}, "RatSchedulerTriggerRateChange", "info", "ratd", "dashboard-only"),
        *SHARED_FAULTS,
    ],
    RATD_0_2: [
        ({"unhealthy": {"postgres"}}, "RatPostgresDown", "critical", "postgres", "pager"),
        ({"unhealthy": {"s3"}}, "RatS3Down", "critical", "minio", "pager"),
        ({"unhealthy": {"runner"}}, "RatRunnerDown", "critical", "runner", "pager"),
        ({"pool_saturated": True}, "RatPostgresPoolSaturated", "critical", "ratd", "pager"),
        ({"unhealthy": {"query"}}, "RatQueryDown", "warning", "ratq", "team-chat"),
        ({"unhealthy": {"nessie"}}, "RatNessieDown", "warning", "nessie", "team-chat"),
        ({"plugin_unhealthy": True}, "RatPluginsUnhealthy", "warning", "ratd", "team-chat"),
        ({"slow_ticks": True}, "RatSchedulerSlowTicks", "warning", "ratd", "team-chat"),
        ({"memory_growth": True}, "RatMemoryGrowth", "warning", "ratd", "team-chat"),
        ({"scheduler_stalled": True}, "RatSchedulerStalled", "warning", "ratd", "team-chat"),
        ({"dispatch_stopped": True}, "RatSchedulerDispatchRateChange", "info", "ratd", "dashboard-only"),
        ({"sse_spike": True}, "RatSseConnectionSpike", "info", "ratd", "dashboard-only"),
        *SHARED_FAULTS,
    ],
}
# The dependency whose /health entry each profile's consecutive-failure alerts read.
CONSECUTIVE = {"postgres": "RatPostgresDown", "runner": "RatRunnerDown"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test runs once per profile, each fault test on its profile's faults."""
    if "fault" in metafunc.fixturenames:
        cases = [(profile, *case) for profile in PROFILES for case in FAULTS[profile]]
        names = ("profile", "fault", "name", "severity", "service", "receiver")
        metafunc.parametrize(names, cases, ids=[f"{c[0]}-{c[2]}" for c in cases])
    elif "profile" in metafunc.fixturenames:
        metafunc.parametrize("profile", PROFILES)


def test_fault_fires_routes_and_resolves(
    stack: Stack, fault: dict[str, Any], name: str, severity: str, service: str, receiver: str
) -> None:
    with stack.sim.fault(**fault):
        (alert,) = reach_alertmanager(stack, name)
        assert alert["labels"]["severity"] == severity
        assert alert["labels"]["service"] == service
        assert [r["name"] for r in alert["receivers"]] == [receiver]
        assert stack.route(alert["labels"]) == receiver  # amtool agrees with the running Alertmanager
        if receiver != "dashboard-only":
            wait_for(f"{name} delivered to {receiver}", lambda: name in stack.hooks.alertnames(receiver))
    wait_resolved(stack, name)


SLO_PAGE, SLO_TICKET = "RatApiAvailabilityFastBurn", "RatApiAvailabilitySlowBurn"
# What burns each profile's other SLOs (api-availability: test_ratd_down_pages_once...), at once,
# and where their fast burns go. api-readiness does not page: the dependency's own alert does.
SLO_FAULTS = {
    GUIDE: (
        {"failing_requests": True, "slow_requests": True},
        ("RatRequestAvailabilityFastBurn", "RatRequestLatencyFastBurn"),
        ("critical", "pager"),
    ),
    RATD_0_2: ({"unhealthy": {"runner"}}, ("RatApiReadinessFastBurn",), ("warning", "team-chat")),
}


def test_slo_fast_burns_fire_route_and_resolve(stack: Stack) -> None:
    fault, names, (severity, receiver) = SLO_FAULTS[stack.settings.profile]
    with stack.sim.fault(**fault):
        for name in names:
            (burn,) = reach_alertmanager(stack, name)
            assert burn["labels"]["severity"] == severity and burn["labels"]["service"] == "ratd"
            assert burn["labels"]["slo"] and [r["name"] for r in burn["receivers"]] == [receiver]
            assert stack.route(burn["labels"]) == receiver
            wait_for(f"{name} delivered to {receiver}", lambda n=name: n in stack.hooks.alertnames(receiver))
    for name in names:
        wait_resolved(stack, name)


def test_ratd_down_pages_once_and_inhibits_what_follows(stack: Stack) -> None:
    """A ratd outage fires RatApiDown and burns the api-availability SLO: the on-call engineer
    gets one page. Both are service="ratd", and pages are grouped by service: every notification
    the pager receives is of one group (PagerDuty's dedup key), so one incident, which the SLO
    page joins and, after ratd is back, keeps open until the burn has stopped."""
    stack.hooks.received.clear()  # earlier tests paged for postgres themselves
    with stack.sim.fault(ratd_down=True):
        (down,) = reach_alertmanager(stack, "RatApiDown")
        assert down["labels"]["severity"] == "critical"
        assert [r["name"] for r in down["receivers"]] == ["pager"]
        # ratd's scrape target is down too: Alertmanager holds that warning back.
        (held,) = reach_alertmanager(stack, "RatScrapeTargetDown")
        assert held["status"]["state"] == "suppressed", held["status"]
        assert held["status"]["inhibitedBy"]
        (burn,) = reach_alertmanager(stack, SLO_PAGE)
        assert burn["status"]["state"] == "active" and [r["name"] for r in burn["receivers"]] == ["pager"]
        # The slow burn's ticket fires as well, held back by its SLO's page.
        (ticket,) = reach_alertmanager(stack, SLO_TICKET)
        assert ticket["status"]["state"] == "suppressed", ticket["status"]
        wait_for("the page", lambda: {"RatApiDown", SLO_PAGE} <= stack.hooks.alertnames("pager"))
        # The checks ratd reports fail with it, but their alerts wait for ratd to answer: none
        # fired, even before RatApiDown's inhibition could hold it back (the SLO page came later).
        assert "RatPostgresDown" not in stack.firing() and not stack.alertmanager_alerts("RatPostgresDown")
        # Pages, not the "resolved" notices an earlier test's incident may still send.
        during = [n for n in stack.hooks.received["pager"] if n["status"] == "firing"]
    # One incident: every notification while ratd was down is of one group, and holds nothing but
    # RatApiDown and ratd's SLO pages (under ratd-0.2 the readiness SLO burns too).
    groups = {n["groupKey"]: sorted(a["labels"]["alertname"] for a in n["alerts"]) for n in during}
    assert len(groups) == 1, groups
    (incident,) = groups
    assert {n["groupLabels"]["service"] for n in during} == {"ratd"}
    slo_alerts = {a.name for a in pipeline.load(stack.project).alerting.alerts if a.labels.get("slo")}
    assert {a["labels"]["alertname"] for n in during for a in n["alerts"]} <= {"RatApiDown"} | slo_alerts
    for name in ("RatApiDown", "RatScrapeTargetDown", SLO_PAGE, SLO_TICKET):
        wait_resolved(stack, name)
    # After ratd is back the SLO page fires on until its short window is clean: it stays in the
    # incident, never a page of its own.
    slo_pages = [n for n in stack.hooks.received["pager"] if any(a["labels"].get("slo") for a in n["alerts"])]
    assert {n["groupKey"] for n in slo_pages} == {incident}


def test_blackbox_exporter_down_pages_and_nothing_it_blinds_inhibits_it(stack: Stack) -> None:
    stack.hooks.received.clear()
    with stack.stopped("blackbox"):
        (blind,) = reach_alertmanager(stack, "RatHealthProbesBlind")
        assert blind["labels"]["severity"] == "critical"
        assert blind["status"]["state"] == "active", blind["status"]  # not inhibited
        assert [r["name"] for r in blind["receivers"]] == ["pager"]
        assert stack.route(blind["labels"]) == "pager"
        wait_for("the page", lambda: "RatHealthProbesBlind" in stack.hooks.alertnames("pager"))

        # The probe job's scrape failures are the same news: the page holds their warnings back.
        def probes_down_held() -> bool:
            alerts = stack.alertmanager_alerts("RatScrapeTargetDown")
            probes = [a for a in alerts if a["labels"]["job"] == "rat-probes"]
            return bool(probes) and all(a["status"]["state"] == "suppressed" for a in probes)

        wait_for("RatScrapeTargetDown of the probes held back", probes_down_held)
    for name in ("RatHealthProbesBlind", "RatScrapeTargetDown"):
        wait_resolved(stack, name)
    wait_for("every target up again", stack.all_targets_up, ALERT_TIMEOUT)


def zeros_at_the_end(stack: Stack, check: str) -> int:
    """How many of the newest probe_success samples of that check are 0, in a row."""
    result = stack.query(f'probe_success{{job="rat-probes",check="{check}"}}[30s]')
    values = [float(v) for _, v in result[0]["values"]] if result else []
    count = 0
    for value in reversed(values):
        if value != 0:
            break
        count += 1
    return count


def episode(stack: Stack, check: str, failures: int) -> None:
    """Fail exactly `failures` consecutive probes of `check`, then heal."""
    wait_for(f"a successful {check} probe", lambda: zeros_at_the_end(stack, check) == 0)
    stack.sim.faults.unhealthy = {check}
    try:
        wait_for(f"{failures} failed {check} probes", lambda: zeros_at_the_end(stack, check) >= failures, 10, 0.02)
    finally:
        stack.sim.faults.unhealthy = set()
    assert zeros_at_the_end(stack, check) == failures, "the fault outlived the intended probes"
    wait_for(f"a successful {check} probe after the episode", lambda: zeros_at_the_end(stack, check) == 0)


def fired_since(stack: Stack, name: str, since: float) -> bool:
    """Whether Prometheus recorded `name` firing at any evaluation after `since` (Unix time)."""
    window = f"{max(1, round((time.time() - since) * 1000))}ms"
    return bool(stack.query(f'max_over_time(ALERTS{{alertname="{name}",alertstate="firing"}}[{window}])'))


@pytest.mark.parametrize("check", sorted(CONSECUTIVE))
def test_n_minus_one_consecutive_failures_do_not_fire_and_n_do(stack: Stack, check: str) -> None:
    failures = stack.settings.thresholds.consecutive_failures[check]
    name = CONSECUTIVE[check]
    wait_resolved(stack, name)
    start = time.time()
    episode(stack, check, failures - 1)
    stack.wait_evaluations(3)
    assert not fired_since(stack, name, start), f"{name} fired after {failures - 1} consecutive failures"

    start = time.time()
    episode(stack, check, failures)
    wait_for(f"{name} to have fired after {failures} failures", lambda: fired_since(stack, name, start))
    wait_resolved(stack, name)


def test_the_stack_used_only_loopback(stack: Stack) -> None:
    targets = {r["metric"]["instance"] for r in stack.query("up")}
    assert all(t.startswith(("127.0.0.1:", "http://127.0.0.1:")) for t in targets), targets
    config = Path(stack.workdir / "generated/alertmanager/alertmanager.yml").read_text()
    assert "http://127.0.0.1:" in config and "example.com" not in config


def test_every_panel_query_returns_data(stack: Stack) -> None:
    """Every Prometheus query of every dashboard, with Grafana's variables expanded as the
    dashboards open ("All"), returns at least one series. Logs panels query Loki, which does not
    run here (no Debian package); their stream labels are checked by the panel-loki-labels lint
    rule. An alert fires meanwhile, so that the Firing Alerts panel has something to show."""
    project = pipeline.Project(root=REPO, settings_path=stack.workdir / "monitoring.yaml")
    bundle = pipeline.load(project)
    with stack.sim.fault(unhealthy={"nessie"}):
        reach_alertmanager(stack, "RatNessieDown")
        queried = 0
        for dashboard in bundle.dashboards:
            for panel, expr in expanded_promql(dashboard, bundle.settings):
                wait_for(f"panel {dashboard.uid}/{panel.title} to return data: {expr}", lambda e=expr: stack.query(e))
                queried += 1
        # Each guide's panels and the firing alerts; logs panels query Loki.
        assert queried >= {GUIDE: 9, RATD_0_2: 10}[stack.settings.profile]
    wait_resolved(stack, "RatNessieDown")


def test_previews_from_the_real_prometheus_draw_every_panel(stack: Stack, tmp_path: Path) -> None:
    """`mac preview --prometheus-url`: every panel of every dashboard's preview draws something of
    what this Prometheus returns (logs panels: Loki does not run here), and says whose data it is."""
    settings = stack.workdir / "monitoring.yaml"
    out = tmp_path / "previews"
    args = ["--root", str(REPO), "--settings", str(settings), "preview", "--prometheus-url", stack.prometheus]
    with stack.sim.fault(unhealthy={"nessie"}):
        reach_alertmanager(stack, "RatNessieDown")  # the Firing Alerts panel has a row
        result = CliRunner().invoke(main, [*args, "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    wait_resolved(stack, "RatNessieDown")
    generated = stack.workdir / "generated" / "grafana" / "dashboards"
    for path in sorted(generated.glob("*.json")):
        dashboard = json.loads(path.read_text())
        svg = (out / f"{dashboard['uid']}.svg").read_text()
        assert f"what the Prometheus at {stack.prometheus} returned" in svg
        _, groups = panel_groups(svg, path.name)
        loki = {str(p["id"]) for p in dashboard["panels"] if p["datasource"]["type"] == LOKI}
        # Time to exhaustion is the budget over the burn rate: undefined (0/0, a gap) until an
        # error or a request lands in the hour, as Grafana shows it too; the stack's timing decides.
        undefined = {str(p["id"]) for p in dashboard["panels"] if p["title"].endswith(": time to exhaustion")}
        # postgres_exporter's job scrapes every 3 s here (its min_interval) while the datasource's
        # interval is the profile's 1 s: a `$__rate_interval` window may hold one sample of it.
        undefined |= {
            str(p["id"])
            for p in dashboard["panels"]
            if any("pg_" in t["expr"] and "$__rate_interval" in t["expr"] for t in p.get("targets", []))
        }
        for group in groups:
            if group.get("data-panel-id") in loki | undefined:
                continue
            content = next(g for g in group.iter(f"{SVG}g") if g.get("class") == "content")
            shown = [e for e in content.iter() if e is not content and e.get("class") != "no-data"]
            assert shown, f"{dashboard['uid']} panel {group.get('data-title')!r} draws nothing"


def verify_prometheus(stack: Stack, *options: str) -> Result:
    settings = stack.workdir / "monitoring.yaml"
    args = ["--root", str(REPO), "--settings", str(settings), "verify", "--prometheus-url", stack.prometheus]
    return CliRunner().invoke(main, [*args, *options], catch_exceptions=False)


def test_verify_asks_prometheus_what_each_job_has(stack: Stack) -> None:
    """`mac verify --prometheus-url`: nothing blind against the RAT of the stack's profile; the
    other profile's ratd alerts blind ("serves none"); and a ratd that is down blinds its readers."""
    result = verify_prometheus(stack)
    assert result.exit_code == 0, result.output
    assert f"profile {stack.settings.profile}: nothing is blind" in result.output
    assert "job ratd: serves everything the monitoring reads" in result.output

    other = next(p for p in PROFILES if p != stack.settings.profile)
    result = verify_prometheus(stack, "--profile", other)
    assert result.exit_code == 1, result.output
    assert "job ratd: " in result.output and "serves none of the source's metrics" in result.output
    blind_ratd = {GUIDE: "alert RatApiHighLatency", RATD_0_2: "alert RatMemoryGrowth"}[other]
    assert f"blind: {blind_ratd} (serves none of the source's metrics)" in result.output

    with stack.sim.fault(ratd_down=True):
        wait_for("ratd's scrape to fail", lambda: stack.query('up{job="ratd"} == 0'), ALERT_TIMEOUT)
        result = verify_prometheus(stack)
    assert result.exit_code == 1, result.output
    mine = {GUIDE: "alert RatApiHighLatency", RATD_0_2: "alert RatMemoryGrowth"}[stack.settings.profile]
    assert f"blind: {mine} (target down)" in result.output
    assert "blind: alert RatHostDiskFull" not in result.output  # node-exporter is still up
    wait_resolved(stack, "RatApiDown")


# -- Postgres, from a real PostgreSQL 15 and Debian's postgres_exporter 0.11 --------------------
def wait_suppressed(stack: Stack, name: str) -> None:
    """Until Alertmanager holds `name` back (it may arrive before the alert that inhibits it)."""

    def held() -> bool:
        alerts = stack.alertmanager_alerts(name)
        return bool(alerts) and all(a["status"]["state"] == "suppressed" for a in alerts)

    wait_for(f"{name} held back", held, ALERT_TIMEOUT)


def test_postgres_exporter_serves_every_series_the_monitoring_reads(stack: Stack) -> None:
    """The exposition of the real exporter, read as `mac verify --metrics-url` reads a target's:
    every pg_* series an alert or panel reads is there, with the labels the rules rely on."""
    url = f"http://127.0.0.1:{stack.ports['postgres_exporter']}/metrics"
    wait_for("the exporter to reach Postgres", lambda: stack.query('pg_up{job="postgres-exporter"} == 1'))
    settings = stack.workdir / "monitoring.yaml"
    args = ["--root", str(REPO), "--settings", str(settings), "verify", "--metrics-url", url]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"profile {stack.settings.profile}: nothing is blind" in result.output
    assert "(postgres_exporter)" in result.output


def test_postgres_connections_exhausted_pages(stack: Stack) -> None:
    """Every connection slot taken by client sessions: the page fires, and the warning at the
    lower threshold, firing too, is held back by it (one service, one page)."""
    free = MAX_CONNECTIONS - (stack.postgres.connections() - 1)  # the counting session ends
    for _ in range(free):
        stack.postgres.hold()
    try:
        (page,) = reach_alertmanager(stack, "RatPostgresConnectionsExhausted")
        assert page["labels"]["severity"] == "critical" and page["labels"]["service"] == "postgres"
        assert [r["name"] for r in page["receivers"]] == ["pager"]
        reach_alertmanager(stack, "RatPostgresConnectionsHigh")
        wait_suppressed(stack, "RatPostgresConnectionsHigh")
    finally:
        stack.postgres.release()
    wait_resolved(stack, "RatPostgresConnectionsExhausted")
    wait_resolved(stack, "RatPostgresConnectionsHigh")


def test_postgres_long_transaction_fires(stack: Stack) -> None:
    stack.postgres.hold("BEGIN; SELECT txid_current();")  # then idle in transaction
    try:
        (alert,) = reach_alertmanager(stack, "RatPostgresLongTransaction")
        assert alert["labels"]["datname"] == "rat" and alert["labels"]["severity"] == "warning"
    finally:
        stack.postgres.release()
    wait_resolved(stack, "RatPostgresLongTransaction")


def test_postgres_stopped_gives_one_page(stack: Stack) -> None:
    """Postgres stopped, and ratd's check of it failing: RatPostgresDown pages; the exporter's
    RatPostgresUnreachable fires too, held back as a warning of the same service; every page
    sent meanwhile is of the one postgres group. The exporter alone failing to connect (the
    monitoring role's day one) is a ticket, never a page."""
    stack.hooks.received.clear()
    with stack.postgres.stopped(), stack.sim.fault(unhealthy={"postgres"}):
        (unreachable,) = reach_alertmanager(stack, "RatPostgresUnreachable")
        (down,) = reach_alertmanager(stack, "RatPostgresDown")
        assert [r["name"] for r in down["receivers"]] == ["pager"]
        wait_suppressed(stack, "RatPostgresUnreachable")
        wait_for("the page", lambda: "RatPostgresDown" in stack.hooks.alertnames("pager"))
        during = [n for n in stack.hooks.received["pager"] if n["status"] == "firing"]
    assert {n["groupKey"] for n in during} and {n["groupLabels"]["service"] for n in during} == {"postgres"}
    assert len({n["groupKey"] for n in during}) == 1
    assert unreachable["labels"]["severity"] == "warning"
    wait_resolved(stack, "RatPostgresDown")
    wait_resolved(stack, "RatPostgresUnreachable")


# The check of ratd's health endpoint that fails with MinIO, and the page it gives, per profile.
MINIO_CHECKS = {GUIDE: ("minio", "RatMinioDown"), RATD_0_2: ("s3", "RatS3Down")}


def test_minio_stopped_gives_one_page(stack: Stack) -> None:
    """MinIO stopped, and ratd's check of it failing: ratd's check pages; MinIO's own scrape job
    goes down too (RatScrapeTargetDown, service minio), held back as a warning of the same
    service, and MinIO's series vanish, so none of alerts/minio.py fires: one page."""
    check, page = MINIO_CHECKS[stack.settings.profile]

    def no_page_firing() -> bool:
        # An earlier test's incident (an SLO's fast burn outlasts its outage) must end first.
        pages = get_json(f"{stack.alertmanager}/api/v2/alerts?filter=severity%3D%22critical%22")
        return not [a for a in pages if a["status"]["state"] != "resolved"]

    wait_for("earlier pages to resolve", no_page_firing, 3 * ALERT_TIMEOUT)
    stack.hooks.received.clear()

    def minio_target_down() -> list[dict[str, Any]]:
        alerts = stack.alertmanager_alerts("RatScrapeTargetDown")
        return [a for a in alerts if a["labels"]["job"] == "minio" and a["status"]["state"] == "suppressed"]

    with stack.sim.fault(minio_down=True, unhealthy={check}):
        (down,) = reach_alertmanager(stack, page)
        assert [r["name"] for r in down["receivers"]] == ["pager"]
        (held,) = wait_for("MinIO's scrape target down, held back", minio_target_down, ALERT_TIMEOUT)
        assert held["labels"]["service"] == "minio" and held["status"]["inhibitedBy"]
        wait_for("the page", lambda: page in stack.hooks.alertnames("pager"))
        during = [n for n in stack.hooks.received["pager"] if n["status"] == "firing"]
        assert not any(name.startswith("RatMinio") and name != page for name in stack.firing())
    assert len({n["groupKey"] for n in during}) == 1
    assert {n["groupLabels"]["service"] for n in during} == {"minio"}
    wait_resolved(stack, page)
    wait_resolved(stack, "RatScrapeTargetDown")
