# samtal: `make run` starts the whole system, `make test` runs every test.
PYTHON ?= python3
# Four environments, each from its own hashed lock in requirements/:
#   .venv          the gateway's runtime dependencies and the project (what `make run` runs)
#   .venv-synapse  the embedded homeserver, started by the launcher with its own Python
#   .venv-rasa     Rasa and the action server (Python 3.10)
#   .venv-dev      the runtime lock plus tests, linters and pip-audit (make test, make lint)
#   .venv-train    the runtime lock plus PyTorch for the CPU, only for `make risk-finetune`
VENV := .venv
SYNAPSE_VENV := .venv-synapse
RASA_VENV := .venv-rasa
DEV_VENV := .venv-dev
TRAIN_VENV := .venv-train
TORCH := torch==2.13.0+cpu
# Every file pip fetches must match a sha256 hash in the lock. The locks are complete
# (pip-compile), so pip installs exactly them (--no-deps) and `pip check` then proves
# every dependency is met.
PIP_INSTALL := pip install --quiet --disable-pip-version-check --require-hashes --no-deps
# The project itself, built with the (hashed) setuptools from the lock, not a fresh download.
PIP_INSTALL_PROJECT := pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
RASA := RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=3 $(RASA_VENV)/bin/python -m rasa_runtime.launch
RASA_DATA := --data dialogues nlu_data --domain dialogues --config config.yml
MODEL_HASH = $(shell $(VENV)/bin/python -c "from pathlib import Path; from bot.launcher.rasa import training_data_hash; print(training_data_hash(Path('.')))")
MODEL_CACHE := $(or $(SAMTAL_CACHE),$(HOME)/.cache/samtal)/models
NLU_LANGS := $(notdir $(patsubst %/,%,$(wildcard nlu_data/*/)))

.PHONY: setup dev-setup postgres-setup redis-setup chromium-setup graphviz-setup element-setup run test lint typecheck unit integration audit-deps audit-deps-in-test rasa-validate rasa-test rasa-nlu-test rasa-nlu-cv rasa-audit model bench chaos clean risk-finetune

setup: $(VENV)/.installed $(SYNAPSE_VENV)/.installed $(RASA_VENV)/.installed

dev-setup: setup $(DEV_VENV)/.installed

# Each environment is made anew when its lock changes, so nothing a lock dropped stays.
# (rm -rf on the name alone: a symlinked environment loses the link, not its target.)
$(VENV)/.installed: requirements/gateway.lock pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/$(PIP_INSTALL) -r requirements/gateway.lock
	$(VENV)/bin/$(PIP_INSTALL_PROJECT)
	$(VENV)/bin/pip check
	touch $@

$(SYNAPSE_VENV)/.installed: requirements/synapse.lock
	rm -rf $(SYNAPSE_VENV)
	$(PYTHON) -m venv $(SYNAPSE_VENV)
	$(SYNAPSE_VENV)/bin/$(PIP_INSTALL) -r requirements/synapse.lock
	$(SYNAPSE_VENV)/bin/pip check
	touch $@

$(RASA_VENV)/.installed: requirements/rasa.lock
	rm -rf $(RASA_VENV)
	"$$(scripts/python310.sh)" -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/$(PIP_INSTALL) -r requirements/rasa.lock
	$(RASA_VENV)/bin/pip check
	touch $@

$(DEV_VENV)/.installed: requirements/gateway.lock requirements/dev.lock pyproject.toml
	rm -rf $(DEV_VENV)
	$(PYTHON) -m venv $(DEV_VENV)
	$(DEV_VENV)/bin/$(PIP_INSTALL) -r requirements/gateway.lock -r requirements/dev.lock
	$(DEV_VENV)/bin/$(PIP_INSTALL_PROJECT)
	$(DEV_VENV)/bin/pip check
	touch $@

# Element's own SDK (matrix-js-sdk, Rust crypto) for the integration tests, from npm's
# lock file; reinstalled only when the lock changes, from npm's cache after the first time.
ELEMENT := tests/element
element-setup: $(ELEMENT)/node_modules/.installed

$(ELEMENT)/node_modules/.installed: $(ELEMENT)/package.json $(ELEMENT)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "Node.js and npm are missing: apt-get install nodejs npm" >&2; exit 1; }
	cd $(ELEMENT) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: setup
	$(VENV)/bin/samtal run

model: setup
	$(VENV)/bin/python -c "from pathlib import Path; from bot.launcher.rasa import RasaPaths, ensure_model; import tempfile; m, s = ensure_model(RasaPaths.default(Path('.').resolve()), Path(tempfile.mkdtemp())); print(f'model {m} (trained in {s:.1f}s)' if s else f'model {m} (cached)')"

# The vault's contract tests start their own PostgreSQL server from Debian's package.
postgres-setup:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
		if [ "$$(id -u)" != 0 ]; then echo "PostgreSQL is missing: apt-get install postgresql" >&2; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

# Two Rasa servers share conversations through Redis (RedisLockStore); the tests
# start their own redis-server from Debian's package.
redis-setup:
	@command -v redis-server >/dev/null 2>&1 || { \
		if [ "$$(id -u)" != 0 ]; then echo "Redis is missing: apt-get install redis-server" >&2; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }

# The supervisor console's browser tests drive Debian's chromium headless, through
# Playwright from the dev lock (never Playwright's own browser download).
chromium-setup:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" != 0 ]; then echo "Chromium is missing: apt-get install chromium" >&2; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The console draws the dialogue flows with Graphviz's dot (make run works without
# it: the console then says the pictures need it).
graphviz-setup:
	@command -v dot >/dev/null 2>&1 || { \
		if [ "$$(id -u)" != 0 ]; then echo "Graphviz is missing: apt-get install graphviz" >&2; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; }

test: dev-setup postgres-setup redis-setup chromium-setup graphviz-setup element-setup lint audit-deps-in-test rasa-validate model
	$(DEV_VENV)/bin/python -m pytest -q
	$(MAKE) rasa-test
	$(MAKE) rasa-nlu-test rasa-audit

lint: dev-setup
	$(DEV_VENV)/bin/ruff check bot safety tests rasa_runtime dialogues/actions bench
	$(DEV_VENV)/bin/ruff format --check bot safety tests rasa_runtime dialogues/actions bench
	$(DEV_VENV)/bin/mypy

# pip-audit over every lock (needs network to PyPI); accepted findings, each with its
# reason, are in requirements/audit-ignore.txt and docs/security.md. Findings always
# fail. Vulnerability data that cannot be reached fails `make audit-deps`; within
# `make test` it is reported as an error and the tests go on, unless AUDIT_DEPS=required.
audit-deps: dev-setup
	scripts/audit-deps.sh $(DEV_VENV)/bin/pip-audit

audit-deps-in-test: dev-setup
	@scripts/audit-deps.sh $(DEV_VENV)/bin/pip-audit || { status=$$?; \
		if [ $$status -eq 3 ] && [ "$(AUDIT_DEPS)" != required ]; then \
			echo "audit-deps: NOT AUDITED (see above); make test goes on without it" >&2; \
		else exit $$status; fi; }

rasa-validate: setup
	$(RASA) data validate $(RASA_DATA) --fail-on-warnings --quiet

# Conversation tests, end to end: the NLU must also get every user message right.
rasa-test: model
	$(RASA) test core --stories tests/rasa --model $(MODEL_CACHE)/samtal-$(MODEL_HASH).tar.gz \
		--fail-on-prediction-errors --e2e --out var/rasa-test-results --quiet

# Held-out NLU sets (never trained on): macro F1 per language, floor 0.90.
rasa-nlu-test: model
	@mkdir -p var
	@for lang in $(NLU_LANGS); do \
		$(RASA) test nlu --nlu tests/nlu_heldout/$$lang.yml --model $(MODEL_CACHE)/samtal-$(MODEL_HASH).tar.gz \
			--out var/nlu-heldout/$$lang --successes --quiet >var/nlu-heldout-$$lang.log 2>&1 \
			|| { tail -20 var/nlu-heldout-$$lang.log; exit 1; }; \
	done
	$(VENV)/bin/python -m safety.flow_audit.nlu_scores $(addprefix var/nlu-heldout/,$(NLU_LANGS)) --min-f1 0.90

# Cross-validation per language (5 folds; a few minutes, not part of `make test`).
rasa-nlu-cv: setup
	@mkdir -p var
	@for lang in $(NLU_LANGS); do \
		$(RASA) test nlu --nlu nlu_data/$$lang --domain dialogues --config config.yml --cross-validation \
			--folds 5 --out var/nlu-cv/$$lang --quiet >var/nlu-cv-$$lang.log 2>&1 \
			|| { tail -20 var/nlu-cv-$$lang.log; exit 1; }; \
	done
	$(VENV)/bin/python -m safety.flow_audit.nlu_scores $(addprefix var/nlu-cv/,$(NLU_LANGS))

# The dialogue safety properties over rules, stories, forms and actions.
rasa-audit: setup
	$(VENV)/bin/python -m bot.cli.audit_dialogues --static

# Fine-tunes the risk screen's encoder on the training families (an hour to an hour
# and a quarter on two cores), then calibrates the heads and chooses thresholds out of
# fold. Only needed when data/risk changes. `safety.risk.train` prints the new graph's
# SHA-256: pin it as MODEL_SHA256 in safety/risk/encoder/runtime.py and commit it with
# the adapter and the model. PyTorch is never in the gateway. The `+cpu` build is not on PyPI: where this
# machine's own package sources lack it, set
# TORCH_INDEX="--extra-index-url https://download.pytorch.org/whl/cpu".
TORCH_INDEX ?=
$(TRAIN_VENV)/.installed: requirements/gateway.lock pyproject.toml Makefile
	rm -rf $(TRAIN_VENV)
	$(PYTHON) -m venv $(TRAIN_VENV)
	$(TRAIN_VENV)/bin/$(PIP_INSTALL) -r requirements/gateway.lock
	$(TRAIN_VENV)/bin/pip install --quiet --disable-pip-version-check $(TORCH_INDEX) $(TORCH)
	$(TRAIN_VENV)/bin/$(PIP_INSTALL_PROJECT)
	$(TRAIN_VENV)/bin/pip check
	touch $@

risk-finetune: dev-setup $(TRAIN_VENV)/.installed
	$(TRAIN_VENV)/bin/python -m safety.risk.finetune
	$(DEV_VENV)/bin/python -m safety.risk.train

bench: dev-setup element-setup
	$(DEV_VENV)/bin/python -m bench

# Participants write while the gateway is killed with SIGKILL again and again and
# Rasa, the action server and the homeserver are restarted (sizes: SAMTAL_CHAOS_*).
chaos: dev-setup model
	$(DEV_VENV)/bin/python -m bench bench.chaos

clean:
	rm -rf var .mypy_cache .ruff_cache .pytest_cache
