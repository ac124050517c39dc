# The README's two commands: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?= -n 2

.PHONY: run test test-only lint install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test,ai]"
	touch $@

install: $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/deskline serve

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src bench
	$(BIN)/ruff format --check src bench
	$(BIN)/deskline makemigrations --check --dry-run

test: $(VENV)/.installed-test lint test-only

test-only: $(VENV)/.installed-test
	$(BIN)/pytest $(PYTEST_ARGS)
