"""RAT logs: every container's log lines from Loki, filtered by service and level. A page of its
own, so the overview stays readable and operators get the full height for reading logs."""

from __future__ import annotations

from grafanalib import core

from alerts._shared import RAT_SERVICES
from dashboards._shared import LOG_SERVICE, RAT_DASHBOARDS, RAT_TAG, custom_variable, loki_variable, query
from monitoring_as_code.dashboard import Dashboard, grid, ref
from monitoring_as_code.settings import Settings

# The level words both log formats print, matched upper-case so that "error" inside an INFO line's
# message does not count: Go's slog (DEBUG INFO WARN ERROR), Python's logging (... WARNING ERROR);
# WARN also matches WARNING.
LEVELS = ("ERROR", "WARN", "INFO", "DEBUG")


def define(settings: Settings) -> list[Dashboard]:
    if not settings.logging.ships_to_loki:
        return []  # nothing ships logs to Loki: this dashboard would be empty by construction
    loki = loki_variable(settings)
    logs = ref(loki)
    selected = f'{{{LOG_SERVICE}=~"$service"}} |~ "$level"'

    log_volume = core.TimeSeries(
        id=1,
        title="Log Volume",
        description="Log lines per interval, by service, for the chosen services and levels.",
        dataSource=logs,
        targets=[
            query(f"sum by ({LOG_SERVICE}) (count_over_time({selected} [$__interval]))", f"{{{{{LOG_SERVICE}}}}}")
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
        targets=[query(selected)],
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
