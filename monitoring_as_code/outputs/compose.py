"""The `compose` output: Prometheus, Alertmanager, blackbox_exporter, Loki and Grafana files and
the docker-compose override that runs them beside RAT's own compose project. The only output
that loads `services/`."""

from __future__ import annotations

import functools
from pathlib import Path

import attrs

from monitoring_as_code.errors import DefinitionError
from monitoring_as_code.loader import load_stack
from monitoring_as_code.outputs import Output, rule_test_files
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
from monitoring_as_code.secrets import secret_problems
from monitoring_as_code.serialize import to_json, to_yaml
from monitoring_as_code.settings import Settings
from monitoring_as_code.stack import Stack
from monitoring_as_code.validate import Validators, amtool, blackbox, compose, grafana, loki, promtool

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
    loki_config: str = "loki/loki-config.yml"
    dashboards: str = "grafana/dashboards"
    datasources: str = "grafana/provisioning/datasources"
    providers: str = "grafana/provisioning/dashboards"

    @property
    def prometheus_dir(self) -> str:
        return str(Path(self.prometheus_config).parent)

    @property
    def provisioning_dir(self) -> str:
        return str(Path(self.providers).parent)


PATHS = ComposePaths()


def load(project: Project, settings: Settings) -> Stack:
    rat_file = settings.deployment.compose.rat.compose.file
    if rat_file is not None:
        # Generated beside RAT's own compose file: its secrets must be in place for the first `up`.
        problems = secret_problems(settings, rat_file.parent)
        if problems:
            more = f" (and {len(problems) - 1} more: `mac preflight` lists them)" if len(problems) > 1 else ""
            raise DefinitionError(problems[0] + more, obj="settings compose.secrets", file=settings.source)
    return load_stack(project.services, settings)


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
    deployment = settings.deployment
    source = HEADER.format(source="alerts/ and monitoring.yaml")
    header = HEADER.format(source="monitoring.yaml")
    override = render_compose_override(bundle.loaded[NAME], deployment.compose, deployment.logging)
    files = {
        **_prometheus_files(bundle),
        PATHS.blackbox_config: to_yaml(render_blackbox_config(defs), source),
        PATHS.alertmanager_config: to_yaml(render_alertmanager_config(defs, settings), source),
        PATHS.runbook: render_runbook(defs, settings, bundle.other_profiles),
        PATHS.override: to_yaml(override, HEADER.format(source="services/ and monitoring.yaml")),
        PATHS.loki_config: to_yaml(render_loki_config(deployment), header),
        f"{PATHS.datasources}/rat.yml": to_yaml(render_datasources(settings), header),
        f"{PATHS.providers}/rat.yml": to_yaml(render_dashboard_providers(settings), header),
    }
    for dashboard in bundle.dashboards:
        files[f"{PATHS.dashboards}/{dashboard.uid}.json"] = to_json(render_dashboard(dashboard, settings))
    return files


def validators(settings: Settings) -> Validators:
    """Every check of this output's files; the override merged onto RAT's compose project (its
    real file when the settings name one)."""
    bind = functools.partial
    return Validators(
        tools=(
            bind(promtool.check_config, config=PATHS.prometheus_config),
            bind(promtool.check_rules, folder=PATHS.rules),
            bind(promtool.test_rules, folder=PATHS.tests),
            bind(amtool.check_config, config=PATHS.alertmanager_config),
            bind(blackbox.check_config, config=PATHS.blackbox_config),
            bind(compose.check_merge, override=PATHS.override, rat=settings.deployment.compose.rat.compose),
        ),
        static=(
            bind(blackbox.check_probers, config_file=PATHS.blackbox_config),
            bind(compose.check_generated_mounts, override_file=PATHS.override),
            bind(loki.check_schema, config_file=PATHS.loki_config),
            bind(loki.check_start_up_rules, config_file=PATHS.loki_config),
            bind(grafana.check_dashboards, folder=PATHS.dashboards),
            bind(grafana.check_provisioning, providers=PATHS.providers, datasources=PATHS.datasources),
            bind(grafana.check_datasource_uids, dashboards=PATHS.dashboards, datasources=PATHS.datasources),
        ),
    )


OUTPUT = Output(name=NAME, render=render, validators=validators, load=load)
