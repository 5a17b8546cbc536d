"""monitoring-as-code: the monitoring of RAT, defined in Python, rendered and validated."""
