"""`mac diff`: what a change to generated/ does, in meaning rather than text.

Each kind of thing (alerts, recording rules, scrape jobs, Alertmanager, SLOs, dashboards, Kubernetes
resources, the compose record) has a module here that reads both trees' generated files, not the
definitions, so any two trees compare (`--from DIR --to DIR`). Key order and whitespace are gone
once a file is parsed; the Kubernetes output's copy of a rule, test or runbook is merged with the
compose one. run.py puts the kinds together, report.py writes text, Markdown or JSON
(docs/diff.md).
"""
