# The front door: `make run` starts it, `make test` checks it.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-done
MODEL := models/frontdoor.tar.gz
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONHASHSEED := 0

# What a trained model depends on: retrain only when one of these changed.
TRAINING_INPUTS := config.yml domain.yml $(shell find data -name "*.yml" 2>/dev/null) $(wildcard bot/nlu/*.py) bot/language.py bot/network/municipalities.py bot/network/needs.py bot/data/municipalities.yml bot/data/sector_words.yml bot/data/needs.yml

.PHONY: setup run run-scaled test lint format validate eval eval-paths bench bench-report clean

setup: $(STAMP) $(MODEL)

$(STAMP): requirements.lock pyproject.toml scripts/setup.sh widget/package-lock.json
	bash scripts/setup.sh
	touch $@

$(MODEL): $(STAMP) $(TRAINING_INPUTS)
	@echo "training the model (data, config or domain changed)"
	@started=$$(date +%s); \
	$(BIN)/rasa train --config config.yml --domain domain.yml --data data --out models --fixed-model-name frontdoor --quiet && \
	echo "model trained in $$(( $$(date +%s) - started )) s"
	touch $@

run: setup
	$(BIN)/frontdoor run

# The production shape on one machine: Debian's PostgreSQL and Redis, 2 Rasa servers, 2 workers.
run-scaled: setup
	$(BIN)/frontdoor run-scaled

lint: $(STAMP)
	$(BIN)/ruff check bot actions tests
	$(BIN)/ruff format --check bot actions tests
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python scripts/check_spans.py

format: $(STAMP)
	$(BIN)/ruff format bot actions tests
	$(BIN)/ruff check --fix bot actions tests

validate: $(STAMP)
	$(BIN)/rasa data validate --config config.yml --domain domain.yml --data data --fail-on-warnings

test: setup lint validate
	$(BIN)/python -m pytest -q --durations=15
	$(BIN)/rasa test core --model $(MODEL) --stories tests/conversations --fail-on-prediction-errors --out results/core

# The competence-path evaluation alone (about 15 s): precision@3 on the judged set, overall and per language.
eval-paths: $(STAMP)
	$(BIN)/python -m bot.paths.evaluation

# The front door's pipeline: 3 seeds × (5-fold CV + the held-out files fi/en/sv); the stock pipeline: 1 seed,
# held-out files only (--stock-cv: the same as ours, hours). EVAL_ARGS narrows or widens it, e.g.
# EVAL_ARGS="--seeds 1 --folds 0" or "--resume" after an interruption.
eval: eval-paths
	$(BIN)/python -m bot.nlu.evaluation $(EVAL_ARGS)

# Whole conversations under load, beside the stock `rasa init` bot (reports/bench-conversations.*).
# BENCH_ARGS="--scaled" measures the make run-scaled shape; --duration, --realistic-users, ...
bench: $(STAMP) $(MODEL) bench-desk
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

# The desk's busiest pages over 10 000 cases, server time (reports/bench-desk.json); fails on a p95 over 100 ms.
.PHONY: bench-desk
bench-desk: $(STAMP)
	$(BIN)/python scripts/bench_desk.py $(BENCH_DESK_ARGS)

# The foresight report over 100 000 synthetic cases on SQLite (reports/bench-report.json).
bench-report: $(STAMP)
	$(BIN)/python scripts/bench_report.py

clean:
	rm -rf models results var/test-*
