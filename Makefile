# Two entry points: `make run` (the whole centre on its embedded default) and `make test` (everything).
# Both set up what they need first and are safe to repeat.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: setup system python web asterisk-root run test lint typecheck unit clean-state

setup: system python web asterisk-root

system:
	bash scripts/setup-system.sh

python: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The pages' npm dependencies (JsSIP for the browser phone, ECharts for the supervisor charts), bundled into
# agent_desktop/static/vendor.
web:
	cd agent_desktop/web && npm ci --no-audit --no-fund && npm run --silent vendor

asterisk-root: python
	$(BIN)/python -c "from hotline.settings import Settings; from hotline.sandbox.provision import ensure_root; print('asterisk sandbox root:', ensure_root(Settings().cache_dir))"

run: setup
	$(BIN)/hotline run

lint: python
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: python
	$(BIN)/mypy

unit: python
	$(BIN)/pytest tests/unit -q

# Three workers on 2 cores: most real-part tests wait on calls rather than compute (load average about 2-3
# during a run); 1,602 s with two workers, 1,217 s with three. Each worker has its own Asterisk sandbox;
# a test file stays on one worker so its fixtures are built once.
test: setup lint typecheck
	$(BIN)/pytest -q -n 3 --dist loadfile --durations=25
