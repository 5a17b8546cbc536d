"""The portal's and ratd's internal listener's probes take their severity from compose.probe_pages,
and the backup alerts are rendered only with compose.backup_alerts (nothing in RAT writes their
metric); `mac preflight` says so, on stderr, without failing."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from monitoring_as_code.loader import load_alerting
from monitoring_as_code.outputs.compose.preflight import backup_alerts_note
from monitoring_as_code.outputs.compose.settings import SECTION as COMPOSE_SETTINGS
from monitoring_as_code.outputs.registry import load_settings
from monitoring_as_code.settings import Settings
from tests.conftest import REPO
from tests.test_compose import deploy, site_settings
from tests.test_preflight import make_up

BACKUP_ALERTS = {"RatBackupTooOld", "RatBackupMetricMissing"}


def _with_compose(settings: Settings, **changes: object) -> Settings:
    return settings.with_section(COMPOSE_SETTINGS, attrs.evolve(settings.of(COMPOSE_SETTINGS), **changes))


def _severities(settings: Settings) -> dict[str, str]:
    alerts = load_alerting(REPO / "alerts", settings).alerts
    return {a.name: a.severity for a in alerts if a.name in ("RatPortalDown", "RatApiInternalListenerDown")}


@pytest.mark.parametrize(
    ("pages", "portal", "internal"),
    [
        (("portal",), "critical", "warning"),  # as shipped
        ((), "warning", "warning"),
        (("portal", "ratd_internal"), "critical", "critical"),
    ],
)
def test_an_endpoint_in_probe_pages_pages_the_other_files_a_ticket(
    settings: Settings, pages: tuple[str, ...], portal: str, internal: str
) -> None:
    assert _severities(_with_compose(settings, probe_pages=pages)) == {
        "RatPortalDown": portal,
        "RatApiInternalListenerDown": internal,
    }


def test_the_backup_alerts_are_rendered_only_when_enabled(settings: Settings) -> None:
    def names(enabled: bool) -> set[str]:
        return {a.name for a in load_alerting(REPO / "alerts", _with_compose(settings, backup_alerts=enabled)).alerts}

    assert not BACKUP_ALERTS & names(False)
    assert names(True) - names(False) == BACKUP_ALERTS


def test_preflight_notes_the_backup_alerts_are_off_in_one_line_and_goes_ahead(tmp_path: Path) -> None:
    off = deploy(tmp_path / "off", site_settings(lambda s: s["compose"].update(backup_alerts=False)))
    result = make_up(off)
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if "backup alerts" in line]
    assert notes == [backup_alerts_note(load_settings(off / "monitoring.yaml"))]
    assert "compose.backup_alerts: true" in notes[0] and not notes[0].startswith("error")
    assert "backup" not in result.stdout  # stdout carries the up command only

    on = make_up(deploy(tmp_path / "on", site_settings()))  # the test profile enables them
    assert on.returncode == 0, on.stderr
    assert "backup alerts" not in on.stderr
