"""Everything the alerting definitions define, under one profile and platform: the bundle the
Prometheus, Alertmanager and runbook renderers read."""

from __future__ import annotations

import attrs

from monitoring_as_code.catalog import EXPORTER_METRICS, Metric, on_kubernetes
from monitoring_as_code.model import (
    KUBERNETES,
    Alert,
    BlackboxModule,
    Inhibition,
    Probe,
    RecordingRule,
    Route,
    RuleGroup,
    ScrapeJob,
)
from monitoring_as_code.profile import Profile
from monitoring_as_code.slo import SLO


@attrs.frozen
class Definitions:
    groups: tuple[RuleGroup, ...]
    scrape_jobs: tuple[ScrapeJob, ...]
    blackbox_modules: tuple[BlackboxModule, ...]
    probes: tuple[Probe, ...]
    routes: tuple[Route, ...]
    inhibitions: tuple[Inhibition, ...]
    profiles: tuple[Profile, ...]  # every profile the definitions know
    profile: Profile  # the one monitoring.yaml picks
    platform: str = "compose"  # whose variant of the definitions this is (loader.py, PLATFORMS)
    slos: tuple[tuple[str, SLO], ...] = ()  # (definition file, SLO); their rules are in `groups`

    @property
    def catalog(self) -> tuple[Metric, ...]:
        """Every metric the definitions may read: the exporters' and this profile's ratd, as the
        platform's Prometheus scrapes them."""
        catalog = EXPORTER_METRICS + self.profile.metrics
        return on_kubernetes(catalog) if self.platform == KUBERNETES else catalog

    @property
    def alerts(self) -> tuple[Alert, ...]:
        return tuple(a for g in self.groups for a in g.alerts)

    @property
    def recording_rules(self) -> tuple[RecordingRule, ...]:
        return tuple(r for g in self.groups for r in g.recording_rules)
