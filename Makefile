# The two commands a fresh machine needs (see README):
#   make demo   set up, start the local servers, generate a legacy database, run the cutover
#   make test   set up and run the test suite (what CI runs)
#   make bench  the benchmark at scales 0.1, 0.3 and 1.0 (BENCH_SCALES=...)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SCALE  ?= 0.05
SEED   ?= 42

BENCH_SCALES ?= 0.1 0.3 1.0

.PHONY: setup demo test test-fast lint bench servers-down clean

$(BIN)/cutover: pyproject.toml devtools/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]' -e ./devtools
	touch $@

setup: $(BIN)/cutover

demo: setup
	$(BIN)/cutover dev up
	$(BIN)/cutover legacy generate --scale $(SCALE) --seed $(SEED)
	$(BIN)/cutover run

test: lint
	$(BIN)/pytest

# The quick loop: tests/unit, no database server, a few seconds.
test-fast: setup
	$(BIN)/pytest -m "not servers"

# The benchmark on the local servers (regenerates their legacy database, empties their target).
bench: setup
	$(BIN)/cutover dev up
	$(BIN)/cutover bench $(foreach s,$(BENCH_SCALES),--scale $(s))

# What needs no database; sqlfluff (dbt templater) runs in the suite, against its own servers.
lint: setup
	$(BIN)/ruff check runner devtools tests
	$(BIN)/ruff format --check runner devtools tests
	$(BIN)/cutover docs --check

servers-down: setup
	$(BIN)/cutover dev down

clean:
	rm -rf target logs .pytest_cache
