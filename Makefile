# otp-pipeline: every command a developer or an operator needs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
MANIFEST := dbt_project/target/manifest.json
DEMO_MONTHS ?= 2021-01:2021-06
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export OTP_LANDING_DIR ?= data/landing
export OTP_PUBLISH_DIR ?= data/published
export OTP_WAREHOUSE ?= data/warehouse/otp.duckdb
# The dbt and dagster commands the Makefile runs are the venv's, whatever PATH holds.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: bench-100 setup run test lint dev demo-data clean fuzz bench quality-report

setup: $(STAMP) $(MANIFEST) $(DAGSTER_HOME)/dagster.yaml
	deploy/ensure-chromium.sh
	deploy/ensure-postgres.sh

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]' 2>&1 \
		| grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import dagster, dagster_dbt, great_expectations, duckdb"
	touch $(STAMP)

$(MANIFEST): $(STAMP) $(shell find dbt_project -name '*.sql' -o -name '*.yml' -o -name '*.csv' 2>/dev/null | grep -v /target/)
	$(BIN)/dagster-dbt project prepare-and-package --file otp_pipeline/defs/transform/project.py
	touch $(MANIFEST)

# DAGSTER_HOME keeps the runs' logs and metadata: created readable by its owner only
# (docs/personal-data.md); one that exists open to others is warned about, not changed.
$(DAGSTER_HOME)/dagster.yaml: deploy/dagster.yaml
	test -d $(DAGSTER_HOME) || mkdir -p -m 700 $(DAGSTER_HOME)
	@test -z "$$(find $(DAGSTER_HOME) -maxdepth 0 -perm /077)" || echo "warning:" \
		"$(DAGSTER_HOME) is open to other users: it holds run logs (docs/personal-data.md)"
	install -m 600 deploy/dagster.yaml $(DAGSTER_HOME)/dagster.yaml

demo-data: setup
	$(BIN)/otp-pipeline demo-data --out $(OTP_LANDING_DIR) --months $(DEMO_MONTHS) --seed 7

run: demo-data
	$(BIN)/otp-pipeline run --months $(DEMO_MONTHS)
	@echo "Warehouse:  $(OTP_WAREHOUSE)"
	@echo "Published:  $(OTP_PUBLISH_DIR)/<YYYY-MM>/"

lint: setup
	$(BIN)/ruff check otp_pipeline tests bench
	$(BIN)/ruff format --check otp_pipeline tests bench
	$(BIN)/sqlfluff lint dbt_project/models --disable-progress-bar

# The tests run on TEST_WORKERS processes (pytest-xdist), each test file whole in one of
# them (its module fixtures built once), the longest files first (tests/conftest.py orders
# them). Three on two cores: a good part of the tests' time is spent waiting for the
# subprocesses, servers and browsers they start. `dg check defs` is one of the tests
# (tests/ops/test_dg_check.py).
TEST_WORKERS ?= 3
test: setup lint
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# The feed reader's property tests with many more examples (random seed) than CI runs.
fuzz: setup
	OTP_FUZZ_EXAMPLES=$${OTP_FUZZ_EXAMPLES:-2000} $(BIN)/pytest -q tests/reliability/test_reader_properties.py

# Where the Great Expectations Data Docs of the last validations are (open it in a browser).
quality-report: setup
	@$(BIN)/python -c "import os; from pathlib import Path; \
	from otp_pipeline.lib.quality.runner import quality_report_path; \
	print(quality_report_path(Path(os.environ['OTP_WAREHOUSE']).resolve()))"

dev: setup
	$(BIN)/dagster dev -h 127.0.0.1 -p 3000 -w workspace.yaml

# Benchmarks (bench/RESULTS.md), in one run: a ~1,000-row month through Dagster's CLI
# against the stack floor, one clean x10 month against the plain DuckDB baseline (the six
# tables compared cell for cell), the 24-month backfill against a month's run, and the
# history (months 1, 12 and 36 of clean scale-1 data, each after the months before it).
# About 30 min on 2 cores; the data stays in bench/data/.
bench: setup
	$(BIN)/python bench/run_bench.py --skip-scales --fixed-cost --clean-scale 10 --repeats 3 \
		--backfill 2021-01:2022-12 --history 36

# x100: 10 M AIS + 4 M I-Milo rows, one clean month (about 8 min to generate).
bench-100: setup
	$(BIN)/python bench/run_bench.py --skip-scales --clean-scale 100 --repeats 1

clean:
	rm -rf data dbt_project/target .dagster_home
