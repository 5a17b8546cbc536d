"""prometheus.yml: global intervals, rule files, Alertmanager, and every scrape job."""

from __future__ import annotations

from typing import Any

from monitoring_as_code.definitions import Definitions
from monitoring_as_code.duration import format_duration
from monitoring_as_code.model import Probe, ScrapeJob
from monitoring_as_code.settings import Settings

DEFAULT_SCRAPE_TIMEOUT = 10.0  # Prometheus' own default, capped below by the scrape interval


def _probe_job(job: str, interval: float | None, probes: list[Probe], settings: Settings) -> dict[str, Any]:
    # The blackbox pattern: the probed URL becomes the `target` parameter and the `instance`
    # label, the module travels as `__param_module`, and the scrape goes to the exporter. Probes
    # at their own interval are a scrape job of their own (an interval is per job), whose `job`
    # label is set back to their job's, so the alerts and panels select them alike.
    every = settings.intervals.scrape if interval is None else interval
    own_job = [] if interval is None else [{"target_label": "job", "replacement": job}]
    return {
        "job_name": job if interval is None else f"{job}-every-{format_duration(interval)}",
        "scrape_interval": format_duration(every),
        "metrics_path": "/probe",
        "static_configs": [
            {"targets": [p.url], "labels": {"check": p.check, "__param_module": p.module}} for p in probes
        ],
        "relabel_configs": [
            {"source_labels": ["__address__"], "target_label": "__param_target"},
            {"source_labels": ["__param_target"], "target_label": "instance"},
            {"target_label": "__address__", "replacement": settings.targets.blackbox},
            *own_job,
        ],
    }


def job_interval(job: ScrapeJob, settings: Settings) -> float:
    """A scrape job's interval: every job's, or its own `min_interval` when longer."""
    return max(settings.intervals.scrape, job.min_interval)


def job_timeout(job: ScrapeJob, settings: Settings) -> float | None:
    """A slow target's own scrape timeout (as long as its interval, at most Prometheus' default);
    None: the global one."""
    return min(job.min_interval, DEFAULT_SCRAPE_TIMEOUT) if job.min_interval > settings.intervals.scrape else None


def render_prometheus_config(defs: Definitions, rule_files: list[str], settings: Settings) -> dict[str, Any]:
    scrape = settings.intervals.scrape
    # Every job states its interval, as the guide's ratd job does: the consecutive-failure
    # alerts count scrapes, so the interval is part of their meaning.
    jobs: list[dict[str, Any]] = [
        {
            "job_name": j.name,
            "static_configs": [{"targets": list(j.targets)}],
            "scrape_interval": format_duration(job_interval(j, settings)),
            **({"scrape_timeout": format_duration(timeout)} if (timeout := job_timeout(j, settings)) else {}),
            "metrics_path": j.metrics_path,
            **({} if j.honor_timestamps else {"honor_timestamps": False}),
            **(
                {"authorization": {"type": "Bearer", "credentials_file": j.credentials_file}}
                if j.credentials_file
                else {}
            ),
        }
        for j in defs.scrape_jobs
    ]
    probes_by_job: dict[tuple[str, float | None], list[Probe]] = {}
    for probe in defs.probes:
        interval = None if probe.interval in (None, scrape) else probe.interval
        probes_by_job.setdefault((probe.job, interval), []).append(probe)
    jobs += [_probe_job(job, interval, probes, settings) for (job, interval), probes in probes_by_job.items()]
    return {
        "global": {
            "scrape_interval": format_duration(scrape),
            "scrape_timeout": format_duration(min(scrape, DEFAULT_SCRAPE_TIMEOUT)),
            "evaluation_interval": format_duration(settings.intervals.evaluation),
        },
        "rule_files": rule_files,
        "alerting": {
            "alertmanagers": [{"api_version": "v2", "static_configs": [{"targets": [settings.targets.alertmanager]}]}]
        },
        "scrape_configs": jobs,
    }
