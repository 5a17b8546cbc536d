"""The RAT alerting content: scrape targets, probes, recording and alerting rules, routing."""
