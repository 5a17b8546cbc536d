"""The RAT dashboards, in Python (grafanalib)."""
