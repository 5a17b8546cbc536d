"""The health probes on a cluster (kubernetes output): RatHealthProbesBlind, compose's alert of
the same name (meta.py) for the Probes. The dependency alerts and both probe SLOs read
`probe_success` (RatApiDown reads `up` here); a blackbox_exporter missing at
`kubernetes.prober`, a Probe the operator does not pick up or a probe job gone leaves no result,
and they all go silent. kube-prometheus' TargetDown sees a failing scrape, not a job that is gone.
"""

from __future__ import annotations

from alerts._shared import PROBE_JOB, VALUE, absent_for, scenario_instance, window
from alerts.replicas import kubectl, rat_namespace
from monitoring_as_code.model import KUBERNETES, Alert, Firing, Runbook, Scenario
from monitoring_as_code.outputs.kubernetes.settings import SECTION as KUBERNETES_SETTINGS
from monitoring_as_code.settings import Settings

PLATFORMS = (KUBERNETES,)


def define(settings: Settings) -> list[Alert]:
    k8s = settings.of(KUBERNETES_SETTINGS)
    blind_for = absent_for(settings, settings.thresholds.target_down_for)
    live = f'job="{PROBE_JOB}",check="live",{rat_namespace(settings)}'
    return [
        Alert(
            # `absent` holds whatever the cause. No `depends_on`: RatApiDown cannot inhibit it.
            name="RatHealthProbesBlind",
            expr=f"absent(probe_success{{{live}}})",
            for_=blind_for,
            severity="critical",
            service=PROBE_JOB,
            condition="Health probes blind",
            check=f"probe_success (live) in {k8s.rat_namespace} absent",
            threshold=f"for {window(blind_for)}",
            summary="No health probe results: RAT's health alerts are blind",
            description=(
                "No probe_success of ratd's live check in namespace {{ $labels.namespace }} for "
                f"{window(blind_for)} (absent = {VALUE}): the blackbox_exporter at {k8s.prober} is "
                "missing or unreachable, or the Probes are not picked up, and no RAT health alert can fire."
            ),
            runbook=Runbook(
                "Prometheus has no result of the live probe: every dependency alert and the probe SLOs "
                "cannot fire, whatever RAT's state.",
                [
                    f"`kubectl -n {k8s.namespace} get probes -l app.kubernetes.io/part-of=rat-monitoring`: "
                    "are the Probes there, with the labels Prometheus' probeSelector wants?",
                    f"Is a blackbox_exporter running at `kubernetes.prober` ({k8s.prober})? "
                    "`kubectl get svc,endpoints -A | grep blackbox` (docs/kubernetes.md: the stack ships none).",
                    f"Prometheus' Targets page, the probe/{k8s.namespace}/rat-probe-live pool: the scrape error.",
                    "Until it is back, watch RAT's pods' readiness: " + kubectl(settings, "get pods -o wide") + ".",
                ],
            ),
            scenarios=_scenarios(settings, blind_for),
        ),
    ]


def _scenarios(settings: Settings, for_: float) -> list[Scenario]:
    namespace = settings.of(KUBERNETES_SETTINGS).rat_namespace
    instance = scenario_instance(settings.targets.ratd, settings.health.live_path)
    live = f'job="{PROBE_JOB}",check="live",instance="{instance}"'
    ours, other = f'{live},namespace="{namespace}"', f'{live},namespace="{namespace}-other"'
    samples = int((for_ + 120) // settings.intervals.scrape)
    at = samples * settings.intervals.scrape
    fires = [Firing({"job": PROBE_JOB, "check": "live", "namespace": namespace}, 1)]
    return [
        Scenario("fires when the probe scrapes fail", {f"up{{{ours}}}": f"0x{samples}"}, at=at, fires=fires),
        Scenario(
            "fires when the results stop", {f"probe_success{{{ours}}}": f"1 stale _x{samples}"}, at=at, fires=fires
        ),
        # Another RAT's probe (another namespace) says nothing about ours.
        Scenario(
            "fires when only another namespace is probed",
            {f"probe_success{{{other}}}": f"1x{samples}"},
            at=at,
            fires=fires,
        ),
        Scenario("silent while probes succeed", {f"probe_success{{{ours}}}": f"1x{samples}"}, at=at),
        # ratd down is RatApiDown's: the probe still reports, with 0.
        Scenario("silent while ratd is down but probed", {f"probe_success{{{ours}}}": f"0x{samples}"}, at=at),
    ]
