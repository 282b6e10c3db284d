# The two commands: `make run` (the whole local stack) and `make test` (everything CI checks).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# checkov (`make package`, tests/service/test_package.py) has a virtualenv of its own: it pins another boto3.
TOOLS := .venv-tools
TOOLS_STAMP := $(TOOLS)/.installed
# openapi-typescript (tools/openapi, npm ci): tests/service/test_openapi_clients.py generates the clients with it.
NPM_STAMP := tools/openapi/node_modules/.installed
# pytest-xdist workers for `make test` (CI has 2 cores); the e2e tests share one worker and one stack.
JOBS ?= 2
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: install run test unit service e2e soak lint bench load token package clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@# pip pinned: chalice 1.34 requires pip<26.3 (an --upgrade would fetch a newer one, then downgrade it)
	$(PY) -m pip install -q --disable-pip-version-check 'pip==26.2.1'
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@# docs/walkthrough.sh (the README's walkthrough, run by `make test`) speaks HTTP with curl: Debian's if missing
	command -v curl >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq curl; }
	touch $(STAMP)

$(TOOLS_STAMP): infra/requirements-checkov.txt
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install -q --disable-pip-version-check -r infra/requirements-checkov.txt
	touch $(TOOLS_STAMP)

$(NPM_STAMP): tools/openapi/package.json tools/openapi/package-lock.json
	cd tools/openapi && npm ci --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

install: $(STAMP) $(TOOLS_STAMP) $(NPM_STAMP)

run: $(STAMP)
	$(PY) -m devstack

test: $(STAMP) $(TOOLS_STAMP) $(NPM_STAMP) lint
	$(PY) -m pytest -q -n $(JOBS) --dist loadgroup tests

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

service: $(STAMP) $(TOOLS_STAMP) $(NPM_STAMP)
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
# template (out/sam.json, out/deployment.zip), then cfn-lint and checkov, which must find nothing (checkov's
# waived checks, each with its reason: infra/checkov.yaml). Needs PyPI for the Lambda package's wheels.
# See README, "Deploying".
package: $(STAMP) $(TOOLS_STAMP)
	rm -rf out
	$(PY) -m infra.merge out/merge.json
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-ap-northeast-2} $(VENV)/bin/chalice package --stage prod \
		--merge-template out/merge.json out/
	$(VENV)/bin/cfn-lint out/sam.json
	$(TOOLS)/bin/checkov -f out/sam.json --config-file infra/checkov.yaml
	@echo "out/sam.json: cfn-lint and checkov clean (waived checks: infra/checkov.yaml)"

# Prints a dev token for the local stack: make -s token ROLE=resident SUB=alice [MERCHANT=m-...]
token: $(STAMP)
	@$(PY) -m devstack.token $(ROLE) $(SUB) $(if $(MERCHANT),--merchant-id $(MERCHANT),)

clean:
	rm -rf $(VENV) $(TOOLS) tools/openapi/node_modules .local .pytest_cache .mypy_cache .ruff_cache out
