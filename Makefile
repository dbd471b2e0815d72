# Payment-collection assistant. `make run` starts everything; `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        := .venv
BIN         := $(VENV)/bin
PY          := $(BIN)/python
RASA        := $(BIN)/rasa
MODEL       := models/current.tar.gz
TRAINING    := config.yml domain.yml $(shell find data components -name '*.yml' -o -name '*.py' 2>/dev/null | grep -v __pycache__)

export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup run test train shell validate demo-ledger import-accounts export-outcomes import-payments \
        bench lock browser clean

help:
	@echo "make run                          set up everything and start the assistant"
	@echo "make test                         set up everything and run every test"
	@echo "make train | shell | validate     train the model | chat in the terminal | rasa data validate"
	@echo "make import-accounts CSV=file     load or update accounts from a ledger CSV"
	@echo "make import-payments CSV=file     record payments received (account_id,amount,paid_on)"
	@echo "make export-outcomes OUT=file     write every conversation's outcome as CSV"
	@echo "make unlock-account ID=AC-10023   end an account's identity-check lock-out"
	@echo "make demo-ledger [DEMO_DB_URL=url] load the 20 demo accounts (default SQLite ledger only, unless named)"
	@echo "make bench                        benchmarks into reports/"

$(VENV)/.stamp-deps: requirements.in constraints.txt
	@PY310=$$(scripts/find-python.sh) && echo "Using $$PY310" && \
	  { [ -x $(PY) ] || $$PY310 -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip==24.0
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.in -c constraints.txt
	@touch $@

setup: $(VENV)/.stamp-deps

$(MODEL): $(VENV)/.stamp-deps $(TRAINING)
	@echo "Training data changed: training the model (a few minutes on 2 cores)..."
	$(RASA) train --fixed-model-name current --out models
	@touch $@

train: $(MODEL)

validate: setup
	$(RASA) data validate --fail-on-warnings

# The demo accounts go only into the default SQLite ledger, or where DEMO_DB_URL says (never into another ACCOUNTS_DB_URL).
demo-ledger: setup
	@mkdir -p var
	@DEMO_DB_URL="$(DEMO_DB_URL)" $(PY) -m demo.demo_ledger var/demo-ledger.csv

import-accounts: setup
	@[ -n "$(CSV)" ] || { echo "usage: make import-accounts CSV=path/to/ledger.csv"; exit 2; }
	$(PY) -m commands.import_accounts "$(CSV)"

import-payments: setup
	@[ -n "$(CSV)" ] || { echo "usage: make import-payments CSV=path/to/payments.csv"; exit 2; }
	$(PY) -m commands.import_payments "$(CSV)"

export-outcomes: setup
	@[ -n "$(OUT)" ] || { echo "usage: make export-outcomes OUT=path/to/outcomes.csv"; exit 2; }
	$(PY) -m commands.export_outcomes "$(OUT)"

.PHONY: unlock-account
unlock-account: setup
	@[ -n "$(ID)" ] || { echo "usage: make unlock-account ID=AC-10023 [BY=name]"; exit 2; }
	$(PY) -m commands.unlock_account "$(ID)" $(if $(BY),--by "$(BY)")

# Each part of the product adds its own set-up in its own section with a recipe-less rule: `run test: its-target`.
run: $(MODEL) demo-ledger
	@$(PY) -m launcher

shell: $(MODEL) demo-ledger
	@$(PY) -m launcher --shell

browser:
	@command -v chromium >/dev/null || { echo "Installing Debian's chromium for the browser tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@fc-list :lang=zh 2>/dev/null | grep -q . || { echo "Installing a Chinese font so pages show 中文..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-zenhei >/dev/null; }

test: $(MODEL) browser demo-ledger
	$(RASA) data validate --fail-on-warnings
	$(PY) -m pytest -p no:cacheprovider tests

bench: $(MODEL)
	$(PY) -m benchmarks.run

lock:
	$(PY) -m pip freeze --exclude-editable | sed '1i # Exact versions of every package in the virtual environment (pip install -c constraints.txt).\n# Regenerate with: make lock' > constraints.txt

clean:
	rm -rf models var reports results

# ---------------------------------------------------------------- staff console (web/staff/)
.PHONY: staff-assets staff-user staff-token
STAFF_ASSETS := web/staff/node_modules/.package-lock.json

# Chart.js and friends from npm, exactly as locked in web/staff/package-lock.json; the console serves them.
$(STAFF_ASSETS): web/staff/package.json web/staff/package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the staff console's assets: apt-get install npm"; exit 1; }
	cd web/staff && npm ci --no-audit --no-fund
	@touch $@

staff-assets: $(STAFF_ASSETS)

staff-user: setup
	@[ "$(origin USERNAME)" = "command line" ] && [ -n "$(USERNAME)" ] && [ -n "$(ROLE)" ] || { \
	  echo "usage: make staff-user USERNAME=name ROLE=collector|supervisor|admin   (password: STAFF_PASSWORD, or asked)"; exit 2; }
	@$(PY) -m commands.staff_user --username "$(USERNAME)" --role "$(ROLE)"

staff-token: setup
	@[ "$(origin USERNAME)" = "command line" ] && [ -n "$(USERNAME)" ] || { \
	  echo "usage: make staff-token USERNAME=name [LABEL='what it is for'] [REVOKE=1]"; exit 2; }
	@$(PY) -m commands.staff_token --username "$(USERNAME)" --label "$(LABEL)" $(if $(REVOKE),--revoke)

run test: staff-assets

# ---------------------------------------------------------------- supervisor review (web/staff/review.py)
.PHONY: export-annotations export-test-stories

export-annotations: setup
	@[ -n "$(OUT)" ] || { echo "usage: make export-annotations OUT=path/to/corrections.yml"; exit 2; }
	$(PY) -m commands.export_annotations "$(OUT)"

export-test-stories: setup
	@[ -n "$(OUT)" ] || { echo "usage: make export-test-stories OUT=path/to/stories.yml"; exit 2; }
	$(PY) -m commands.export_annotations --stories "$(OUT)"

# ---------------------------------------------------------------- rubric and scoring (policy/rubric.yml)
.PHONY: score-transcript

# The usage is checked before anything is built; both models are brought up to date, then the file is scored.
score-transcript:
	@[ -n "$(FILE)" ] || { echo "usage: make score-transcript FILE=path/to/transcript.json"; exit 2; }
	@$(MAKE) --no-print-directory $(MODEL) practice-model
	@$(PY) -m commands.score_transcript "$(FILE)"

# ---------------------------------------------------------------- practice debtor (practice/, actions/practice/)
PRACTICE_MODEL    := models/practice.tar.gz
PRACTICE_TRAINING := $(shell find practice components -name '*.yml' -o -name '*.py' 2>/dev/null | grep -v __pycache__)
PRACTICE_RASA_ARGS := --domain practice/domain.yml --data practice/data --config practice/config.yml
.PHONY: practice-model practice-validate

$(PRACTICE_MODEL): $(VENV)/.stamp-deps $(PRACTICE_TRAINING)
	@echo "Practice data changed: training the practice debtor's model..."
	$(RASA) data validate --fail-on-warnings $(PRACTICE_RASA_ARGS)
	$(RASA) train $(PRACTICE_RASA_ARGS) --out models --fixed-model-name practice
	@touch $@

practice-model: $(PRACTICE_MODEL)

practice-validate: setup
	$(RASA) data validate --fail-on-warnings $(PRACTICE_RASA_ARGS)

run test: practice-model

# ---------------------------------------------------------------- scaled layout (launcher/scaled.py, issue 11)
.PHONY: run-scaled soak scaled-services

# Debian's postgresql, redis-server and haproxy, installed when missing (they run on loopback, data in var/services/).
scaled-services: setup
	@$(PY) -m launcher.services --install

run-scaled: $(MODEL) scaled-services staff-assets practice-model
	@$(PY) -m launcher.scaled

soak: $(MODEL) scaled-services
	$(PY) -m benchmarks.soak
