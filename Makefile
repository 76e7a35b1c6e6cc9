# One command to build, one to test. Both set up what they need first:
# a virtualenv in .venv with the exact versions of requirements.txt.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DBT := $(BIN)/dbt
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

DEMO_CUSTOMERS ?= 5000
DEMO_ORDERS ?= 50000
DEMO_DIR := data/demo
TEST_DB := target/test.duckdb
DUCKDB_PATH ?= $(or $(CUSTOMER_VALUE_DUCKDB_PATH),customer_value.duckdb)
EXPORT_DIR ?= exports/marts
REPORT_DIR ?= reports

.PHONY: help venv venv-spark demo-data build build-spark test test-spark lint pytest dbt-test docs docs-smoke export report benchmark clean

help:
	@echo "make build      set up, generate the demo data and run dbt build (customer_value.duckdb)"
	@echo "make test       set up and run every check: lint, pytest, dbt build with all tests, docs"
	@echo "make demo-data  (re)generate the deterministic demo data in $(DEMO_DIR)/"
	@echo "make lint       ruff + sqlfluff"
	@echo "make docs       dbt docs generate (target/index.html, single file target/static_index.html)"
	@echo "make docs-smoke make docs, then open the site in headless Chromium and check it renders"
	@echo "make export     export the marts to Parquet in $(EXPORT_DIR)/ (run by make build)"
	@echo "make report     export, then draw the visual report: $(REPORT_DIR)/index.html"
	@echo "make build-spark  set up with the Spark extras, build everything on local Spark (Java 17/21)"
	@echo "make test-spark   build DuckDB and Spark on a small demo set and compare every public mart"
	@echo "make benchmark  set up, then time the whole build at 100k, 1M and 10M orders (BENCHMARKS.md)"
	@echo "make clean      remove build outputs (keeps .venv and data)"

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet --require-virtualenv -r requirements.txt
	$(BIN)/python -m pip install --quiet --require-virtualenv --no-deps -e .
	@touch $@

# Optional Spark extras (dbt-spark, pyspark) on top of the pinned venv.
venv-spark: $(VENV)/.installed-spark

$(VENV)/.installed-spark: $(VENV)/.installed requirements-spark.txt
	$(BIN)/python -m pip install --quiet --require-virtualenv -r requirements-spark.txt
	@touch $@

demo-data: $(DEMO_DIR)/orders.csv

$(DEMO_DIR)/orders.csv: src/customer_value/demo_data.py | venv
	$(BIN)/python -m customer_value.demo_data --customers $(DEMO_CUSTOMERS) \
		--orders $(DEMO_ORDERS) --seed 42 --out $(DEMO_DIR) --format csv

build: venv demo-data
	$(DBT) build
	$(BIN)/python -m customer_value.exports --database $(DUCKDB_PATH) --out $(EXPORT_DIR)

# The whole pipeline on a local Spark session (tables under target/spark/).
build-spark: venv-spark demo-data
	DBT_TARGET=spark $(BIN)/python -m customer_value.spark_runner

# Parity of Spark with DuckDB on a small demo set (PARITY_CUSTOMERS customers).
PARITY_CUSTOMERS ?= 300
PARITY_ORDERS ?= 3000
test-spark: venv-spark
	$(BIN)/python -m customer_value.spark_parity --customers $(PARITY_CUSTOMERS) --orders $(PARITY_ORDERS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint models tests/singular analyses

# Two workers (one per core); each test module stays on one worker, so its
# shared builds are made once. The slowest tests are listed at the end.
PYTEST_WORKERS ?= 2
pytest: venv
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=15

# dbt build (seeds, models, schema tests, unit tests) into a separate test
# database, then the docs site, so `make test` never touches the dev database.
dbt-test: venv demo-data
	@mkdir -p target
	rm -f $(TEST_DB) $(TEST_DB).wal
	CUSTOMER_VALUE_DUCKDB_PATH=$(TEST_DB) $(DBT) build --warn-error-options '{"error": ["NoNodesForSelectionCriteria"]}'
	CUSTOMER_VALUE_DUCKDB_PATH=$(TEST_DB) $(DBT) docs generate --static
	$(BIN)/python scripts/check_project_conventions.py target
	$(BIN)/python tests/docs_smoke/check_docs_site.py --target target

test: lint pytest dbt-test
	@echo "All checks passed."

docs: venv demo-data
	$(DBT) docs generate --static
	@echo "Open target/index.html, or serve it: $(DBT) docs serve"

docs-smoke: docs
	$(BIN)/python tests/docs_smoke/check_docs_site.py --target target

export: venv
	$(BIN)/python -m customer_value.exports --database $(DUCKDB_PATH) --out $(EXPORT_DIR)

report: export
	$(BIN)/python -m customer_value.report --exports $(EXPORT_DIR) --out $(REPORT_DIR)

# Whole-build benchmark against hand-written baselines; appends to BENCHMARKS.md.
BENCHMARK_ARGS ?= --sizes 100000 1000000 10000000 --daily
benchmark: venv
	$(BIN)/python scripts/benchmark.py $(BENCHMARK_ARGS)

clean:
	rm -rf target logs dbt_packages customer_value.duckdb customer_value.duckdb.wal exports/marts reports
