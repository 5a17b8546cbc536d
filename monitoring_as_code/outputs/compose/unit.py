"""The `compose` output: Prometheus, Alertmanager, blackbox_exporter, Loki and Grafana files and
the docker-compose override that runs them beside RAT's own compose project, with the record of
that project it was rendered from. The only output that loads `services/`. Its section of
monitoring.yaml is `compose` (settings.py beside this file)."""

from __future__ import annotations

import functools
from pathlib import Path

import attrs

from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.loader import load_stack
from monitoring_as_code.outputs import Output, preview_files, rule_test_files, runbook_previews
from monitoring_as_code.outputs.compose import record
from monitoring_as_code.outputs.compose.rat_project import LoadedRat, load_rat_project
from monitoring_as_code.outputs.compose.settings import SECTION
from monitoring_as_code.project import HEADER, Bundle, Project
from monitoring_as_code.render.alertmanager import render_alertmanager_config
from monitoring_as_code.render.blackbox import render_blackbox_config
from monitoring_as_code.render.compose import render_compose_override
from monitoring_as_code.render.grafana import render_dashboard
from monitoring_as_code.render.grafana_provisioning import render_dashboard_providers, render_datasources
from monitoring_as_code.render.loki import render_loki_config
from monitoring_as_code.render.prometheus import render_prometheus_config
from monitoring_as_code.render.rules import render_rule_file
from monitoring_as_code.render.runbook import render_runbook
from monitoring_as_code.serialize import to_json, to_yaml
from monitoring_as_code.settings import Settings
from monitoring_as_code.stack import Stack
from monitoring_as_code.validate import amtool, blackbox, compose, grafana, loki, promtool
from monitoring_as_code.validate.validators import Validators

NAME = "compose"


@attrs.frozen
class ComposePaths:
    """Where each file goes under generated/: the renderers write there, the validators read
    there, and services/monitoring.py mounts from there."""

    prometheus_config: str = "prometheus/prometheus.yml"
    rules: str = "prometheus/rules"
    tests: str = "prometheus/tests"
    alertmanager_config: str = "alertmanager/alertmanager.yml"
    blackbox_config: str = "blackbox/blackbox.yml"
    runbook: str = "docs/alerts.md"
    override: str = "compose/docker-compose.monitoring.yml"
    record: str = record.PATH
    loki_config: str = "loki/loki-config.yml"
    dashboards: str = "grafana/dashboards"
    datasources: str = "grafana/provisioning/datasources"
    providers: str = "grafana/provisioning/dashboards"
    previews: str = "grafana/previews"

    @property
    def prometheus_dir(self) -> str:
        return str(Path(self.prometheus_config).parent)

    @property
    def provisioning_dir(self) -> str:
        return str(Path(self.providers).parent)


PATHS = ComposePaths()


@attrs.frozen
class Loaded:
    rat: LoadedRat
    stack: Stack


def load(project: Project, settings: Settings) -> Loaded:
    """RAT's compose project (from RAT's file, else the record), then services/ under it. No secret
    file is read: those belong to the Docker host, and `mac preflight` checks them there."""
    compose = settings.of(SECTION)
    try:
        rat = load_rat_project(project.root, compose, project.generated)
    except DefinitionError as exc:
        raise exc.located(file=settings.source) from None  # settings it checks name monitoring.yaml
    with_rat = settings.with_section(SECTION, attrs.evolve(compose, rat_project=rat.project))
    return Loaded(rat, load_stack(project.services, with_rat))


def _prometheus_files(bundle: Bundle) -> dict[str, str]:
    settings, defs = bundle.settings, bundle.alerting
    files: dict[str, str] = {}
    rule_files = []
    rules_dir = Path(PATHS.rules).relative_to(PATHS.prometheus_dir)
    for group in defs.groups:
        path = f"{rules_dir}/{group.name}.yml"
        rule_files.append(path)
        files[f"{PATHS.prometheus_dir}/{path}"] = to_yaml(
            render_rule_file(group, settings),
            HEADER.format(source=f"{Path(group.file).parent.name}/{Path(group.file).name}"),
        )
    files.update(rule_test_files(defs, settings, PATHS.tests))
    source = HEADER.format(source="alerts/ and monitoring.yaml")
    files[PATHS.prometheus_config] = to_yaml(render_prometheus_config(defs, rule_files, settings), source)
    return files


def render(bundle: Bundle) -> dict[str, str]:
    settings, defs = bundle.settings, bundle.alerting
    loaded: Loaded = bundle.loaded[NAME]
    source = HEADER.format(source="alerts/ and monitoring.yaml")
    header = HEADER.format(source="monitoring.yaml")
    override = render_compose_override(loaded.stack, settings.of(SECTION), settings.logging)
    files = {
        **_prometheus_files(bundle),
        PATHS.blackbox_config: to_yaml(render_blackbox_config(defs), source),
        PATHS.alertmanager_config: to_yaml(render_alertmanager_config(defs, settings), source),
        PATHS.runbook: render_runbook(
            defs,
            settings,
            bundle.other_profiles,
            runbook_previews(bundle.dashboards, settings, PATHS.runbook, PATHS.previews),
        ),
        PATHS.override: to_yaml(override, HEADER.format(source="services/ and monitoring.yaml")),
        PATHS.record: to_yaml(
            loaded.rat.record, HEADER.format(source=f"RAT's compose project, {loaded.rat.record['source']}")
        ),
        PATHS.loki_config: to_yaml(render_loki_config(settings.retention), header),
        f"{PATHS.datasources}/rat.yml": to_yaml(render_datasources(settings), header),
        f"{PATHS.providers}/rat.yml": to_yaml(render_dashboard_providers(settings), header),
    }
    for dashboard in bundle.dashboards:
        files[f"{PATHS.dashboards}/{dashboard.uid}.json"] = to_json(render_dashboard(dashboard, settings))
    files.update(preview_files(bundle.dashboards, defs, settings, PATHS.previews))
    return files


def validators(project: Project, settings: Settings) -> Validators:
    """Every check of this output's files; the override merged onto RAT's compose project: its real
    files where they are here, else the project rebuilt from the tree's record of it."""
    bind = functools.partial
    return Validators(
        tools=(
            bind(promtool.check_config, config=PATHS.prometheus_config),
            bind(promtool.check_rules, folder=PATHS.rules),
            bind(promtool.test_rules, folder=PATHS.tests),
            bind(amtool.check_config, config=PATHS.alertmanager_config),
            bind(blackbox.check_config, config=PATHS.blackbox_config),
            bind(
                compose.check_merge, override=PATHS.override, record=PATHS.record, rat_file=_rat_file(project, settings)
            ),
        ),
        static=(
            bind(blackbox.check_probers, config_file=PATHS.blackbox_config),
            bind(compose.check_generated_mounts, override_file=PATHS.override),
            bind(loki.check_schema, config_file=PATHS.loki_config),
            bind(loki.check_start_up_rules, config_file=PATHS.loki_config),
            bind(grafana.check_dashboards, folder=PATHS.dashboards, previews=PATHS.previews),
            bind(grafana.check_provisioning, providers=PATHS.providers, datasources=PATHS.datasources),
            bind(grafana.check_datasource_uids, dashboards=PATHS.dashboards, datasources=PATHS.datasources),
        ),
    )


def _rat_file(project: Project, settings: Settings) -> Path | None:
    shown = settings.of(SECTION).rat.file
    return None if shown is None else project.root / shown


OUTPUT = Output(
    name=NAME,
    render=render,
    validators=validators,
    section=SECTION,
    load=load,
    notes=lambda loaded: loaded.rat.notes,
)
