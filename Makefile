# Second Me — everything goes through the project's own virtual environment.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup run test stress bench lint

setup:
	@bash scripts/setup.sh

run: setup
	@$(VENV)/bin/secondme

test: setup
	@$(PY) -m pytest -q -m "not slow"

stress: setup
	@$(PY) -m pytest -q -m slow

bench: setup
	@$(PY) bench/run_all.py

lint: setup
	@$(VENV)/bin/ruff check secondme storage tui tests bench
