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
# The console (console/: Vite + TypeScript + Chart.js; README, "The console"): npm ci, then a build whenever a
# source changes. `make run` serves console/dist on CONSOLE_PORT; the e2e tests drive it in Debian's Chromium.
CONSOLE_NPM := console/node_modules/.installed
CONSOLE_BUILD := console/dist/.built
CONSOLE_SOURCES := $(shell find console/src -type f 2>/dev/null) console/index.html console/vite.config.ts console/tsconfig.json
# pytest-xdist workers for `make test` (CI has 2 cores); the e2e tests share one worker and one stack.
JOBS ?= 2
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: install run test unit service e2e soak lint bench load token package clean console console-types screenshots publish-console

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@# pip pinned: chalice 1.34 requires pip<26.3 (an --upgrade would fetch a newer one, then downgrade it)
	$(PY) -m pip install -q --disable-pip-version-check 'pip==26.2.1'
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@# docs/walkthrough.sh (the README's walkthrough, run by `make test`) speaks HTTP with curl: Debian's if missing
	command -v curl >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq curl; }
	@# the console's browser tests drive Debian's Chromium (Playwright downloads no browser), Korean fonts for its pages
	test -x /usr/bin/chromium && test -d /usr/share/fonts/truetype/nanum || { $(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq --no-install-recommends chromium fonts-nanum; }
	touch $(STAMP)

$(TOOLS_STAMP): infra/requirements-checkov.txt
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install -q --disable-pip-version-check -r infra/requirements-checkov.txt
	touch $(TOOLS_STAMP)

$(NPM_STAMP): tools/openapi/package.json tools/openapi/package-lock.json
	cd tools/openapi && npm ci --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

$(CONSOLE_NPM): console/package.json console/package-lock.json
	cd console && npm ci --no-audit --no-fund --loglevel=error
	touch $(CONSOLE_NPM)

$(CONSOLE_BUILD): $(CONSOLE_NPM) $(CONSOLE_SOURCES)
	cd console && npm run -s build
	touch $(CONSOLE_BUILD)

console: $(CONSOLE_BUILD)

# console/src/api.d.ts again from the routes (tests/service/test_console_types.py fails until it is current)
console-types: $(STAMP) $(CONSOLE_NPM)
	$(PY) -m devstack.console_types

# docs/console/<view>.png: every view of the console on a seeded local stack, as the README shows them
screenshots: $(STAMP) $(CONSOLE_BUILD)
	CONSOLE_SCREENSHOTS=docs/console $(PY) -m pytest -q tests/e2e/test_console_e2e.py -k photographed

install: $(STAMP) $(TOOLS_STAMP) $(NPM_STAMP) $(CONSOLE_NPM)

run: $(STAMP) $(CONSOLE_BUILD)
	$(PY) -m devstack

test: $(STAMP) $(TOOLS_STAMP) $(NPM_STAMP) $(CONSOLE_BUILD) lint
	$(PY) -m pytest -q -n $(JOBS) --dist loadgroup tests

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

service: $(STAMP) $(TOOLS_STAMP) $(NPM_STAMP) $(CONSOLE_NPM)
	$(PY) -m pytest -q tests/contract tests/service

e2e: $(STAMP) $(CONSOLE_BUILD)
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
# template (out/sam.json, out/deployment.zip, with every module's bytecode: infra/bytecode.py), then cfn-lint and checkov, which must find nothing (checkov's
# waived checks, each with its reason: infra/checkov.yaml). Needs PyPI for the Lambda package's wheels.
# See README, "Deploying".
package: $(STAMP) $(TOOLS_STAMP)
	rm -rf out
	$(PY) -m infra.merge out/merge.json
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-ap-northeast-2} $(VENV)/bin/chalice package --stage prod \
		--merge-template out/merge.json out/
	$(PY) -m infra.bytecode out/deployment.zip out/sam.json
	$(VENV)/bin/cfn-lint out/sam.json
	$(TOOLS)/bin/checkov -f out/sam.json --config-file infra/checkov.yaml
	@echo "out/sam.json: cfn-lint and checkov clean (waived checks: infra/checkov.yaml)"

# The console onto a deployed stack (README, "Deploying", "The console"): the build, then the stack's
# config.json (its sign-in pages, the staff issuer), index.html last, and a CloudFront invalidation. Needs the
# AWS CLI and credentials; never part of `make test`.   make publish-console STACK=seoro-prod
publish-console: $(CONSOLE_BUILD)
	@test -n "$(STACK)" || { echo "usage: make publish-console STACK=<stack name>" >&2; exit 2; }
	@set -e; \
	output() { value=$$(aws cloudformation describe-stacks --stack-name "$(STACK)" \
		--query "Stacks[0].Outputs[?OutputKey=='$$1'].OutputValue" --output text); \
		case "$$value" in ""|None) echo "$(STACK) has no output $$1 (deployed with Stage=prod?)" >&2; exit 1;; esac; \
		echo "$$value"; }; \
	bucket=$$(output ConsoleBucket); distribution=$$(output ConsoleDistributionId); url=$$(output ConsoleUrl); \
	staff=$$(output ConsoleStaffSignInUrl); shop=$$(output ConsoleShopSignInUrl); issuer=$$(output StaffAuthIssuer); \
	config=$$(mktemp); trap 'rm -f "$$config"' EXIT; \
	$(PYTHON) -c 'import json, sys; print(json.dumps({"apiBase": "/api", "signIn": {"staff": sys.argv[1], \
		"shop": sys.argv[2]}, "stage": "prod", "staffIssuer": sys.argv[3]}))' "$$staff" "$$shop" "$$issuer" > "$$config"; \
	aws s3 sync console/dist "s3://$$bucket/" --exclude index.html --exclude .built; \
	aws s3 cp "$$config" "s3://$$bucket/config.json" --content-type application/json --cache-control no-cache; \
	aws s3 cp console/dist/index.html "s3://$$bucket/index.html" --cache-control no-cache; \
	aws cloudfront create-invalidation --distribution-id "$$distribution" --paths '/*' >/dev/null; \
	echo "published to $$url (the invalidation takes a minute or two)"

# Prints a dev token for the local stack: make -s token ROLE=resident SUB=alice [MERCHANT=m-...]
token: $(STAMP)
	@$(PY) -m devstack.token $(ROLE) $(SUB) $(if $(MERCHANT),--merchant-id $(MERCHANT),)

clean:
	rm -rf $(VENV) $(TOOLS) tools/openapi/node_modules console/node_modules console/dist .local .pytest_cache .mypy_cache .ruff_cache out
