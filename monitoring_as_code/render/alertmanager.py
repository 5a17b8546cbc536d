"""alertmanager.yml: receivers from settings, routes and inhibitions from the definitions."""

from __future__ import annotations

from typing import Any

from monitoring_as_code.duration import format_duration
from monitoring_as_code.model import BUSINESS_HOURS, Definitions, Route
from monitoring_as_code.settings import Receiver, Settings

SILENT_RECEIVER = "dashboard-only"  # no integrations: what routes here is never sent


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
        "inhibit_rules": [
            {
                "source_matchers": list(i.source),
                "target_matchers": list(i.target),
                **({"equal": list(i.equal)} if i.equal else {}),
            }
            for i in defs.inhibitions
        ],
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
