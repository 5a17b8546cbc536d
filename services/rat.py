"""RAT's seven containers, with the health checks of the guide's table (method here, timings and
ports in monitoring.yaml). All in exec form: the override must not assume a shell."""

from __future__ import annotations

from monitoring_as_code.deployment import HealthTiming
from monitoring_as_code.settings import Settings
from monitoring_as_code.stack import HealthCheck, RatService


def _grpc_channel_ready(port: int, timeout: float) -> tuple[str, ...]:
    # The guide's "Python gRPC channel check": ratq and runner are Python gRPC servers, so their
    # images have python and grpcio. Fails unless the channel is ready within the timeout.
    code = (
        f"import grpc; grpc.channel_ready_future(grpc.insecure_channel('localhost:{port}')).result(timeout={timeout:g})"
    )
    return ("python", "-c", code)


def _check(command: tuple[str, ...], timing: HealthTiming) -> HealthCheck:
    return HealthCheck(command, timing.interval, timing.timeout, timing.retries, timing.start_period)


def define(settings: Settings) -> list[RatService]:
    rat = settings.deployment.compose.rat
    timing = rat.healthchecks
    commands = {
        "ratd": ("/ratd", "healthcheck"),
        "ratq": _grpc_channel_ready(rat.ratq_grpc_port, timing["ratq"].timeout),
        "runner": _grpc_channel_ready(rat.runner_grpc_port, timing["runner"].timeout),
        "portal": ("wget", "-q", "-O", "/dev/null", f"http://localhost:{rat.portal_port}"),
        "postgres": ("pg_isready", "-U", rat.postgres_user),
        "minio": ("mc", "ready", "local"),
        "nessie": ("curl", "-fsS", "-o", "/dev/null", f"http://localhost:{rat.nessie_port}/q/health/ready"),
    }
    return [RatService(name, _check(command, timing[name])) for name, command in commands.items()]
