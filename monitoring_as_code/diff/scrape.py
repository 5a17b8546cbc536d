"""Scrape jobs, probe targets and blackbox modules: prometheus.yml's jobs by name (a probe job's
targets as probes, by check), its other settings, and each blackbox module by name."""

from __future__ import annotations

from typing import Any

from monitoring_as_code.diff import copies
from monitoring_as_code.diff.change import Change, Fields, compare_items, flatten, merge_copies
from monitoring_as_code.diff.tree import Tree

PROMETHEUS = "prometheus/prometheus.yml"
CLAIMS = (PROMETHEUS, *copies.BLACKBOX.values())
_PROBE_MODULE = "__param_module"  # a static target carrying its module is a blackbox probe (render/prometheus.py)


def _probe(config: dict[str, Any]) -> bool:
    return _PROBE_MODULE in (config.get("labels") or {})


def scrape_items(tree: Tree) -> tuple[dict[str, Fields], dict[str, Fields]]:
    """(jobs and the global settings, probes) of prometheus.yml."""
    if not tree.exists(PROMETHEUS):
        return {}, {}
    config = dict(tree.data(PROMETHEUS) or {})
    jobs, probes = {}, {}
    for job in config.pop("scrape_configs", None) or []:
        job = dict(job)
        statics = job.pop("static_configs", None) or []
        kept = [s for s in statics if not _probe(s)]
        for static in statics:
            if _probe(static):
                labels = dict(static["labels"])
                module = labels.pop(_PROBE_MODULE)
                check = str(labels.pop("check", module))
                probes[check] = {"job": job.get("job_name"), "module": module, "targets": static.get("targets")}
                probes[check].update({f"label {k}": v for k, v in labels.items()})
        if kept:
            job["static_configs"] = kept
        jobs[f"job {job.get('job_name')}"] = flatten(job)
    jobs["prometheus settings"] = flatten(config)
    return jobs, probes


def compare(before: Tree, after: Tree, changed: frozenset[str]) -> list[Change]:
    (old_jobs, old_probes), (new_jobs, new_probes) = scrape_items(before), scrape_items(after)
    changes = compare_items("scrape jobs", old_jobs, new_jobs)
    changes += compare_items("probes", old_probes, new_probes, lambda f: f"{f['module']} {f['targets']}")
    changes += merge_copies(
        (
            copy,
            compare_items(
                "blackbox modules",
                {k: flatten(v) for k, v in copies.blackbox_modules(before, copy).items()},
                {k: flatten(v) for k, v in copies.blackbox_modules(after, copy).items()},
                lambda f: str(f.get("prober")),
            ),
        )
        for copy in copies.present(before, after)
    )
    return changes
