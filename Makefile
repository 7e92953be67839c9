# Two commands for a new machine with only Python 3 and make: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench conformance clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/sheets-sync demo

test: $(STAMP)
	$(BIN)/python -m ruff check sheets_sync jobs tests bench
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/python -m ruff check sheets_sync jobs tests bench

conformance: $(STAMP)
	$(BIN)/python -m sheets_sync.emulator.sheets.conformance

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .sheets-sync demo-tracker.xlsx
