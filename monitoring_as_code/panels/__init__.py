"""One module per Grafana panel type, each holding the type's model rules (the grafanalib
attributes it translates, its unit), its renderer to current Grafana JSON and its preview drawing,
side by side. registry.py lists them; dashboard.py and render/grafana.py keep the dashboard-level
parts."""
