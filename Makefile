# The two commands: `make run` (the whole local stack) and `make test` (everything CI checks).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# pytest-xdist workers for `make test` (CI has 2 cores); the e2e tests share one worker and one stack.
JOBS ?= 2

.PHONY: install run test unit service e2e soak lint bench load token package clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m devstack

test: $(STAMP) lint
	$(PY) -m pytest -q -n $(JOBS) --dist loadgroup tests

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

service: $(STAMP)
	$(PY) -m pytest -q tests/contract tests/service

e2e: $(STAMP)
	$(PY) -m pytest -q tests/e2e

# Long runs, never part of `make test` (README, "The two commands"): the schema fuzzing with many more
# examples per operation and a fresh seed (printed; FUZZ_SEED=... repeats a run), the money invariants with
# SOAK_MONEY_EXAMPLES of up to SOAK_MONEY_STEPS steps (seeds printed; MONEY_SEED=... repeats), then every test marked
# `soak`, which run only when SOAK=1. Exit status 5 is pytest's "no test selected".
SOAK_EXAMPLES ?= 300
SOAK_MONEY_EXAMPLES ?= 20000
SOAK_MONEY_STEPS ?= 12
soak: $(STAMP)
	seed=$${FUZZ_SEED:-$$(date +%s)}; echo "FUZZ_SEED=$$seed FUZZ_EXAMPLES=$(SOAK_EXAMPLES)"; \
		SOAK=1 FUZZ_SEED=$$seed FUZZ_EXAMPLES=$(SOAK_EXAMPLES) $(PY) -m pytest -q tests/e2e/test_schema_fuzz_e2e.py
	MONEY_EXAMPLES=$(SOAK_MONEY_EXAMPLES) MONEY_STEPS=$(SOAK_MONEY_STEPS) $(PY) -m pytest -q -n $(JOBS) \
		tests/unit/test_money_invariants.py
	SOAK=1 $(PY) -m pytest -q tests -m soak; status=$$?; [ $$status -eq 0 ] || [ $$status -eq 5 ]

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) -m bench

# A bounded load run (locust, loopback only) on its own local stack: LOAD_USERS (20), LOAD_SPAWN_RATE (5),
# LOAD_RUN_TIME (60 s), LOAD_WAIT_MIN/MAX (0.5/1.5 s); LOAD_ARGS="--markdown" etc. (`.venv/bin/python -m load --help`).
# See docs/PERFORMANCE.md.
load: $(STAMP)
	$(PY) -m load $(LOAD_ARGS)

# The deployable template: infra/resources.yaml + infra/functions.yaml merged into Chalice's SAM
# template (out/sam.json, out/deployment.zip), then cfn-lint, which must find nothing. Needs PyPI for
# the Lambda package's wheels. See README, "Deploying".
package: $(STAMP)
	rm -rf out
	$(PY) -m infra.merge out/merge.json
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-ap-northeast-2} $(VENV)/bin/chalice package --stage prod \
		--merge-template out/merge.json out/
	$(VENV)/bin/cfn-lint out/sam.json
	@echo "out/sam.json: cfn-lint clean"

# Prints a dev token for the local stack: make -s token ROLE=resident SUB=alice [MERCHANT=m-...]
token: $(STAMP)
	@$(PY) -m devstack.token $(ROLE) $(SUB) $(if $(MERCHANT),--merchant-id $(MERCHANT),)

clean:
	rm -rf $(VENV) .local .pytest_cache .mypy_cache .ruff_cache out
