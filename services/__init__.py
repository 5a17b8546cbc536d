"""The services of the docker-compose override: RAT's health checks and the monitoring stack."""
