"""RAT's seven containers. RAT's compose file ships a health check for each (rat-docker-compose.md,
"Health Checks"), and ratd, ratq, runner and nessie-init wait for `service_healthy`: the override
keeps RAT's own check wherever there is one, and writes the guide's check (method here, timings in
monitoring.yaml) only where RAT has none, or where `compose.rat.healthchecks.<service>.replace` says
so. Each command below needs one program, named with the reason it is in that service's image."""

from __future__ import annotations

from monitoring_as_code.outputs.compose.settings import SECTION as COMPOSE_SETTINGS
from monitoring_as_code.outputs.compose.settings import RatHealthTiming
from monitoring_as_code.settings import Settings
from monitoring_as_code.stack import HealthCheck, RatService


def _grpc_channel_ready(port: int, timeout: float) -> tuple[str, ...]:
    # `python`: ratq and runner are Python gRPC servers, so their images have python and grpcio.
    # The guide's "gRPC channel ready check": fails unless the channel is ready within the timeout.
    code = (
        f"import grpc; grpc.channel_ready_future(grpc.insecure_channel('localhost:{port}')).result(timeout={timeout:g})"
    )
    return ("python", "-c", code)


def define(settings: Settings) -> list[RatService]:
    rat = settings.of(COMPOSE_SETTINGS).rat
    timing = rat.healthchecks
    checks = {
        # `/ratd`: the image's own binary has a `healthcheck` subcommand (RAT's compose uses it).
        "ratd": HealthCheck(("/ratd", "healthcheck"), *_timings(timing["ratd"])),
        "ratq": HealthCheck(_grpc_channel_ready(rat.ratq_grpc_port, timing["ratq"].timeout), *_timings(timing["ratq"])),
        "runner": HealthCheck(
            _grpc_channel_ready(rat.runner_grpc_port, timing["runner"].timeout), *_timings(timing["runner"])
        ),
        # `wget`: RAT's own portal check runs it (the guide's table), so the portal image has it.
        "portal": HealthCheck(
            ("wget", "-q", "-O", "/dev/null", f"http://localhost:{rat.portal_port}"), *_timings(timing["portal"])
        ),
        # `pg_isready` ships with postgres:16.4-alpine. The user is the container's own POSTGRES_USER,
        # read by the image's /bin/sh at run time (`$$` keeps Compose from interpolating it on the
        # host), so a site with another user keeps a healthy Postgres and a clean server log.
        "postgres": HealthCheck(
            (f'pg_isready -U "$${{POSTGRES_USER:-{rat.postgres_user}}}"',), *_timings(timing["postgres"]), shell=True
        ),
        # `mc`: the minio/minio image bundles the MinIO client; `local` is its built-in alias.
        "minio": HealthCheck(("mc", "ready", "local"), *_timings(timing["minio"])),
        # `curl`: Nessie's image is Red Hat UBI 9 minimal with OpenJDK, which carries curl. Nessie
        # 0.99 (Quarkus) serves /q/health/* on its management port (compose.rat.nessie_management_port,
        # 9000), not on the API port 19120, where /q/health/ready is a 404 and the check never passes.
        "nessie": HealthCheck(
            ("curl", "-fsS", "-o", "/dev/null", f"http://localhost:{rat.nessie_management_port}/q/health/ready"),
            *_timings(timing["nessie"]),
        ),
    }
    return [
        RatService(name, None if _rat_has_one(name, timing[name], settings) else check)
        for name, check in checks.items()
    ]


def _timings(timing: RatHealthTiming) -> tuple[float, float, int, float]:
    return timing.interval, timing.timeout, timing.retries, timing.start_period


def _rat_has_one(name: str, timing: RatHealthTiming, settings: Settings) -> bool:
    """RAT's own check stays, unless the settings replace it."""
    return name in settings.of(COMPOSE_SETTINGS).project.compose.healthchecked and not timing.replace
