# kokemus — `make help` lists the targets. The two that matter: `make demo`, `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export KOKEMUS_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
PYTEST_WORKERS ?= 2
RESULTS := var/test-results

.PHONY: help demo test test-sqlite test-postgres test-browser lint format bench messages screenshots \
        makemessages sysdeps venv clean constraints

help: ## show this list
	@echo "kokemus make targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  %-15s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev,embeddings]'
	touch $(STAMP)

venv: $(STAMP) ## create .venv and install kokemus with pinned dependencies

sysdeps: ## install Debian packages (chromium, fonts, pango, gettext) when missing and root
	@bash scripts/sysdeps.sh

messages: venv ## compile the fi/sv/en translation catalogues
	@cd src/kokemus && ../../$(BIN)/kokemus compilemessages --ignore '.venv' -v 0

makemessages: venv ## extract translatable strings into the .po catalogues
	cd src/kokemus && ../../$(BIN)/kokemus makemessages -l fi -l sv -l en --no-obsolete --ignore 'static/*'

demo: venv messages ## create .venv, migrate, load demo data, serve on http://127.0.0.1:8000
	DEBUG=true $(BIN)/kokemus demo

test: venv sysdeps messages ## the whole suite: SQLite, PostgreSQL, then the browser tests
	@rm -rf $(RESULTS); mkdir -p $(RESULTS)
	@status=0; \
	$(MAKE) --no-print-directory test-sqlite || status=1; \
	$(MAKE) --no-print-directory test-postgres || status=1; \
	$(MAKE) --no-print-directory test-browser || status=1; \
	$(BIN)/python scripts/test_summary.py $(RESULTS); \
	exit $$status

test-sqlite: venv messages ## unit and integration tests on SQLite
	@echo "== tests on SQLite =="
	@mkdir -p $(RESULTS)
	$(BIN)/pytest -m "not browser" -n $(PYTEST_WORKERS) -q --junitxml=$(RESULTS)/sqlite.xml

test-postgres: venv messages ## the same tests on PostgreSQL (KOKEMUS_TEST_DATABASE_URL), less the slow ones that touch no database
	@echo "== tests on PostgreSQL ($(KOKEMUS_TEST_DATABASE_URL)) =="
	@mkdir -p $(RESULTS)
	@if $(BIN)/python scripts/check_postgres.py "$(KOKEMUS_TEST_DATABASE_URL)"; then \
	  DATABASE_URL="$(KOKEMUS_TEST_DATABASE_URL)" $(BIN)/pytest -m "not browser and not no_database" -n $(PYTEST_WORKERS) -q --junitxml=$(RESULTS)/postgres.xml; \
	elif [ "$$CI" = "true" ]; then echo "PostgreSQL is required under CI=true"; exit 1; \
	else echo "SKIPPED: PostgreSQL not reachable"; fi

test-browser: venv messages ## browser tests in Debian's chromium (Playwright + axe-core)
	@echo "== browser tests in chromium =="
	@mkdir -p $(RESULTS)
	@if [ -x /usr/bin/chromium ]; then \
	  $(BIN)/pytest -m browser -q -p no:xdist --junitxml=$(RESULTS)/browser.xml; \
	elif [ "$$CI" = "true" ]; then echo "/usr/bin/chromium is required under CI=true"; exit 1; \
	else echo "SKIPPED: /usr/bin/chromium not installed (run 'make sysdeps' as root)"; fi

screenshots: venv messages sysdeps ## screenshots + axe-core of every main page at 360/1280 px (var/screenshots/)
	$(BIN)/python scripts/screenshots.py

lint: venv ## ruff
	$(BIN)/ruff check src tests bench scripts

format: venv ## ruff format + import sorting
	$(BIN)/ruff check --fix --select I src tests bench scripts

bench: venv ## run the benchmarks in bench/ (each prints JSON; the 10 M generate runs take ~6 min on PostgreSQL, ~15 on SQLite)
	@for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

constraints: ## re-pin constraints.txt from the current .venv
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

clean: ## remove the virtualenv and var/ (database, secret key, results)
	rm -rf $(VENV) var
