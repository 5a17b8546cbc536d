"""Selectors and helpers the alert modules share (kubernetes-mixin's `config`, for names that are
ours rather than the site's; site-specific values live in monitoring.yaml)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from monitoring_as_code.duration import format_duration
from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.model import KUBERNETES, Alert, Firing, Runbook, Scenario
from monitoring_as_code.outputs.kubernetes.settings import IN_CLUSTER_SERVICES
from monitoring_as_code.outputs.kubernetes.settings import SECTION as KUBERNETES_SETTINGS
from monitoring_as_code.settings import Settings

RATD_JOB = "ratd"
RATD_METRICS_PATH = "/metrics"
PROBE_JOB = "rat-probes"
SERVICE_CHECK = "service"  # on a cluster: the probe of the Service users reach ratd through
CADVISOR_JOB = "cadvisor"
NODE_JOB = "node-exporter"
PROMETHEUS_JOB = "prometheus"
ALERTMANAGER_JOB = "alertmanager"

# On a cluster: kubelet's cAdvisor endpoint and kube-state-metrics as kube-prometheus scrapes them.
KUBELET_CADVISOR = 'job="kubelet",metrics_path="/metrics/cadvisor"'
KUBE_STATE_METRICS = 'job="kube-state-metrics"'

# The seven containers of RAT, as their compose service names.
RAT_SERVICES = ("ratd", "ratq", "runner", "portal", "postgres", "minio", "nessie")
# cAdvisor exports Docker labels; this one carries the compose service name.
COMPOSE_SERVICE_LABEL = "container_label_com_docker_compose_service"
# Real filesystems only: container overlays and memory-backed mounts never fill the disk.
FILESYSTEMS = 'fstype!~"tmpfs|overlay|squashfs|nsfs|devtmpfs|ramfs"'

# Alerts with this label mean nothing while ratd itself is down; RatApiDown inhibits them.
DEPENDS_ON_RATD = {"depends_on": "ratd"}

VALUE = "{{ $value | humanize }}"
PERCENT = "{{ $value | humanizePercentage }}"


@attrs.frozen
class Dependency:
    """A row of a guide's alert table for a dependency ratd reports through a health endpoint."""

    check: str  # the key the endpoint names it by, and the probe's `check` label
    alert: str
    severity: str
    condition: str  # the guide's "Condition" column
    meaning: str


def num(value: float) -> str:
    """A threshold as PromQL and people write it: 90, not 90.0."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def window(seconds: float) -> str:
    return format_duration(seconds)


# The labels an aggregation over a job keeps: the job, and its namespace (a cluster Prometheus
# scrapes every namespace, and two RATs must not be summed into one). Compose series have no
# namespace, and grouping by it there changes nothing (catalog.PLATFORM_LABELS): one rule text,
# tested once, serves both platforms.
BY_JOB = "namespace, job"


def baseline_is_complete(selector: str, baseline: float, settings: Settings) -> str:
    """An `and` clause that holds only once `selector` has data a whole baseline ago. Until then
    (a new Prometheus, a new ratd) a rate over the baseline divides a short history by the full
    window and underestimates it, so every comparison with it would cry wolf."""
    return (
        f"and on ({BY_JOB}) count by ({BY_JOB}) "
        f"(present_over_time({selector}[{window(settings.windows.rate)}] offset {window(baseline)}))"
    )


def not_above(threshold: float, start: float, computed: Callable[[float], float], towards: float) -> float:
    """The input nearest `start` (stepping towards `towards`) whose result, computed as the rule
    computes it, is not above `threshold`. Python's floats are IEEE doubles like Prometheus', so a
    near-miss "at the threshold" stays at it rather than a rounding error above it (1 - 430/1000
    is 0.5700000000000001)."""
    value = start
    while computed(value) > threshold:
        value = math.nextafter(value, towards)
    return value


# promtool reads an instant selector's samples up to 5 minutes back (its lookback delta).
LOOKBACK = 300.0
PACES = (15.0, 30.0, 60.0, 120.0, 300.0)
SCENARIO_SAMPLES = 2000  # at most, per input series of a scenario paced by `pace`


def pace(span: float, settings: Settings, coarsest: float = LOOKBACK) -> float:
    """How often a scenario spanning `span` samples its series and promtool evaluates the rules:
    the scrape interval, or coarser for spans of days (at most SCENARIO_SAMPLES samples), never
    beyond the lookback, so that an instant selector always sees the latest sample, nor beyond
    `coarsest` (a quarter of a rate window keeps a rate() defined)."""
    scrape = settings.intervals.scrape
    allowed = [p for p in PACES if scrape <= p <= min(coarsest, LOOKBACK)]
    fitting = [p for p in allowed if p * SCENARIO_SAMPLES >= span]
    if span <= scrape * SCENARIO_SAMPLES or not allowed:
        return scrape
    return min(fitting, default=max(allowed))


def on_grid(samples: int, per_evaluation: int) -> int:
    """`samples` rounded up to whole evaluation steps of `per_evaluation` samples each."""
    return -(-samples // per_evaluation) * per_evaluation


@attrs.frozen
class BaselineTiming:
    """When the scenarios of an alert comparing a short window with a long baseline sample, are
    evaluated and are judged, in samples from the start."""

    step: float  # seconds between samples
    every: float  # seconds between evaluations: a whole number of steps
    steady: int  # the steady history: the whole baseline
    at: int  # where the firing and near-miss scenarios are judged: the steady history, then the tail
    filling_at: int  # where "silent while the baseline is still filling" is judged

    @property
    def tail(self) -> int:
        return self.at - self.steady

    @property
    def filling(self) -> int:
        """The short history "still filling" starts with, before its tail."""
        return self.filling_at - self.tail

    @property
    def timing(self) -> dict[str, float]:
        return {"interval": self.step, "evaluation_interval": self.every}


def baseline_timing(
    baseline: float,
    held: Callable[[float], float],
    fits: Callable[[int, int], bool],
    settings: Settings,
    *,
    finest: float,
    evaluations: float,
    coarsest: float = LOOKBACK,
) -> BaselineTiming | None:
    """Samples every `finest` seconds or coarser (days of baseline), evaluations every
    `evaluations` seconds where the baseline leaves room, else at every sample: each evaluation
    reads the whole baseline, so fewer make promtool faster. `held(every)` is how long a change
    must last to fire, `fits(tail, steady)` whether the baseline still tells it apart then.
    None: no timing fits (the settings make the alert unable to fire)."""
    step = max(settings.intervals.scrape, finest, pace(baseline, settings, coarsest))
    steady = int(baseline // step)
    for every in (max(evaluations, step), step):
        per_evaluation = max(1, round(every / step))
        at = on_grid(steady + math.ceil(held(per_evaluation * step) / step), per_evaluation)
        # "Still filling": about a sixth of the baseline and the tail, short of the whole baseline
        # (so the baseline guard still finds nothing), on the evaluation grid.
        latest = (steady - 1) // per_evaluation * per_evaluation
        filling_at = min(on_grid(steady // 6 + at - steady, per_evaluation), latest)
        if fits(at - steady, steady) and filling_at > at - steady:
            return BaselineTiming(step, per_evaluation * step, steady, at, filling_at)
    return None


def scheduler_stop_timing(alert: str, settings: Settings, *, counter: bool) -> BaselineTiming:
    """The timing of a scheduler rate-change alert's scenarios: steady over the baseline, then a
    stop, which must fire before its zeros fill the baseline (the ratio is 0/0 then). Sampled once
    a minute at most, and for a counter's rate() at least four times per rate window."""
    w, t = settings.windows, settings.thresholds
    timing = baseline_timing(
        w.scheduler_baseline,
        # The rate window and `for`, plus one step for the pending state to start and one for `for` to end.
        lambda every: w.scheduler_rate + t.scheduler_rate_for + 2 * every,
        lambda tail, steady: tail < steady,
        settings,
        finest=min(60.0, w.scheduler_rate / 4),
        evaluations=300.0,
        coarsest=w.scheduler_rate / 4 if counter else LOOKBACK,
    )
    if timing is None:
        raise DefinitionError(
            f"a stopped scheduler's zeros fill windows.scheduler_baseline before {alert} could fire (after "
            "windows.scheduler_rate and thresholds.scheduler_rate_for): lengthen the baseline or shorten those",
            obj="settings windows.scheduler_baseline",
            file=settings.source,
        )
    return timing


# Prometheus scrapes a target only after its discovery manager's first update, sent every 5s.
DISCOVERY_DELAY = 5.0


def absent_for(settings: Settings, wanted: float) -> float:
    """A `for` for an absent() alert: `absent` also holds before the first scrape after a start,
    so the window covers the discovery delay and two scrapes, in whole evaluation intervals."""
    start_up = DISCOVERY_DELAY + 2 * settings.intervals.scrape
    evaluation = settings.intervals.evaluation
    return max(wanted, math.ceil(start_up / evaluation) * evaluation)


def consecutive_failures_for(failures: int, settings: Settings, interval: float | None = None) -> float:
    """`for:` that makes `probe_success == 0` fire on the N-th failed probe in a row and never
    sooner: the first failure makes the alert pending, each further probe adds one interval
    (`interval`: the probe's, when not the scrape interval). An instant selector plus `for`
    means the same in Prometheus 2 and 3 (no range selector, whose left edge Prometheus 3 made open)."""
    return (failures - 1) * (interval or settings.intervals.scrape)


def scenario_instance(host: str, path: str) -> str:
    """The `instance` a probe scenario's series carry. No expression selects on it, so any value
    tests the same rule; RAT's compose address on every platform lets each output's variant of
    a probe alert be tested once (validate/promtool.py runs a test shared by two outputs once)."""
    return f"http://{host}{path}"


def failures_text(failures: int) -> str:
    return "any failure" if failures == 1 else f"{failures}+ consecutive failures"


# ratd's liveness probe, and one series of it as the scenarios give it.
LIVE = f'probe_success{{job="{PROBE_JOB}",check="live"}}'
LIVE_SCENARIO_SERIES = f'probe_success{{job="{PROBE_JOB}",check="live",instance="http://ratd:8080/health/live"}}'


def while_ratd_answers() -> str:
    """An `and` clause for an alert on what ratd reports about a dependency: only while ratd's own
    liveness probe succeeds. With ratd down, every check it reports fails too; RatApiDown alone
    should speak, and not only once its inhibition is in place (a check's alert may come first)."""
    return f"and on ({BY_JOB}) ({LIVE} == 1)"


def probe_failure_scenarios(
    check: str,
    instance: str,
    failures: int,
    settings: Settings,
    *,
    through_ratd: bool = False,
    interval: float | None = None,
) -> list[Scenario]:
    """For an alert on `probe_success == 0` of one check: N failures in a row fire; N-1 do not;
    isolated failures between successes never do; and, for a check ratd reports, nothing while
    ratd itself is down. Samples every `interval` (the probe's; default the scrape interval);
    the rules are evaluated as often as in production."""
    labels = {"job": PROBE_JOB, "check": check, "instance": instance}
    series = f'probe_success{{job="{PROBE_JOB}",check="{check}",instance="{instance}"}}'
    step = interval or settings.intervals.scrape
    sampled = {} if step == settings.intervals.scrape else {"interval": step}

    def inputs(values: str, live: str | None = None) -> dict[str, str]:
        samples = len(values.split())
        return {series: values, **({LIVE_SCENARIO_SERIES: live or f"1x{samples}"} if through_ratd else {})}

    out = [
        Scenario(
            f"fires on the {failures}. consecutive failure",
            inputs("1 1" + " 0" * failures),
            at=(1 + failures) * step,
            fires=[Firing(labels, 0)],
            **sampled,
        ),
        Scenario("silent while every probe succeeds", inputs("1x10"), at=tuple(k * step for k in range(11)), **sampled),
    ]
    if failures > 1:
        out += [
            Scenario(
                f"silent after {failures - 1} consecutive failures",
                inputs("1 1" + " 0" * (failures - 1) + " 1 1"),
                at=tuple(k * step for k in range(2, failures + 3)),
                **sampled,
            ),
            Scenario(
                "silent on isolated failures between successes",
                inputs("1 0 " * (2 * failures) + "1"),
                at=tuple(k * step for k in range(1, 4 * failures + 1)),
                **sampled,
            ),
        ]
    if through_ratd:
        down = "1 1" + " 0" * (failures + 2)
        out.append(
            Scenario(
                "silent while ratd itself is down (every check it reports fails too)",
                inputs(down, live=down),
                at=tuple(k * step for k in range(2, failures + 4)),
                **sampled,
            )
        )
    return out


def dependency_down(
    dependency: Dependency,
    service: str,
    endpoint: str,
    settings: Settings,
    *,
    check: str,
    summary: str,
    says: str,
    interval: float | None = None,
) -> list[Alert]:
    """The alert on N consecutive failed probes of a dependency ratd reports at `endpoint` (a
    path), probed every `interval` (default the scrape interval): muted while ratd itself is
    down. `says` is what ratd reported, for the description. On a cluster every ratd pod is
    probed on its own, as often (its PodMonitor), and the one alert becomes two (`on_pods`)."""
    failures = settings.thresholds.consecutive_failures[service]
    if settings.platform == KUBERNETES:
        return on_pods(
            dependency, service, endpoint, settings, check=check, summary=summary, says=says, interval=interval
        )
    return [
        Alert(
            name=dependency.alert,
            expr=f"{_check_selector(dependency)} == 0\n{while_ratd_answers()}",
            for_=consecutive_failures_for(failures, settings, interval),
            severity=dependency.severity,
            service=service,
            labels=DEPENDS_ON_RATD,
            condition=dependency.condition,
            check=check,
            threshold=failures_text(failures),
            summary=summary,
            description=f"ratd's {endpoint} has reported {says} {failures} time(s) in a row (probe_success = {VALUE}).",
            runbook=Runbook(dependency.meaning, _dependency_steps(service, endpoint, settings)),
            scenarios=probe_failure_scenarios(
                dependency.check,
                scenario_instance("ratd:8080", endpoint),
                failures,
                settings,
                through_ratd=True,
                interval=interval,
            ),
        )
    ]


def _dependency_steps(service: str, endpoint: str, settings: Settings) -> list[str]:
    ratd_reports = f"{http_get(settings.targets.ratd, endpoint, settings, '| jq .')} to see what ratd reports."
    if not monitored_here(service, settings):
        # A managed service in its place (kubernetes.in_cluster): no pods of it to look at.
        k8s = settings.of(KUBERNETES_SETTINGS)
        pods = label_selector(k8s.ratd_pod_selector)
        return [
            ratd_reports,
            f"`{service}` does not run in the cluster (kubernetes.in_cluster does not list it): check the managed "
            "service ratd uses in its place (its status, and the endpoint and credentials ratd is given).",
            f"`kubectl -n {k8s.rat_namespace} logs -l {pods} --tail 100 --prefix` for ratd's errors reaching it.",
        ]
    return [ratd_reports, *service_steps(service, settings)]


def _check_selector(dependency: Dependency) -> str:
    return f'probe_success{{job="{PROBE_JOB}",check="{dependency.check}"}}'


# On a cluster, what a dependency alert of ratd's pods covers: every pod (the dependency's own
# alert, its guide severity) or one pod (a ticket naming it). While every pod fails, the first
# mutes the second (routing.py), so one outage notifies once.
PODS_LABEL = "pods"
EVERY_POD = {PODS_LABEL: "all"}
ONE_POD = {PODS_LABEL: "one"}
# The cluster's page for a ratd Service with no ready endpoint (replicas.py); routing.py mutes by it.
NO_READY_ENDPOINT = "RatApiNoReadyEndpoint"


def while_pod_answers() -> str:
    """`while_ratd_answers` per pod: only the pods whose own liveness probe succeeds."""
    return f"and on ({BY_JOB}, pod) ({LIVE} == 1)"


def on_pods(
    dependency: Dependency,
    service: str,
    endpoint: str,
    settings: Settings,
    *,
    check: str,
    summary: str,
    says: str,
    interval: float | None = None,
) -> list[Alert]:
    """A dependency ratd reports, on a cluster where each ratd pod is probed on its own: the
    dependency's alert (its name and severity) when every answering pod has failed the check N
    times in a row, and a warning naming the pod when one pod has. A pod that is down is
    RatApiReplicaDown's, not its dependencies'."""
    failures = settings.thresholds.consecutive_failures[service]
    k8s = settings.of(KUBERNETES_SETTINGS)
    port = settings.targets.ratd.rsplit(":", 1)[1]
    kubectl = f"kubectl -n {k8s.rat_namespace}"
    selector = _check_selector(dependency)
    common = {
        "for_": consecutive_failures_for(failures, settings, interval),
        "service": service,
        "check": check,
        "threshold": failures_text(failures),
    }
    scenarios = PodScenarios(dependency.check, endpoint, failures, settings, interval or settings.intervals.scrape)
    return [
        Alert(
            name=dependency.alert,
            expr=f"max by ({BY_JOB}, check) (\n  {selector}\n  {while_pod_answers()}\n) == 0",
            severity=dependency.severity,
            labels={**DEPENDS_ON_RATD, **EVERY_POD},
            condition=dependency.condition,
            summary=f"{summary}, on every ratd pod",
            description=f"Every ratd pod that answers has reported {says} at {endpoint} {failures} time(s) in a row "
            f"(probe_success = {VALUE}).",
            runbook=Runbook(dependency.meaning, _dependency_steps(service, endpoint, settings)),
            scenarios=scenarios.every_pod(),
            **common,
        ),
        Alert(
            name=f"{dependency.alert}OnPod",
            expr=f"{selector} == 0\n{while_pod_answers()}",
            severity="warning",
            labels={**DEPENDS_ON_RATD, **ONE_POD},
            condition=f"{dependency.condition}, seen from one ratd pod",
            summary=f"{summary}, on ratd pod {{{{ $labels.pod }}}}",
            description=f"ratd pod {{{{ $labels.pod }}}} has reported {says} at {endpoint} {failures} time(s) in a "
            f"row (probe_success = {VALUE}); while every pod does, {dependency.alert} speaks instead.",
            runbook=Runbook(
                f"{dependency.meaning} Here one pod (the alert's `pod` label) says so, the others do not: what "
                "differs is that pod's (its node, its network path, its own connections); users whose requests "
                "reach it are affected.",
                [
                    f"`{kubectl} port-forward pod/<pod> {port} &`, then `curl -s http://localhost:{port}{endpoint} "
                    "| jq .` to see what that pod reports.",
                    f"`{kubectl} logs <pod> --tail 100` for its errors; `{kubectl} get pod <pod> -o wide`: its node.",
                    f"`{kubectl} delete pod <pod>` starts a fresh pod if the others are fine.",
                ],
            ),
            scenarios=scenarios.one_pod(),
            **common,
        ),
    ]


@attrs.frozen
class PodScenarios:
    """The scenarios of a dependency check probed on each of two ratd pods, `a` and `b`, every
    `step` seconds (the check's probe interval). Every series is sampled at that step, pods'
    liveness included: promtool has one input interval per test, and a sample a step old is
    still the latest one (the lookback is minutes), so `live` reads the same."""

    check: str
    endpoint: str
    failures: int
    settings: Settings
    step: float

    def _scenario(self, name: str, inputs: dict[str, str], **kwargs: Any) -> Scenario:
        sampled = {} if self.step == self.settings.intervals.scrape else {"interval": self.step}
        return Scenario(name, inputs, **sampled, **kwargs)

    def _series(self, pod: str, check: str) -> str:
        path = self.settings.health.live_path if check == "live" else self.endpoint
        namespace = self.settings.of(KUBERNETES_SETTINGS).rat_namespace
        return (
            f'probe_success{{job="{PROBE_JOB}",check="{check}",namespace="{namespace}",pod="ratd-{pod}",'
            f'instance="http://ratd-{pod}:8080{path}"}}'
        )

    def labels(self, pod: str | None = None) -> dict[str, str]:
        namespace = self.settings.of(KUBERNETES_SETTINGS).rat_namespace
        one = {"pod": f"ratd-{pod}", "instance": f"http://ratd-{pod}:8080{self.endpoint}"} if pod else {}
        return {"job": PROBE_JOB, "check": self.check, "namespace": namespace, **one}

    def inputs(self, a: str, b: str, *, live_a: str | None = None) -> dict[str, str]:
        samples = len(a.split())
        return {
            self._series("a", self.check): a,
            self._series("b", self.check): b,
            self._series("a", "live"): live_a or f"1x{samples}",
            self._series("b", "live"): f"1x{samples}",
        }

    def _times(self, first: int, last: int) -> tuple[float, ...]:
        return tuple(k * self.step for k in range(first, last + 1))

    @property
    def failing(self) -> str:
        return "1 1" + " 0" * self.failures

    @property
    def passing(self) -> str:
        return f"1x{self.failures + 1}"

    def in_turn(self) -> tuple[str, str]:
        """Each pod failing every other probe, one recovering as the other fails: a flapping
        check that is never N times in a row on one pod, nor on every pod at once."""
        a = " ".join("0" if k % 2 else "1" for k in range(4 * self.failures + 2))
        b = " ".join("1" if k % 2 else "0" for k in range(4 * self.failures + 2))
        return a, b

    def every_pod(self) -> list[Scenario]:
        n, step = self.failures, self.step
        down = "1 1" + " 0" * (n + 2)
        out = [
            self._scenario(
                f"fires once when every pod fails {n} time(s) in a row",
                self.inputs(self.failing, self.failing),
                at=(1 + n) * step,
                fires=[Firing(self.labels(), 0)],
            ),
            self._scenario(
                "fires when the only pod that answers fails (the other is down)",
                self.inputs(self.failing, self.failing, live_a="1 1" + " 0" * n),
                at=(1 + n) * step,
                fires=[Firing(self.labels(), 0)],
            ),
            self._scenario(
                "silent while one pod of two fails",
                self.inputs(self.failing + " 0", self.passing + " 1"),
                at=self._times(1, n + 2),
            ),
            self._scenario(
                "silent while the pods fail in turn (one recovering as the other fails)",
                self.inputs(*self.in_turn()),
                at=self._times(1, 4 * n + 1),
            ),
            self._scenario(
                "silent while ratd itself is down on every pod",
                {**self.inputs(down, down, live_a=down), self._series("b", "live"): down},
                at=self._times(2, n + 3),
            ),
        ]
        if n > 1:
            almost = "1 1" + " 0" * (n - 1) + " 1 1"
            out.append(
                self._scenario(
                    f"silent after {n - 1} failures of every pod",
                    self.inputs(almost, almost),
                    at=self._times(2, n + 2),
                )
            )
        return out

    def one_pod(self) -> list[Scenario]:
        n, step = self.failures, self.step
        out = [
            self._scenario(
                f"fires naming the pod when one pod of two fails {n} time(s) in a row",
                self.inputs(self.failing, self.passing),
                at=(1 + n) * step,
                fires=[Firing(self.labels("a"), 0)],
            ),
            self._scenario(
                "silent while that pod is down itself (RatApiReplicaDown's)",
                self.inputs(self.failing, self.passing, live_a="1 1" + " 0" * n),
                at=self._times(2, n + 1),
            ),
        ]
        if n > 1:
            almost = "1 1" + " 0" * (n - 1) + " 1 1"
            out += [
                self._scenario(
                    f"silent after {n - 1} failures of one pod",
                    self.inputs(almost, f"1x{n + 2}"),
                    at=self._times(2, n + 2),
                ),
                self._scenario(
                    "silent while the pods fail in turn (one recovering as the other fails)",
                    self.inputs(*self.in_turn()),
                    at=self._times(1, 4 * n + 1),
                ),
            ]
        return out


def http_get(address: str, path: str, settings: Settings, then: str = "") -> str:
    """A runbook's command that asks `path` of the service at `address` (host:port, as
    settings.targets name it): on compose its port on the host; on a cluster through a
    port-forward to the Service the address names, which needs no tool in the service's image."""
    port = address.rsplit(":", 1)[1]
    curl = f"`curl -s http://localhost:{port}{path}{' ' + then if then else ''}`"
    if settings.platform == KUBERNETES:
        service = address.split(".", 1)[0]  # <service>.<namespace>.svc:<port>
        forward = f"kubectl -n {settings.of(KUBERNETES_SETTINGS).rat_namespace} port-forward svc/{service} {port}"
        return f"`{forward} &`, then {curl}"
    return curl


def monitored_here(service: str, settings: Settings) -> bool:
    """Whether a service's own monitoring belongs to this platform: on compose RAT runs every
    service; on a cluster MinIO and Nessie may be managed ones (Amazon S3, Dremio Cloud), so of
    those only the ones kubernetes.in_cluster lists."""
    if settings.platform != KUBERNETES or service not in IN_CLUSTER_SERVICES:
        return True
    return service in settings.of(KUBERNETES_SETTINGS).in_cluster


def label_selector(labels: Mapping[str, str]) -> str:
    """Labels as kubectl's `-l` takes them: `k=v,...`."""
    return ",".join(f"{k}={v}" for k, v in labels.items())


def pods_of(settings: Settings, service: str) -> tuple[str, str]:
    """On a cluster, the namespace and label selector (`k=v,...`) of a service's pods: those of
    the Service kubernetes.monitors places its scrape job at (RAT's pods carry their Service's labels)."""
    monitored = settings.of(KUBERNETES_SETTINGS).monitor_of(service)
    return monitored.namespace or "", label_selector(monitored.selector or {})


def logs(settings: Settings, service: str, options: str = "", then: str = "") -> str:
    """A runbook's command for the logs of `service` (a scrape job's, or a RAT service's),
    `options` for the logs command, `then` a pipe after it: on a cluster, of the pods its labels
    select (kubernetes.monitors for a scrape job's)."""
    pipe = f" {then}" if then else ""
    if settings.platform == KUBERNETES:
        namespace, labels = pods_of(settings, service)
        return f"`kubectl -n {namespace} logs -l {labels}{options}{pipe}`"
    return f"`docker compose logs{options} {service}{pipe}`"


def exec_in(settings: Settings, service: str, command: str) -> str:
    """A runbook's command run in `service`'s container: on compose in RAT's; on a cluster in its
    Deployment named after it (rat-kubernetes.md: a Deployment per service), in the namespace
    kubernetes.monitors gives its scrape job."""
    if settings.platform == KUBERNETES:
        namespace, _ = pods_of(settings, service)
        return f"`kubectl -n {namespace} exec deploy/{service} -- {command}`"
    return f"`docker compose exec {service} {command}`"


def service_steps(service: str, settings: Settings) -> list[str]:
    """A runbook's first steps for a RAT service that is down or unhealthy, with the platform's tools."""
    if settings.platform == KUBERNETES:
        kubectl = f"kubectl -n {settings.of(KUBERNETES_SETTINGS).rat_namespace}"
        return [
            f"`{kubectl} get pods -l app={service} -o wide`: running, ready, restarting?",
            f"`{kubectl} logs -l app={service} --tail 100 --prefix` for the cause.",
            f"`{kubectl} describe pods -l app={service}` for failing probes and events.",
            '"connection refused" right after a restart: wait until the pods are ready.',
        ]
    return [
        f"`docker compose -f infra/docker-compose.yml ps {service}`: running and healthy?",
        f"`docker compose -f infra/docker-compose.yml logs --tail 100 {service}` for the cause.",
        f"`docker inspect {service} | jq '.[0].State.Health.Log'` for the latest health check output.",
        '"connection refused" right after a restart: wait until the service is healthy.',
    ]


# ratd's scheduler gauges (ratd-0.2). The leader's closure serves the last tick's values; when its
# scheduler stops or leadership moves they stay exposed, frozen, so a replica that ever led keeps
# exposing them. The duration has nanosecond resolution: ticking, it changes at every tick.
SCHEDULER_TICK = "ratd_scheduler_last_tick_duration_seconds"


def ticking_window(settings: Settings) -> float:
    """How long the tick gauges must go unchanged to count as frozen: a number of tick intervals
    (thresholds.scheduler_stall_ticks x ratd.scheduler_tick), long enough that a ticking scheduler
    always changes them in it (two ticks and a scrape)."""
    ticks, tick = settings.thresholds.scheduler_stall_ticks, settings.ratd.scheduler_tick
    ticking = ticks * tick
    if ticks < 2 or ticking < tick + 2 * settings.intervals.scrape:
        raise DefinitionError(
            f"{num(ticks)} tick(s) of {window(tick)} may pass between two scrapes of a ticking scheduler: "
            "use at least 2, and a window of a tick plus two scrape intervals",
            obj="settings thresholds.scheduler_stall_ticks",
            file=settings.source,
        )
    return ticking


def ticking(selector: str, settings: Settings) -> str:
    """The replicas whose scheduler ticks: their tick gauge changed within the ticking window."""
    return f"changes({selector}[{window(ticking_window(settings))}]) > 0"


def tick_values(samples: int, settings: Settings, *, first: int = 0) -> list[str]:
    """A ticking duration gauge as `samples` scrapes see it (the `first` onwards): a new value at
    every tick, held until the next."""
    per_tick = max(1, round(settings.ratd.scheduler_tick / settings.intervals.scrape))
    return [f"0.0{(first + k) // per_tick % 90 + 10}" for k in range(samples)]


def held_timing(span: float, settings: Settings, every: float = 0.0) -> tuple[int, dict[str, float]]:
    """Samples over `span` at the scenarios' pace, and the timing that judges them at the end:
    evaluated every `every` seconds (in whole samples), or at every sample."""
    step = pace(span, settings)
    per_evaluation = max(1, round(every / step))
    samples = on_grid(int(span // step), per_evaluation)
    return samples, {"at": samples * step, "interval": step, "evaluation_interval": per_evaluation * step}


def held_scenarios(
    firing: Mapping[str, float],
    quiet: Mapping[str, float],
    for_: float,
    settings: Settings,
    labels: Mapping[str, str],
    value: float | None,
) -> list[Scenario]:
    """For a condition on gauges held `for_`: the input series held at their `firing` values fire
    (with `value`); held at their `quiet` values (at the threshold) they never do."""
    samples, timing = held_timing(for_ + LOOKBACK, settings)

    def held(values: Mapping[str, float]) -> dict[str, str]:
        return {series: f"{num(v)}x{samples}" for series, v in values.items()}

    return [
        Scenario("fires when held", held(firing), fires=[Firing(dict(labels), value)], **timing),
        Scenario("silent at the threshold", held(quiet), **timing),
    ]


@attrs.frozen
class ErrorRatio:
    """The share of a service's requests that fail: `errors` and `requests` are counter selectors
    (errors a subset of requests), summed per target; only above `min_rps` requests a second, so
    that a single failure in a quiet minute is no alarm."""

    errors: str
    requests: str
    by: str  # the labels the sums keep
    # True: `requests` selects the failed requests too (one counter, a status label), so a
    # scenario's requests series counts only the others; False: two counters, requests counts all.
    errors_among_requests: bool = False

    def percent(self, over: str) -> str:
        """The failing share in percent, rates over `over` (a PromQL range: 5m, $__rate_interval).
        An error series exists only once an error happened (MinIO's per-API 5xx counter, Nessie's
        status="5xx" timer): until then the share is 0, not absent."""
        requests = f"sum by ({self.by}) (rate({self.requests}[{over}]))"
        errors = f"sum by ({self.by}) (rate({self.errors}[{over}]))"
        return f"100 * ({errors} or 0 * {requests})\n/ on ({self.by}) {requests}"

    def expr(self, limit: float, min_rps: float, over: float) -> str:
        busy = f"sum by ({self.by}) (rate({self.requests}[{window(over)}])) > {num(min_rps)}"
        return f"{self.percent(window(over))} > {num(limit)}\nand on ({self.by}) {busy}"

    def scenarios(
        self,
        errors: str,
        requests: str,
        labels: Mapping[str, str],
        limit: float,
        min_rps: float,
        for_: float,
        settings: Settings,
    ) -> list[Scenario]:
        """`errors` and `requests` are the input series (a requests series the rule's errors
        selector leaves out, or one of every request): busy, with failures at twice the threshold's
        share fires; at nine tenths of it, or failing throughout below the minimum rate, never."""
        over = settings.windows.rate
        samples, timing = held_timing(for_ + over + LOOKBACK, settings)
        step = timing["interval"]
        busy = 4 * min_rps * step  # requests per sample: four times the minimum rate

        def counting(per_sample: float, failing_share: float) -> dict[str, str]:
            return {
                requests: f"0+{num(per_sample)}x{samples}",
                errors: f"0+{num(per_sample * failing_share)}x{samples}",
            }

        failing = min(1.0, 2 * limit / 100)
        observed = 100 * (failing / (1 + failing) if self.errors_among_requests else failing)
        return [
            Scenario(
                "fires when the error share is above the threshold",
                counting(busy, failing),
                fires=[Firing(dict(labels), observed)],
                **timing,
            ),
            Scenario("silent just below the threshold", counting(busy, 0.9 * limit / 100), **timing),
            Scenario("silent below the minimum request rate", counting(min_rps * step / 4, 1.0), **timing),
        ]
