# Each target sets up its own environment first; nothing needs to be run before it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: sandbox sandbox-web serve test lint bench lock

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "smokejumper needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

sandbox: $(STAMP)
	$(BIN)/smokejumper sandbox

sandbox-web: $(STAMP)
	$(BIN)/smokejumper sandbox --web

serve: $(STAMP)
	$(BIN)/smokejumper serve

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/real_alerts_bench.py
	$(BIN)/python bench/triage_bench.py
	$(BIN)/python bench/intake_bench.py
	$(BIN)/python bench/storm_bench.py
	$(BIN)/python bench/slow_clients_bench.py
	$(BIN)/python bench/side_by_side_bench.py

lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^smokejumper' > requirements.lock
