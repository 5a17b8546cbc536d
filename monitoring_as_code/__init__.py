"""monitoring-as-code: the monitoring of RAT, defined in Python, rendered and validated."""

import time

STARTED = time.perf_counter()  # the first of mac's lines to run: `--timings` counts imports from here
