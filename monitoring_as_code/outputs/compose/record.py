"""The record of RAT's compose project: what the override depends on, committed with the output
(generated/compose/rat-compose.record.yml) so that a machine without RAT's checkout (CI) renders
the same tree. `generate` writes it from what it read; where RAT's file is absent, the output is
rendered from it; where RAT's file differs from it, `check` names the change in RAT's terms.

It holds RAT's networks, each service's networks, whether it has a health check of its own and the
host ports it publishes, the override file Compose layers on RAT's, and (derived, for the reviewer)
the networks the monitoring joins. No health check command, environment or image: nothing of RAT's
secrets can land in it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.outputs.compose.rat_compose import RatCompose

PATH = "compose/rat-compose.record.yml"  # under generated/
FORMAT = 1  # the record's layout; a record of a higher format was written by a newer mac
_SERVICE_KEYS = ("networks", "healthcheck", "published")


def render_record(rat: RatCompose, file: str | None) -> dict[str, Any]:
    """The record of `rat`, read from `file` (compose.rat.file; None: as documented), as plain data
    in a stable order."""
    published: dict[str, list[int]] = {}
    for port, service in sorted(rat.published.items()):
        published.setdefault(service, []).append(port)
    return {
        "format": FORMAT,
        "file": file,
        "source": rat.source,
        "override": rat.override_name,
        "networks": dict(sorted(rat.networks.items())),
        "services": {
            name: {
                "networks": list(networks),
                "healthcheck": name in rat.healthchecked,
                "published": published.get(name, []),
            }
            for name, networks in sorted(rat.service_networks.items())
        },
        "monitoring_joins": list(rat.networks_reaching()),
    }


def _field(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise DefinitionError(f"missing field {where}{key}", file=f"generated/{PATH}")
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise DefinitionError(
            f"field {where}{key} has the wrong type ({type(value).__name__})", file=f"generated/{PATH}"
        )
    return value


def _names(values: Any, field: str) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise DefinitionError(f"field {field} must be a list of names", file=f"generated/{PATH}")
    return tuple(values)


def parse_record(data: Any) -> RatCompose:
    """RAT's compose project from a committed record; a record that is not exactly what
    render_record writes is refused naming the field, since the tree would be rendered from it."""
    where = f"generated/{PATH}"
    if not isinstance(data, dict):
        raise DefinitionError("is not a mapping", file=where)
    written = _field(data, "format", int, "")
    if written > FORMAT:
        raise DefinitionError(
            f"was written by a newer mac (record format {written}; this mac reads format {FORMAT}): upgrade mac",
            file=where,
        )
    if written != FORMAT:
        raise DefinitionError(f"field format: unknown record format {written}", file=where)
    unknown = sorted(set(data) - {"format", "file", "source", "override", "networks", "services", "monitoring_joins"})
    if not isinstance(data.get("file"), str | None):
        raise DefinitionError("field file must be a path or null", file=where)
    if unknown:
        raise DefinitionError(f"unknown field {unknown[0]}", file=where)
    networks = _field(data, "networks", dict, "")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in networks.items()):
        raise DefinitionError("field networks must map network keys to names", file=where)
    service_networks: dict[str, tuple[str, ...]] = {}
    healthchecked, published = set(), {}
    for name, spec in _field(data, "services", dict, "").items():
        prefix = f"services.{name}."
        if not isinstance(spec, dict):
            raise DefinitionError(f"field services.{name} is not a mapping", file=where)
        extra = sorted(set(spec) - set(_SERVICE_KEYS))
        if extra:
            raise DefinitionError(f"unknown field {prefix}{extra[0]}", file=where)
        service_networks[name] = _names(_field(spec, "networks", list, prefix), f"{prefix}networks")
        for network in service_networks[name]:
            if network not in networks:
                raise DefinitionError(f"field {prefix}networks: {network!r} is not in networks", file=where)
        if _field(spec, "healthcheck", bool, prefix):
            healthchecked.add(name)
        for port in _field(spec, "published", list, prefix):
            if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
                raise DefinitionError(f"field {prefix}published: {port!r} is not a port", file=where)
            published[port] = name
    override = data.get("override")
    if override is not None and not isinstance(override, str):
        raise DefinitionError("field override must be a file name or null", file=where)
    rat = RatCompose(
        source=_field(data, "source", str, ""),
        file=None,
        override=None,
        override_name=override,
        networks=networks,
        service_networks=service_networks,
        healthchecked=frozenset(healthchecked),
        published=published,
    )
    for name in ("ratd", "nessie"):
        if name not in service_networks:
            raise DefinitionError(f"field services: RAT's {name} is missing", file=where)
    joins = _names(_field(data, "monitoring_joins", list, ""), "monitoring_joins")
    if joins != rat.networks_reaching():
        raise DefinitionError(
            f"field monitoring_joins is {list(joins)}, but the services' networks give {list(rat.networks_reaching())}",
            file=where,
        )
    return rat


def changes(recorded: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """What changed in RAT's compose project between two records, in RAT's terms."""
    found = []
    if recorded["override"] != now["override"]:
        found.append(
            f"RAT's override is now {now['override']}"
            if now["override"]
            else f"RAT's override {recorded['override']} is gone"
        )
    for key in sorted(set(recorded["networks"]) | set(now["networks"])):
        before, after = recorded["networks"].get(key), now["networks"].get(key)
        if before is None:
            found.append(f"network {key} was added")
        elif after is None:
            found.append(f"network {key} was removed")
        elif before != after:
            found.append(f"network {key} is now named {after} (was {before})")
    old_services, new_services = recorded["services"], now["services"]
    for name in sorted(set(old_services) | set(new_services)):
        if name not in new_services or name not in old_services:
            found.append(f"service {name} was {'removed' if name not in new_services else 'added'}")
            continue
        old, new = old_services[name], new_services[name]
        found += [f"{name} left network {n}" for n in old["networks"] if n not in new["networks"]]
        found += [f"{name} joined network {n}" for n in new["networks"] if n not in old["networks"]]
        if old["healthcheck"] != new["healthcheck"]:
            found.append(
                f"{name} has no health check any more" if old["healthcheck"] else f"{name} has a health check now"
            )
        found += [f"{name} no longer publishes port {p}" for p in old["published"] if p not in new["published"]]
        found += [f"{name} publishes port {p}" for p in new["published"] if p not in old["published"]]
    return found
