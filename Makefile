# Two commands on a fresh Debian/Ubuntu machine: `make generate`, then `make test`.
# Each bootstraps what it needs: the virtualenv in .venv and the Debian tools the validators run.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian packages of the real tools: promtool, amtool, blackbox_exporter (node_exporter for e2e).
DEBIAN_TOOLS := prometheus prometheus-alertmanager prometheus-blackbox-exporter prometheus-node-exporter
TOOL_BINARIES := promtool amtool prometheus-blackbox-exporter prometheus-node-exporter
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: generate check validate list test lint tools venv clean

generate: venv tools  ## render, validate and write generated/
	$(BIN)/mac generate

check: venv tools  ## fail if generated/ is stale or invalid
	$(BIN)/mac check

validate: venv tools
	$(BIN)/mac validate

list: venv
	$(BIN)/mac list

test: venv tools lint  ## everything CI runs
	$(BIN)/python -m pytest -q

lint: venv
	$(BIN)/ruff check monitoring_as_code alerts dashboards tests
	$(BIN)/ruff format --check monitoring_as_code alerts dashboards tests

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
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

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
