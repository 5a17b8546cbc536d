"""The secret files the containers read at run time, checked on the Docker host before anything
starts: each exists, is not empty, and is readable by the uid the container runs as. Alertmanager
runs as nobody (65534) and reads the receivers' files from the folder mounted at
/etc/alertmanager/secrets; Grafana runs as 472 (group 0) and reads its admin password as a Compose
secret, a bind mount of the file as it is on the host; postgres-exporter runs as nobody (65534) and
reads its role's password the same way; Prometheus runs as nobody too and reads MinIO's bearer
token the same way. A file it cannot read fails later and quietly: notifications fail, Grafana
falls back to its default admin password, the exporter cannot log in (RatPostgresUnreachable, a
warning), or MinIO refuses the scrape (RatScrapeTargetDown, a warning)."""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

import attrs

from monitoring_as_code.outputs.compose.settings import SECTION as COMPOSE_SETTINGS
from monitoring_as_code.settings import Settings

ALERTMANAGER_UID = ALERTMANAGER_GID = 65534  # nobody, the prom/alertmanager image's USER
GRAFANA_UID, GRAFANA_GID = 472, 0  # the grafana/grafana image's USER grafana, group root
POSTGRES_EXPORTER_UID = POSTGRES_EXPORTER_GID = 65534  # nobody, the postgres-exporter image's USER
PROMETHEUS_UID = PROMETHEUS_GID = 65534  # nobody, the prom/prometheus image's USER
# Where Compose mounts a service's secrets; Prometheus reads MinIO's bearer token from here.
SECRETS_MOUNT = "/run/secrets"
MINIO_PROMETHEUS_TOKEN = "minio_prometheus_token"
MINIO_PROMETHEUS_TOKEN_FILE = f"{SECRETS_MOUNT}/{MINIO_PROMETHEUS_TOKEN}"


@attrs.frozen
class SecretFile:
    path: Path  # on the Docker host
    reader: str  # the container reading it
    uid: int
    gid: int
    setting: str  # where the settings name it


def secret_files(settings: Settings, root: Path) -> list[SecretFile]:
    """Every secret file the enabled receivers, Grafana, postgres-exporter and Prometheus read, as paths on the
    host; relative settings paths are relative to `root`, the project folder."""
    compose = settings.of(COMPOSE_SETTINGS)
    alertmanager_dir = Path(os.path.normpath(root / compose.alertmanager_secrets_dir))
    files = [
        SecretFile(
            alertmanager_dir / PurePosixPath(path).name,
            "alertmanager",
            ALERTMANAGER_UID,
            ALERTMANAGER_GID,
            f"alertmanager.receivers.{receiver.name}.{key}",
        )
        for receiver in settings.alertmanager.receivers
        if not receiver.disabled
        for key, path in sorted(receiver.options.items())
        if key.endswith("_file")
    ]
    files.append(
        SecretFile(
            Path(os.path.normpath(root / compose.grafana_admin_password_file)),
            "grafana",
            GRAFANA_UID,
            GRAFANA_GID,
            "compose.secrets.grafana_admin_password_file",
        )
    )
    files.append(
        SecretFile(
            Path(os.path.normpath(root / compose.postgres_exporter_password_file)),
            "postgres-exporter",
            POSTGRES_EXPORTER_UID,
            POSTGRES_EXPORTER_GID,
            "compose.secrets.postgres_exporter_password_file",
        )
    )
    files.append(
        SecretFile(
            Path(os.path.normpath(root / compose.minio_prometheus_token_file)),
            "prometheus",
            PROMETHEUS_UID,
            PROMETHEUS_GID,
            "compose.secrets.minio_prometheus_token_file",
        )
    )
    return files


def _allows(status: os.stat_result, uid: int, gid: int, owner: int, group: int, other: int) -> bool:
    """The permission bit that applies to this uid and gid (owner, else group, else other)."""
    if status.st_uid == uid:
        return bool(status.st_mode & owner)
    if status.st_gid == gid:
        return bool(status.st_mode & group)
    return bool(status.st_mode & other)


def _fix(secret: SecretFile, path: Path, mode: str) -> str:
    return f"run: chown {secret.uid}:{secret.gid} {path} && chmod {mode} {path}"


def secret_problems(settings: Settings, root: Path) -> list[str]:
    """One line per problem, each with the command that fixes it."""
    problems = []
    folders_checked: set[Path] = set()
    for secret in secret_files(settings, root):
        where = f"{secret.path} ({secret.setting}, read by {secret.reader} as uid {secret.uid})"
        if not secret.path.is_file():
            fix = _fix(secret, secret.path, "0400")
            problems.append(f"{where}: does not exist; create it with the secret, then {fix}")
            continue
        status = secret.path.stat()
        if status.st_size == 0:
            problems.append(f"{where}: is empty; write the secret into it")
        elif not _allows(status, secret.uid, secret.gid, stat.S_IRUSR, stat.S_IRGRP, stat.S_IROTH):
            problems.append(f"{where}: not readable by uid {secret.uid}; {_fix(secret, secret.path, '0400')}")
        folder = secret.path.parent
        # Alertmanager's folder is the bind mount: the container must be able to enter it.
        if secret.reader == "alertmanager" and folder not in folders_checked and folder.is_dir():
            folders_checked.add(folder)
            folder_status = folder.stat()
            if not _allows(folder_status, secret.uid, secret.gid, stat.S_IXUSR, stat.S_IXGRP, stat.S_IXOTH):
                problems.append(
                    f"{folder} (compose.secrets.alertmanager_dir): uid {secret.uid} cannot enter it; "
                    + _fix(secret, folder, "0500")
                )
    return problems
