"""Every supported panel type, by its grafanalib class."""

from __future__ import annotations

from collections.abc import Mapping

from monitoring_as_code.panels import gauge, heatmap, logs, piechart, stat, table, timeseries
from monitoring_as_code.panels.kind import PanelKind

KINDS: Mapping[type, PanelKind] = {
    module.KIND.cls: module.KIND for module in (stat, gauge, piechart, heatmap, timeseries, logs, table)
}
