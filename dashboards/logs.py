"""RAT logs: every container's log lines from Loki, filtered by service and level. A page of its
own, so the overview stays readable and operators get the full height for reading logs."""

from __future__ import annotations

from grafanalib import core

from alerts._shared import RAT_SERVICES
from dashboards._shared import (
    LOG_FORMATS,
    LOG_SERVICE,
    RAT_DASHBOARDS,
    RAT_TAG,
    RATD_SERVICE,
    LogFormat,
    custom_variable,
    loki_variable,
    query,
    ratd_own_requests,
)
from monitoring_as_code.dashboard import Dashboard, grid, ref
from monitoring_as_code.settings import Settings

# The levels to choose from, slog's words. A format with a level field compares it case-blind
# (runner writes "error") and as a prefix (Python's WARNING); a line without one must carry the
# word upper-case, so that "error" inside an INFO line's message does not count.
LEVELS = ("ERROR", "WARN", "INFO", "DEBUG")
REF_IDS = "ABCDEFGHIJ"


def selected(log_format: LogFormat, settings: Settings) -> str:
    """The lines of the chosen services in `log_format` at the chosen levels ("All": every line,
    also those without a level); of ratd, not those of our own requests to it."""
    services = "|".join(log_format.services)
    stream = f'{{{LOG_SERVICE}=~"$service", {LOG_SERVICE}=~"{services}"}}'
    if log_format.level_stage is None:
        return f'{stream} |~ "$level"'
    own = f" {ratd_own_requests(settings)}" if RATD_SERVICE in log_format.services else ""
    return f'{stream} {log_format.level_stage} | level=~"(?i)$level.*"{own}'


def define(settings: Settings) -> list[Dashboard]:
    if not settings.logging.ships_to_loki:
        return []  # nothing ships logs to Loki: this dashboard would be empty by construction
    loki = loki_variable(settings)
    logs = ref(loki)

    log_volume = core.TimeSeries(
        id=1,
        title="Log Volume",
        description=(
            "Log lines per interval, by service, for the chosen services and levels. Each service's level is "
            "read in its own format: " + "; ".join(f"{', '.join(f.services)}: {f.why}" for f in LOG_FORMATS) + "."
        ),
        dataSource=logs,
        targets=[
            query(
                f"sum by ({LOG_SERVICE}) (count_over_time({selected(f, settings)} [$__interval]))",
                f"{{{{{LOG_SERVICE}}}}}",
                ref_id=ref_id,
            )
            for f, ref_id in zip(LOG_FORMATS, REF_IDS, strict=False)
        ],
        unit="short",
        drawStyle="bars",
        fillOpacity=80,
        stacking={"mode": "normal", "group": "A"},
    )
    log_lines = core.Logs(
        id=2,
        title="Logs",
        description="The log lines of the chosen services and levels, newest first; the label shows the service.",
        dataSource=logs,
        targets=[query(selected(f, settings), ref_id=ref_id) for f, ref_id in zip(LOG_FORMATS, REF_IDS, strict=False)],
        showTime=True,
        showLabels=True,
        wrapLogMessages=True,
        enableLogDetails=True,
    )

    return [
        Dashboard(
            uid="rat-logs",
            title="RAT logs",
            description="Log lines of RAT's containers from Loki, by service and level.",
            tags=[RAT_TAG],
            links=[RAT_DASHBOARDS],
            variables=[
                loki,
                custom_variable("service", "Service", RAT_SERVICES),
                # "All" matches every line, also those without a level word (Postgres' "LOG:" ...).
                custom_variable("level", "Level", LEVELS, all_value=".*"),
            ],
            panels=grid((8, [(24, log_volume)]), (18, [(24, log_lines)])),
        )
    ]
