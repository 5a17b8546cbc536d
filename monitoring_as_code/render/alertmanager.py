"""alertmanager.yml: receivers from settings, routes and inhibitions from the definitions."""

from __future__ import annotations

from typing import Any

from monitoring_as_code.definitions import Definitions
from monitoring_as_code.duration import format_duration
from monitoring_as_code.model import BUSINESS_HOURS, Inhibition, Route
from monitoring_as_code.outputs.kubernetes.settings import CLUSTER_NULL_RECEIVER
from monitoring_as_code.outputs.kubernetes.settings import SECTION as KUBERNETES_SETTINGS
from monitoring_as_code.settings import Receiver, Settings

SILENT_RECEIVER = "dashboard-only"  # no integrations: what routes here is never sent
# kube-prometheus' and kube-prometheus-stack's default inhibitions (both ship these three), kept
# for the cluster's own alerts: a critical alert mutes the warnings and infos of the same alert
# and namespace, a warning its infos, and InfoInhibitor (the stack's general.rules) the infos of
# a namespace where nothing more severe fires.
CLUSTER_INHIBITIONS = (
    Inhibition("stack-critical", ['severity="critical"'], ['severity=~"warning|info"'], ["namespace", "alertname"]),
    Inhibition("stack-warning", ['severity="warning"'], ['severity="info"'], ["namespace", "alertname"]),
    Inhibition("stack-info", ['alertname="InfoInhibitor"'], ['severity="info"'], ["namespace"]),
)


def _receiver(receiver: Receiver) -> dict[str, Any]:
    opts = receiver.options
    if receiver.type == "pagerduty":
        config: dict[str, Any] = {"routing_key_file": opts["routing_key_file"], "send_resolved": True}
    elif receiver.type == "slack":
        config = {"api_url_file": opts["api_url_file"], "channel": opts["channel"], "send_resolved": True}
    else:  # webhook: the URL carries no secret (settings schema); the token comes from a file
        config = {"url": opts["url"], "send_resolved": False}
        if "credentials_file" in opts:
            config["http_config"] = {"authorization": {"credentials_file": opts["credentials_file"]}}
    return {"name": receiver.name, f"{receiver.type}_configs": [config]}


def _route(route: Route, disabled: set[str]) -> dict[str, Any]:
    # A disabled receiver is not rendered: what routes to it stops at this route, sent nowhere.
    receiver = SILENT_RECEIVER if route.receiver is None or route.receiver in disabled else route.receiver
    out: dict[str, Any] = {"receiver": receiver, "matchers": list(route.matchers)}
    if route.group_by:
        out["group_by"] = list(route.group_by)
    for field in ("group_wait", "group_interval", "repeat_interval"):
        if getattr(route, field) is not None:
            out[field] = format_duration(getattr(route, field))
    if route.active_time_intervals:
        out["active_time_intervals"] = list(route.active_time_intervals)
    return out


def _inhibit_rule(inhibition: Inhibition, source: tuple[str, ...] = (), target: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "source_matchers": [*inhibition.source, *source],
        "target_matchers": [*inhibition.target, *target],
        **({"equal": list(inhibition.equal)} if inhibition.equal else {}),
    }


def render_alertmanager_config(defs: Definitions, settings: Settings) -> dict[str, Any]:
    am = settings.alertmanager
    hours = settings.business_hours
    disabled = {r.name for r in am.receivers if r.disabled}
    return {
        "route": {
            "receiver": SILENT_RECEIVER,
            "group_by": ["alertname", "service"],
            "group_wait": format_duration(am.group_wait),
            "group_interval": format_duration(am.group_interval),
            "repeat_interval": format_duration(am.repeat_interval),
            "routes": [_route(r, disabled) for r in defs.routes],
        },
        "inhibit_rules": [_inhibit_rule(i) for i in defs.inhibitions],
        "receivers": [{"name": SILENT_RECEIVER}] + [_receiver(r) for r in am.receivers if not r.disabled],
        "time_intervals": [
            {
                "name": BUSINESS_HOURS,
                "time_intervals": [
                    {
                        "weekdays": list(hours.weekdays),
                        "times": [{"start_time": hours.start, "end_time": hours.end}],
                        "location": hours.timezone,
                    }
                ],
            }
        ],
    }


def render_cluster_alertmanager_config(defs: Definitions, settings: Settings) -> dict[str, Any]:
    """The configSecret's alertmanager.yaml: the whole Alertmanager's configuration, of a cluster
    where RAT is one tenant. RAT's routes sit under one route matching RAT's namespace (every RAT
    alert keeps it); every other alert goes to `kubernetes.cluster_receiver` (unset: `null`, which
    sends nothing). RAT's inhibitions hold within RAT's namespace; the stack's default ones hold
    outside it, as they did before this configuration replaced the stack's."""
    k8s = settings.of(KUBERNETES_SETTINGS)
    rat, not_rat = f'namespace="{k8s.rat_namespace}"', f'namespace!="{k8s.rat_namespace}"'
    config = render_alertmanager_config(defs, settings)
    disabled = {r.name for r in settings.alertmanager.receivers if r.disabled}
    cluster = k8s.cluster_receiver
    fallback = CLUSTER_NULL_RECEIVER if cluster is None or cluster in disabled else cluster
    ours = config["route"]
    config["route"] = {
        "receiver": fallback,
        "group_by": ["namespace"],  # the stacks' grouping of the cluster's alerts
        **{k: ours[k] for k in ("group_wait", "group_interval", "repeat_interval")},
        "routes": [
            *(_route(r, disabled) for r in defs.routes if r.cluster_wide),
            # The stack's InfoInhibitor only mutes (kube-prometheus routes it to `null` too).
            {"receiver": CLUSTER_NULL_RECEIVER, "matchers": ['alertname="InfoInhibitor"']},
            {
                "receiver": ours["receiver"],
                "matchers": [rat],
                "group_by": ours["group_by"],
                "routes": [_route(r, disabled) for r in defs.routes if not r.cluster_wide],
            },
        ],
    }
    config["inhibit_rules"] = [
        *(_inhibit_rule(i, source=(rat,), target=(rat,)) for i in defs.inhibitions),
        *(_inhibit_rule(i, target=(not_rat,)) for i in CLUSTER_INHIBITIONS),
    ]
    config["receivers"] = [{"name": CLUSTER_NULL_RECEIVER}, *config["receivers"]]
    return config
