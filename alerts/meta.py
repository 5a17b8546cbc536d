"""Meta-monitoring: the monitoring watches itself."""

from __future__ import annotations

from alerts import minio
from alerts._shared import ALERTMANAGER_JOB, PROBE_JOB, PROMETHEUS_JOB, RATD_JOB, VALUE, absent_for, window
from monitoring_as_code.model import COMPOSE, Alert, Firing, Runbook, Scenario
from monitoring_as_code.settings import Settings

# The compose stack's own Prometheus and Alertmanager; kube-prometheus alerts on its own.
PLATFORMS = (COMPOSE,)

# RatScrapeTargetDown's `service` is the job's name, but for a second job of one service: MinIO's
# node endpoint is MinIO, so RatS3Down's critical-over-warning inhibition mutes it too.
SERVICE_OF_JOB = {minio.NODE_JOB: minio.SERVICE}


def target_down_expr() -> str:
    expr = 'label_replace(up == 0, "service", "$1", "job", "(.+)")'
    for job, service in SERVICE_OF_JOB.items():
        expr = f'label_replace({expr}, "service", "{service}", "job", "{job}")'
    return expr


def _counter_scenarios(
    metric: str,
    labels: dict[str, str],
    group_by: tuple[str, ...],
    settings: Settings,
    window_seconds: float,
    for_: float,
) -> list[Scenario]:
    """A counter growing by one per scrape fires; a flat one does not."""
    selector = f"{metric}{{{','.join(f'{k}={chr(34)}{v}{chr(34)}' for k, v in labels.items())}}}"
    samples = int((window_seconds + for_ + 300) // settings.intervals.scrape)
    at = samples * settings.intervals.scrape
    per_window = window_seconds / settings.intervals.scrape
    return [
        Scenario(
            "fires while failures keep coming",
            {selector: f"0+1x{samples}"},
            at=at,
            fires=[Firing({k: labels[k] for k in group_by}, per_window)],
        ),
        Scenario("silent without failures", {selector: f"0x{samples}"}, at=at),
    ]


def define(settings: Settings) -> list[Alert]:
    t = settings.thresholds
    rate = window(settings.windows.rate)
    blind_for = absent_for(settings, t.target_down_for)
    return [
        Alert(
            name="Watchdog",
            expr="vector(1)",
            severity="info",
            service="monitoring",
            condition="Alerting pipeline alive",
            check="always firing",
            threshold="always",
            summary="The alerting pipeline works (this alert always fires)",
            description=(
                f"Always firing (value {VALUE}). It is routed to an external dead-man's switch, "
                "which alarms when these notifications stop."
            ),
            runbook=Runbook(
                "Not a problem: proof that Prometheus evaluates rules and Alertmanager delivers. The "
                "dead-man's switch service alarms when it stops receiving it.",
                [
                    "If the dead-man's switch alarms: is Prometheus up? Alertmanager? Can Alertmanager "
                    "reach the switch's URL?",
                ],
            ),
            scenarios=[
                Scenario("always fires", {f'up{{job="{PROMETHEUS_JOB}"}}': "1x4"}, at="1m", fires=[Firing({}, 1)])
            ],
            lint_disable={
                "alert-comparison": "a dead-man's switch heartbeat must fire unconditionally",
                "alert-scenarios": "it can never be silent; its silence is what the external switch detects",
            },
        ),
        Alert(
            name="RatScrapeTargetDown",
            expr=target_down_expr(),
            for_=t.target_down_for,
            severity="warning",
            service=None,
            condition="Scrape target down",
            check="up == 0",
            threshold=f"for {window(t.target_down_for)}",
            summary="Prometheus cannot scrape a target",
            description="{{ $labels.job }} target {{ $labels.instance }} is down (up = " + VALUE + ").",
            runbook=Runbook(
                "Prometheus cannot scrape this target: the service is down, or not on a network the "
                "monitoring stack shares, or its metrics endpoint moved.",
                [
                    "Prometheus' Targets page (Status -> Targets) shows the scrape error.",
                    "Is the container running? Does `monitoring.yaml` name the right address?",
                ],
            ),
            scenarios=_target_down_scenarios(settings),
        ),
        Alert(
            # Every alert read through blackbox_exporter (RatApiDown and the subsystem alerts) is
            # blind without probe results, and RatScrapeTargetDown is only a business-hours warning.
            # (The kubernetes variant's own RatHealthProbesBlind is in alerts/probes_blind.py.)
            # `absent` holds whatever the cause: the exporter down or unreachable, the probe job or
            # the live probe gone from prometheus.yml. No `depends_on`: RatApiDown cannot inhibit it.
            name="RatHealthProbesBlind",
            expr=f'absent(probe_success{{job="{PROBE_JOB}",check="live"}})',
            for_=blind_for,
            severity="critical",
            service=PROBE_JOB,  # over RatScrapeTargetDown's warnings for the same job
            condition="Health probes blind",
            check="probe_success (live) absent",
            threshold=f"for {window(blind_for)}",
            summary="No health probe results: RAT's health alerts are blind",
            description=(
                f"No probe_success of ratd's live check for {window(blind_for)} (absent = {VALUE}): "
                "blackbox_exporter is down or unreachable, or the probe job is gone, and no RAT health "
                "alert can fire."
            ),
            runbook=Runbook(
                "Prometheus has no result of the live probe: RatApiDown and every subsystem alert "
                "cannot fire, whatever RAT's state.",
                [
                    "`docker compose ps blackbox-exporter`: running and healthy? Its logs name a configuration error.",
                    "Prometheus' Targets page, job rat-probes: the scrape error.",
                    "Until it is back, watch RAT's own health checks (`docker compose ps`).",
                ],
            ),
            scenarios=_probes_blind_scenarios(settings, blind_for),
        ),
        Alert(
            name="PrometheusRuleEvaluationFailures",
            expr=(
                f"sum by (job, instance, rule_group) (increase(prometheus_rule_evaluation_failures_total"
                f'{{job="{PROMETHEUS_JOB}"}}[{rate}])) > 0'
            ),
            for_=t.rule_failures_for,
            severity="warning",
            service="monitoring",
            condition="Rule evaluation failures",
            check="prometheus_rule_evaluation_failures_total",
            threshold=f"any, for {window(t.rule_failures_for)}",
            summary="Prometheus fails to evaluate rules",
            description=f"{VALUE} evaluations of rule group {{{{ $labels.rule_group }}}} failed in the last {rate}.",
            runbook=Runbook(
                "Some rules cannot be evaluated, so their alerts can never fire.",
                ["Prometheus' Rules page (Status -> Rules) shows the error of each failing rule."],
            ),
            scenarios=_counter_scenarios(
                "prometheus_rule_evaluation_failures_total",
                {"job": PROMETHEUS_JOB, "instance": "localhost:9090", "rule_group": "rules/api.yml;api"},
                ("job", "instance", "rule_group"),
                settings,
                settings.windows.rate,
                t.rule_failures_for,
            ),
        ),
        Alert(
            name="PrometheusNotificationsFailing",
            expr=(
                f"sum by (job, instance) (increase(prometheus_notifications_errors_total"
                f'{{job="{PROMETHEUS_JOB}"}}[{rate}])) > 0'
            ),
            for_=t.notification_failures_for,
            severity="critical",
            service="monitoring",
            condition="Alerts not reaching Alertmanager",
            check="prometheus_notifications_errors_total",
            threshold=f"any, for {window(t.notification_failures_for)}",
            summary="Prometheus cannot send alerts to Alertmanager",
            description=f"{VALUE} alert sends from Prometheus to Alertmanager failed in the last {rate}.",
            runbook=Runbook(
                "Prometheus cannot deliver alerts to Alertmanager: nothing notifies, except the "
                "dead-man's switch going quiet.",
                ["Is Alertmanager up? Prometheus' logs name the failing Alertmanager address."],
            ),
            scenarios=_counter_scenarios(
                "prometheus_notifications_errors_total",
                {"job": PROMETHEUS_JOB, "instance": "localhost:9090", "alertmanager": "http://alertmanager:9093"},
                ("job", "instance"),
                settings,
                settings.windows.rate,
                t.notification_failures_for,
            ),
        ),
        Alert(
            name="AlertmanagerNotificationsFailing",
            expr=(
                f"sum by (job, instance, integration) (increase(alertmanager_notifications_failed_total"
                f'{{job="{ALERTMANAGER_JOB}"}}[{rate}])) > 0'
            ),
            for_=t.notification_failures_for,
            severity="critical",
            service="monitoring",
            condition="Notifications failing",
            check="alertmanager_notifications_failed_total",
            threshold=f"any, for {window(t.notification_failures_for)}",
            summary="Alertmanager cannot deliver notifications",
            description=(f"{VALUE} notifications through {{{{ $labels.integration }}}} failed in the last {rate}."),
            runbook=Runbook(
                "Alertmanager reaches its receivers no more: pages and messages are lost.",
                [
                    "Alertmanager's logs name the receiver and the error (DNS, TLS, 4xx from the service).",
                    "Check the secret files the receivers read (`*_file` settings) and that they are mounted.",
                ],
            ),
            scenarios=_counter_scenarios(
                "alertmanager_notifications_failed_total",
                {"job": ALERTMANAGER_JOB, "instance": "alertmanager:9093", "integration": "slack"},
                ("job", "instance", "integration"),
                settings,
                settings.windows.rate,
                t.notification_failures_for,
            ),
        ),
    ]


def _probes_blind_scenarios(settings: Settings, for_: float) -> list[Scenario]:
    live = f'job="{PROBE_JOB}",check="live",instance="http://{settings.targets.ratd}{settings.health.live_path}"'
    samples = int((for_ + 120) // settings.intervals.scrape)
    at = samples * settings.intervals.scrape
    return [
        Scenario(
            "fires when the probe scrapes fail",
            {f"up{{{live}}}": f"0x{samples}"},
            at=at,
            fires=[Firing({"job": PROBE_JOB, "check": "live"}, 1)],
        ),
        Scenario(
            "fires when the results stop",
            {f"probe_success{{{live}}}": f"1 stale _x{samples}"},
            at=at,
            fires=[Firing({"job": PROBE_JOB, "check": "live"}, 1)],
        ),
        Scenario("silent while probes succeed", {f"probe_success{{{live}}}": f"1x{samples}"}, at=at),
        # ratd down is RatApiDown's: the probe still reports, with 0.
        Scenario("silent while ratd is down but probed", {f"probe_success{{{live}}}": f"0x{samples}"}, at=at),
    ]


def _target_down_scenarios(settings: Settings) -> list[Scenario]:
    labels = {"job": RATD_JOB, "instance": settings.targets.ratd}
    series = f'up{{job="{RATD_JOB}",instance="{settings.targets.ratd}"}}'
    samples = int((settings.thresholds.target_down_for + 120) // settings.intervals.scrape)
    at = samples * settings.intervals.scrape
    return [
        Scenario(
            "fires when a target stays down",
            {series: f"1 0x{samples - 1}"},
            at=at,
            fires=[Firing({**labels, "service": RATD_JOB}, 0)],
        ),
        Scenario("silent while the target is up", {series: f"1x{samples}"}, at=at),
        *(
            Scenario(
                f"{job} down is {service}'s",
                {f'up{{job="{job}",instance="{minio.INSTANCE}"}}': f"1 0x{samples - 1}"},
                at=at,
                fires=[Firing({"job": job, "instance": minio.INSTANCE, "service": service}, 0)],
            )
            for job, service in SERVICE_OF_JOB.items()
        ),
    ]
