# samtal: `make run` starts the whole system, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
RASA_VENV := .venv-rasa
RASA := RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=3 $(RASA_VENV)/bin/python -m rasa_runtime.launch
RASA_DATA := --data dialogues nlu_data --domain dialogues --config config.yml
MODEL_HASH = $(shell $(VENV)/bin/python -c "from pathlib import Path; from bot.launcher.rasa import training_data_hash; print(training_data_hash(Path('.')))")
MODEL_CACHE := $(or $(SAMTAL_CACHE),$(HOME)/.cache/samtal)/models
NLU_LANGS := $(notdir $(patsubst %/,%,$(wildcard nlu_data/*/)))

.PHONY: setup postgres-setup redis-setup element-setup run test lint typecheck unit integration rasa-validate rasa-test rasa-nlu-test rasa-nlu-cv rasa-audit model bench chaos clean

setup: $(VENV)/.installed $(RASA_VENV)/.installed

$(VENV)/.installed: requirements/gateway.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements/gateway.lock
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(RASA_VENV)/.installed: requirements/rasa.lock
	"$$(scripts/python310.sh)" -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements/rasa.lock
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

test: setup postgres-setup redis-setup element-setup lint rasa-validate model
	$(VENV)/bin/python -m pytest -q
	$(MAKE) rasa-test
	$(MAKE) rasa-nlu-test rasa-audit

lint: setup
	$(VENV)/bin/ruff check bot safety tests rasa_runtime dialogues/actions bench
	$(VENV)/bin/ruff format --check bot safety tests rasa_runtime dialogues/actions bench
	$(VENV)/bin/mypy

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

bench: setup element-setup
	$(VENV)/bin/python -m bench

# Participants write while the gateway is killed with SIGKILL again and again and
# Rasa, the action server and the homeserver are restarted (sizes: SAMTAL_CHAOS_*).
chaos: setup model
	$(VENV)/bin/python -m bench bench.chaos

clean:
	rm -rf var .mypy_cache .ruff_cache .pytest_cache
