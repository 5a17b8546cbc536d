"""Synthetic definitions for the scale benchmarks, written out as source the way a person writes
them (alerts/api.py, dashboards/overview.py): real model classes, grafanalib panels, catalog
metrics, so every lint rule and check applies to them as to the RAT bundle."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from monitoring_as_code.dashboard import GRID_COLUMNS

ALERTS_PER_MODULE = 20  # one rule group per module, as in alerts/
PANELS_PER_DASHBOARD = 24
PANEL_WIDTH, PANEL_HEIGHT = 6, 8  # four panels per row
# What every synthetic project copies from the repository: settings, services, and the RAT alerts
# (scrape jobs, probes and routing the generated configuration needs).
PROJECT_PARTS = ("monitoring.yaml", "services", "alerts", "slos")

# (expression with {threshold}, input series, service, severity, check): gauges and counter rates
# from the catalog. A counter rises `level` per second; its rate() is that level up to rounding, so
# the near-miss stays one below the threshold.
_ALERT_KINDS = (
    (
        'max by (job) (ratd_active_runs{{job="ratd"}}) > {threshold}',
        'ratd_active_runs{job="ratd",instance="ratd:8080"}',
        "runner",
        "warning",
        "ratd_active_runs",
    ),
    (
        'sum by (job) (rate(ratd_http_requests_total{{job="ratd",status=~"5.."}}[5m])) > {threshold}',
        'ratd_http_requests_total{job="ratd",instance="ratd:8080",path="/api/v1/query",method="GET",status="503"}',
        "ratd",
        "critical",
        "ratd_http_requests_total",
    ),
    (
        'sum by (job) (rate(ratd_pipeline_runs_total{{job="ratd",status="failed"}}[5m])) > {threshold}',
        'ratd_pipeline_runs_total{job="ratd",instance="ratd:8080",status="failed"}',
        "runner",
        "info",
        "ratd_pipeline_runs_total",
    ),
)
SCRAPE_SECONDS = 15  # monitoring.yaml's scrape interval: input series are sampled at this pace


def _alert_source(number: int) -> str:
    expr, series, service, severity, check = _ALERT_KINDS[number % len(_ALERT_KINDS)]
    threshold = number % 50 + 1
    gauge = "rate(" not in expr

    def values(level: int) -> str:
        # 40 samples (10 minutes): a gauge at `level`, or a counter rising `level` per second.
        return f"{level}x40" if gauge else f"0+{level * SCRAPE_SECONDS}x40"

    return f"""        Alert(
            name="BenchSynthetic{number:05d}",
            expr={expr.format(threshold=threshold)!r},
            for_="2m",
            severity={severity!r},
            service={service!r},
            condition="Synthetic condition {number}",
            check={check!r},
            threshold="> {threshold}",
            summary="Synthetic alert {number} is above its threshold",
            description="The observed value is {{{{ $value | humanize }}}}, above {threshold}.",
            runbook=Runbook(
                "A synthetic alert of the scale benchmark: the expression crossed its threshold.",
                ["Open the RAT overview dashboard.", "Check the logs of {service}."],
            ),
            scenarios=[
                Scenario(
                    "fires above the threshold",
                    {{{series!r}: {values(threshold + 1)!r}}},
                    at="8m",
                    fires=[Firing({{"job": "ratd"}}, {threshold + 1})],
                ),
                Scenario("silent below the threshold", {{{series!r}: {values(threshold - 1)!r}}}, at="8m"),
            ],
        ),
"""


def alerts_module(first: int, count: int) -> str:
    """A definition module for alerts/ holding alerts first .. first + count - 1."""
    alerts = "".join(_alert_source(n) for n in range(first, first + count))
    return f'''"""Synthetic alerts {first} to {first + count - 1} (scale benchmark)."""

from __future__ import annotations

from monitoring_as_code.model import Alert, Firing, Runbook, Scenario
from monitoring_as_code.settings import Settings

PROFILES = ("guide",)  # they read the guide's ratd metrics


def define(settings: Settings) -> list[Alert]:
    return [
{alerts}    ]
'''


# (grafanalib class, options, query): catalog series, the way dashboards/overview.py queries them.
_PANEL_KINDS = (
    (
        "core.TimeSeries",
        'unit="reqps"',
        'sum by (status) (rate(ratd_http_requests_total{job="ratd",instance=~"$instance"}[$__rate_interval]))',
    ),
    ("core.Stat", 'format="none", reduceCalc="lastNotNull"', 'min by (check) (probe_success{job="rat-probes"})'),
    ("core.GaugePanel", 'format="short", min=0, max=10', 'sum(ratd_active_runs{job="ratd",instance=~"$instance"})'),
    (
        "core.Table",
        'unit="short"',
        'count by (alertname, severity, service) (ALERTS{alertstate="firing"})',
    ),
    (
        "core.PieChartv2",
        'unit="short", reduceOptionsCalcs=["lastNotNull"]',
        'sum by (status) (increase(ratd_pipeline_runs_total{job="ratd",instance=~"$instance"}[$__range]))',
    ),
)


def _panel_source(dashboard: int, index: int) -> str:
    kind, options, expr = _PANEL_KINDS[index % len(_PANEL_KINDS)]
    per_row = GRID_COLUMNS // PANEL_WIDTH
    x, y = index % per_row * PANEL_WIDTH, index // per_row * PANEL_HEIGHT
    return f"""    {kind}(
        id={index + 1},
        title="Panel {index + 1}",
        description="Synthetic panel {index + 1} of dashboard {dashboard} (scale benchmark).",
        dataSource=METRICS,
        targets=[core.Target(expr={expr!r}, legendFormat="{{{{job}}}}", refId="A")],
        {options},
        gridPos=core.GridPos(h={PANEL_HEIGHT}, w={PANEL_WIDTH}, x={x}, y={y}),
    ),
"""


def _panels_source(dashboard: int) -> str:
    return "PANELS = [\n" + "".join(_panel_source(dashboard, i) for i in range(PANELS_PER_DASHBOARD)) + "]\n"


# Both flavours share the variables and the panels, so they define the same dashboard.
_DASHBOARD_HEAD = '''"""Synthetic dashboard {number} (scale benchmark)."""

from __future__ import annotations

from grafanalib import core

{extra_imports}
PROMETHEUS = core.Template(
    name="prometheus", label="Prometheus", type="datasource", query="prometheus", default="rat-prometheus"
)
METRICS = {{"type": "prometheus", "uid": "${{prometheus}}"}}
INSTANCE = core.Template(
    name="instance",
    label="ratd instance",
    type="query",
    dataSource=METRICS,
    query='label_values(up{{job="ratd"}}, instance)',
    default="$__all",
    includeAll=True,
    multi=True,
    refresh=core.REFRESH_ON_TIME_RANGE_CHANGE,
)
'''


def mac_dashboard_module(number: int) -> str:
    """A definition module for dashboards/ with one dashboard of PANELS_PER_DASHBOARD panels."""
    imports = "from monitoring_as_code.dashboard import Dashboard\nfrom monitoring_as_code.settings import Settings\n"
    head = _DASHBOARD_HEAD.format(number=number, extra_imports=imports)
    return f"""{head}{_panels_source(number)}

def define(settings: Settings) -> list[Dashboard]:
    return [
        Dashboard(
            uid="bench-{number:04d}",
            title="Synthetic dashboard {number}",
            description="Synthetic dashboard {number} of the scale benchmark.",
            tags=["bench"],
            variables=[PROMETHEUS, INSTANCE],
            panels=PANELS,
        )
    ]
"""


def grafanalib_dashboard_module(number: int) -> str:
    """The same dashboard in grafanalib's own convention: a *.dashboard.py defining `dashboard`."""
    head = _DASHBOARD_HEAD.format(number=number, extra_imports="")
    return f"""{head}{_panels_source(number)}
dashboard = core.Dashboard(
    uid="bench-{number:04d}",
    title="Synthetic dashboard {number}",
    description="Synthetic dashboard {number} of the scale benchmark.",
    tags=["bench"],
    templating=core.Templating(list=[PROMETHEUS, INSTANCE]),
    panels=PANELS,
)
"""


def copy_project_parts(repo: Path, root: Path) -> None:
    """A new project in `root` with the repository's PROJECT_PARTS and an empty dashboards/."""
    root.mkdir(parents=True)
    for part in PROJECT_PARTS:
        source = repo / part
        if source.is_dir():
            shutil.copytree(source, root / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, root / part)
    (root / "dashboards").mkdir()
    (root / "dashboards" / "__init__.py").write_text("")
    # The synthetic alerts and panels read the guide's ratd metrics.
    settings = root / "monitoring.yaml"
    settings.write_text(re.sub(r"(?m)^(  profile: ).*$", r"\g<1>guide", settings.read_text(), count=1))


def write_alerts(root: Path, count: int) -> None:
    for first in range(0, count, ALERTS_PER_MODULE):
        text = alerts_module(first, min(ALERTS_PER_MODULE, count - first))
        (root / "alerts" / f"bench_{first // ALERTS_PER_MODULE:04d}.py").write_text(text)


def write_dashboards(root: Path, count: int) -> None:
    for number in range(count):
        (root / "dashboards" / f"bench_{number:04d}.py").write_text(mac_dashboard_module(number))


def scale_project(repo: Path, root: Path, dashboards: int, alerts: int) -> Path:
    """The repository's settings, services and alerts plus the synthetic dashboards and alerts."""
    copy_project_parts(repo, root)
    write_alerts(root, alerts)
    write_dashboards(root, dashboards)
    return root


def dashboards_only_project(repo: Path, root: Path, dashboards: int) -> Path:
    """Settings and services, the synthetic dashboards, and an alerts/ without rules: scrape jobs,
    probes and routing only (what the Prometheus and Alertmanager files need)."""
    copy_project_parts(repo, root)
    for module in (root / "alerts").glob("*.py"):
        if module.name not in ("__init__.py", "_shared.py", "scrape.py", "routing.py") and not module.name.startswith(
            "profile_"
        ):
            module.unlink()
    write_dashboards(root, dashboards)
    return root


def with_outputs(repo: Path, root: Path, outputs: tuple[str, ...]) -> Path:
    """The RAT bundle as the repository has it (dashboards included), with `outputs:` set."""
    root.mkdir(parents=True)
    for part in (*PROJECT_PARTS, "dashboards"):
        source = repo / part
        if source.is_dir():
            shutil.copytree(source, root / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, root / part)
    settings = root / "monitoring.yaml"
    text = re.sub(r"(?m)^outputs:.*\n", "", settings.read_text())
    settings.write_text(f"{text}\noutputs: [{', '.join(outputs)}]\n")
    return root


def grafanalib_folder(folder: Path, dashboards: int) -> list[Path]:
    """The synthetic dashboards as grafanalib *.dashboard.py files; their paths."""
    folder.mkdir(parents=True)
    paths = []
    for number in range(dashboards):
        path = folder / f"bench_{number:04d}.dashboard.py"
        path.write_text(grafanalib_dashboard_module(number))
        paths.append(path)
    return paths


def without_previews(source: Path, root: Path) -> Path:
    """A copy of the project at `source` with `grafana.previews: false` (the previews' cost is the
    difference)."""
    shutil.copytree(source, root, ignore=shutil.ignore_patterns("__pycache__", "generated"))
    settings = root / "monitoring.yaml"
    text, count = re.subn(r"(?m)^grafana:\n", "grafana:\n  previews: false\n", settings.read_text())
    assert count == 1, f"no grafana: section in {settings}"
    settings.write_text(text)
    return root
