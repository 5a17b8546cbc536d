"""RAT's compose project as the compose output loads it: read from RAT's file when it is here,
else from the record committed with the output, else (compose.rat.file unset) as documented; and
checked against the settings that name its services and networks."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import attrs

from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.outputs.compose import record
from monitoring_as_code.outputs.compose.rat_compose import DOCUMENTED, RAT_SERVICES, WHERE, RatCompose, read_rat_compose
from monitoring_as_code.outputs.compose.settings import ComposeSettings, RatProject
from monitoring_as_code.yamlfile import read_yaml

GIT_TIMEOUT = 10.0


@attrs.frozen
class LoadedRat:
    project: RatProject
    record: dict[str, Any]  # what generated/ records of it
    notes: tuple[str, ...]  # one line each: where RAT's project came from, what changed in it


def _unreadable(path: Path) -> str | None:
    """Why RAT's file cannot be read here, if it cannot."""
    if not path.exists():
        return "no such file"
    if not path.is_file():
        return "not a file"
    if not os.access(path, os.R_OK):
        return "not readable"
    return None


def _committed_record(generated: Path) -> dict[str, Any] | None:
    """The committed record, checked (a hand-edited one is refused naming its field); None if there is none."""
    path = generated / record.PATH
    if not path.is_file():
        return None
    try:
        data = read_yaml(path)
    except DefinitionError as exc:
        raise DefinitionError(exc.message, file=f"generated/{record.PATH}") from exc
    record.parse_record(data)
    return data  # type: ignore[no-any-return]


def _rat_compose(root: Path, compose: ComposeSettings, generated: Path) -> tuple[RatCompose, tuple[str, ...]]:
    committed = _committed_record(generated)
    shown = compose.rat.file
    if committed is not None and committed.get("file") != shown:
        committed = None  # a record of another file (or of the documented compose) is none of this one
    if shown is None:
        return DOCUMENTED, ()
    why = _unreadable(root / shown)
    if why is None:
        rat = read_rat_compose(root / shown, shown)
        changed = record.changes(committed, record.render_record(rat, shown)) if committed else []
        notes = (f"RAT's compose changed since the record: {'; '.join(changed)}",) if changed else ()
        return rat, notes
    if committed is None:
        raise DefinitionError(
            f"{shown}: {why}, and generated/{record.PATH} has no record of it: run `mac generate` where RAT's "
            "checkout is, and commit generated/",
            obj=WHERE,
        )
    note = f"{shown}: {why} here; rendering RAT's compose from the record generated/{record.PATH}"
    return record.parse_record(committed), (note,)


def _checked_networks(rat: RatCompose, compose: ComposeSettings) -> tuple[str, ...]:
    """Every service the override touches or the settings name exists, and every network named is
    one RAT declares."""
    for name in (*RAT_SERVICES, *compose.rat.healthchecks):
        if name not in rat.service_networks:
            where = "compose.rat.file" if name in RAT_SERVICES else f"compose.rat.healthchecks.{name}"
            raise DefinitionError(
                f"{rat.source} has no service {name!r} (it has: {', '.join(sorted(rat.services))})",
                obj=f"settings {where}",
            )
    networks = compose.rat.networks or rat.networks_reaching()
    for network in networks:
        if network not in rat.networks:
            raise DefinitionError(
                f"{rat.source} declares no network {network!r} (it has: {', '.join(sorted(rat.networks))})",
                obj="settings compose.rat.networks",
            )
    return networks


def _check_published_ports(compose: ComposeSettings, rat: RatCompose) -> None:
    """No port of ours is one RAT publishes (ours among themselves: the settings check that)."""
    for name, service in compose.services.items():
        if service.publish in rat.published:
            raise DefinitionError(
                f"port {service.publish} is already published by RAT's {rat.published[service.publish]}",
                obj=f"settings compose.services.{name}.publish",
            )


def check_secrets_untracked(root: Path, compose: ComposeSettings) -> None:
    """A secrets path inside the project must be one git ignores: else one `git add -A` commits it."""
    for where, path in (
        ("compose.secrets.alertmanager_dir", compose.alertmanager_secrets_dir),
        ("compose.secrets.grafana_admin_password_file", compose.grafana_admin_password_file),
        ("compose.secrets.postgres_exporter_password_file", compose.postgres_exporter_password_file),
        ("compose.secrets.minio_prometheus_token_file", compose.minio_prometheus_token_file),
    ):
        inside = Path(os.path.normpath(root / path))
        try:
            inside.relative_to(Path(os.path.normpath(root.absolute())) if path.startswith("/") else root)
        except ValueError:
            continue  # outside the project: git never sees it
        try:
            ignored = subprocess.run(
                ["git", "-C", str(root), "check-ignore", "-q", str(inside)],
                capture_output=True,
                timeout=GIT_TIMEOUT,
                check=False,
            )
        except (FileNotFoundError, subprocess.TimeoutExpired):
            continue  # no git here: nothing would be committed by it
        if ignored.returncode == 1:  # 0: ignored; 128: not a git work tree
            raise DefinitionError(
                f"{path} is inside the project and git would track it: add it to .gitignore (secrets/ is), "
                "or keep the secrets outside the project",
                obj=f"settings {where}",
            )


def load_rat_project(root: Path, compose: ComposeSettings, generated: Path) -> LoadedRat:
    rat, notes = _rat_compose(root, compose, generated)
    networks = _checked_networks(rat, compose)
    _check_published_ports(compose, rat)
    check_secrets_untracked(root, compose)
    return LoadedRat(RatProject(rat, networks), record.render_record(rat, compose.rat.file), notes)
