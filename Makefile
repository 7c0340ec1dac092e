# Set-up, build and test on a fresh machine with only Python and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: build test test-fast lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

build: $(STAMP)
	bash scripts/install-fonts
	$(BIN)/book build .

# One pytest worker per core, each test file on one worker (its module fixtures built once);
# the session's shared builds are made once per worker.
test: $(TEST_STAMP)
	bash scripts/install-system-deps
	bash scripts/install-fonts
	bash scripts/install-ace
	$(BIN)/python -m pytest -n auto --dist loadfile

# The unit tests of the pure functions: no build, no browser, no Java (under 30 s).
test-fast: $(TEST_STAMP)
	$(BIN)/python -m pytest -q tests/unit

# ruff and mypy as configured in pyproject.toml; CI runs both after the tests.
lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy book

clean:
	rm -rf dist .book-cache
