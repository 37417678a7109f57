# Houston: set-up and everyday commands. `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
SCENARIO ?= the-grey

.PHONY: run test lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	touch $(BENCH_STAMP)

## Run the bundled demo scenario headless and print its mission timeline.
run: $(STAMP)
	$(BIN)/houston run $(SCENARIO) --out runs/$(SCENARIO)-$$(date -u +%Y%m%dT%H%M%SZ)

## Every test: lint, type checks on the core, the test suite.
test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy

## hapsira needs numpy < 2: it gets a venv of its own, used by bench/peers.py.
.venv-hapsira/bin/python:
	$(PYTHON) -m venv .venv-hapsira
	.venv-hapsira/bin/python -m pip install -q hapsira || echo "hapsira could not be installed: bench/peers.py will skip it"

## Benchmarks: prints a table of costs and ratios.
bench: $(BENCH_STAMP) .venv-hapsira/bin/python
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .venv-hapsira runs .pytest_cache .mypy_cache .ruff_cache
