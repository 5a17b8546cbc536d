# Two commands on a fresh Debian/Ubuntu machine: `make generate`, then `make test`.
# Each bootstraps what it needs: the virtualenv in .venv and the Debian tools the validators run.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian packages of the real tools: promtool, amtool, blackbox_exporter, git (`mac diff`), the headless
# Chromium (with its driver) the dashboard previews are checked in; node_exporter, PostgreSQL and
# postgres_exporter for e2e. PostgreSQL's server programs are not on PATH: initdb by path.
DEBIAN_TOOLS := prometheus prometheus-alertmanager prometheus-blackbox-exporter prometheus-node-exporter git \
	chromium chromium-driver fonts-dejavu-core postgresql prometheus-postgres-exporter
TOOL_BINARIES := promtool amtool prometheus-blackbox-exporter prometheus-node-exporter git chromium chromedriver \
	/usr/lib/postgresql/15/bin/initdb prometheus-postgres-exporter
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: generate check validate list test e2e lint bench tools venv clean up

generate: venv tools  ## render, validate and write generated/
	$(BIN)/mac generate

check: venv tools  ## fail if generated/ is stale or invalid
	$(BIN)/mac check

validate: venv tools
	$(BIN)/mac validate

list: venv
	$(BIN)/mac list

# Three workers on two cores: each profile's end-to-end stack is one group (tests/e2e/conftest.py)
# on a worker of its own, and mostly waits on its alerts; the third uses the cores meanwhile.
PYTEST_WORKERS := -n 3 --dist loadgroup

test: venv tools lint  ## everything CI runs: unit, real-tool and end-to-end tests
	$(BIN)/python -m pytest -q $(PYTEST_WORKERS) --durations=15

e2e: venv tools  ## only the end-to-end run against the real Prometheus, Alertmanager and exporters
	$(BIN)/python -m pytest -q -m e2e $(PYTEST_WORKERS)

lint: venv
	$(BIN)/ruff check monitoring_as_code alerts slos dashboards services tests bench
	$(BIN)/ruff format --check monitoring_as_code alerts slos dashboards services tests bench

bench: venv tools  ## wall time and peak memory at RAT's size and at scale: a table and bench/results.json
	$(BIN)/python bench/run.py

venv: $(STAMP)

$(STAMP): pyproject.toml
	@# Debian's own python3 ships venv separately (python3-venv).
	@$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-venv >/dev/null; }
	@# A virtualenv that runs (one a CI cache restored) is kept: re-creating it reinstalls pip for nothing.
	$(BIN)/python -m pip --version >/dev/null 2>&1 || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

tools:  ## install the Debian packages whose binaries are missing
	@missing=""; for t in $(TOOL_BINARIES); do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages for:$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(DEBIAN_TOOLS) >/dev/null; \
	fi

# RAT's compose files with the generated override layered on: compose.rat.file in monitoring.yaml,
# or else RAT_COMPOSE, and the docker-compose.override.yml beside it if RAT has one (Compose merges
# it on its own only when given no -f). The override names this project's files under
# ${MAC_PROJECT_DIR}: this folder (docs/compose.md has the layout).
RAT_COMPOSE ?=
SETTINGS ?= monitoring.yaml
OVERRIDE := generated/compose/docker-compose.monitoring.yml
# Services reading generated/ carry this label (render/compose.py): `generate` swaps generated/ by
# rename and their bind mounts keep the old folder until the container restarts.
READS_GENERATED := label=org.monitoring-as-code.reads-generated=true
export MAC_PROJECT_DIR := $(CURDIR)

# `mac preflight` stops before anything starts: RAT's compose file missing, a secret file a
# container cannot read, a host path the override mounts missing, or the Loki plugin missing (RAT's
# containers could not be created); it prints the fix, and on success RAT's files to layer on, as
# shell-quoted `-f` options (hence eval).
up: generate  ## start RAT with the monitoring stack (prints the commands when there is no Docker engine)
	@rat=$$($(BIN)/mac --settings "$(SETTINGS)" preflight $(if $(RAT_COMPOSE),--rat-compose "$(RAT_COMPOSE)")) || exit $$?; \
	compose="docker compose $$rat -f $(OVERRIDE)"; \
	if docker info >/dev/null 2>&1; then \
		eval "$$compose up -d" && docker ps -q --filter $(READS_GENERATED) | xargs -r docker restart; \
	else \
		echo "no Docker engine here; on the Docker host run, from $(CURDIR):"; \
		echo "  export MAC_PROJECT_DIR=$(CURDIR)"; \
		echo "  $$compose up -d"; \
		echo "  docker ps -q --filter $(READS_GENERATED) | xargs -r docker restart"; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
