# Xiaoneng — two commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE ?= xiaoneng.settings.dev

.PHONY: run test install bench clean messages

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

## make run: set up (first time), migrate SQLite under var/, load the demo city when empty, start web + worker +
## scheduler on http://127.0.0.1:8000 and print one login per role. Ctrl-C stops everything.
run: $(STAMP)
	@mkdir -p var
	@$(BIN)/python manage.py migrate --no-input -v0
	@$(BIN)/python manage.py collectstatic --no-input -v0
	@$(BIN)/python manage.py seed_demo --if-empty
	@$(BIN)/python manage.py demo_logins
	@exec $(BIN)/python manage.py serve

## make test: lint, the whole suite on SQLite and on PostgreSQL, then the browser tests.
test: $(STAMP)
	@bash scripts/test.sh

bench: $(STAMP)
	$(BIN)/python bench/clock_bench.py

clean:
	rm -rf var/xiaoneng.sqlite3* var/static

## make messages: re-extract the English catalogue (then translate the new entries) and compile it.
messages: $(STAMP)
	cd src/xiaoneng && ../../$(BIN)/python ../../manage.py makemessages -l en --no-obsolete
	cd src/xiaoneng && ../../$(BIN)/python ../../manage.py compilemessages -l en
