"""Grafana provisioning: the datasources the dashboards query, and the file provider that loads
the dashboards. Grafana reads both from /etc/grafana/provisioning/{datasources,dashboards}/."""

from __future__ import annotations

from typing import Any

from monitoring_as_code.dashboard import ALERTMANAGER, LOKI, PROMETHEUS
from monitoring_as_code.duration import format_duration
from monitoring_as_code.settings import Settings

PROVIDER = "rat"


def _datasource(name: str, plugin: str, uid: str, address: str, **extra: Any) -> dict[str, Any]:
    # access proxy: Grafana's server queries the datasource, so the address is as its container sees it.
    return {"name": name, "type": plugin, "uid": uid, "access": "proxy", "url": f"http://{address}", **extra}


def render_datasources(settings: Settings) -> dict[str, Any]:
    sources = settings.grafana.datasources
    return {
        "apiVersion": 1,
        # A datasource dropped from settings disappears from Grafana too (Grafana 11.1+).
        "prune": True,
        "datasources": [
            _datasource(
                "Prometheus",
                PROMETHEUS,
                sources.prometheus.uid,
                sources.prometheus.address,
                isDefault=True,
                editable=False,
                jsonData={
                    "httpMethod": "POST",
                    # $__rate_interval is at least four of these: never a rate() over fewer than two scrapes.
                    "timeInterval": format_duration(settings.intervals.scrape),
                    # Grafana's alerting view shows the rules' alerts from this Alertmanager.
                    "alertmanagerUid": sources.alertmanager.uid,
                },
            ),
            _datasource("Loki", LOKI, sources.loki.uid, sources.loki.address, isDefault=False, editable=False),
            _datasource(
                "Alertmanager",
                ALERTMANAGER,
                sources.alertmanager.uid,
                sources.alertmanager.address,
                isDefault=False,
                editable=False,
                # Prometheus' Alertmanager, read-only to Grafana: Grafana's own alerts are not sent there.
                jsonData={"implementation": "prometheus", "handleGrafanaManagedAlerts": False},
            ),
        ],
    }


def render_dashboard_providers(settings: Settings) -> dict[str, Any]:
    grafana = settings.grafana
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": PROVIDER,
                "orgId": 1,
                "folder": grafana.folder,
                "type": "file",
                # generated/ is the source of truth: a dashboard removed there is removed in Grafana.
                "disableDeletion": False,
                "allowUiUpdates": False,
                "options": {"path": grafana.dashboards_path, "foldersFromFilesStructure": False},
            }
        ],
    }
