# The two README commands: `make run` and `make test`. Everything else is a helper of those.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT
# Links in mails point at the port the portal really serves on (make run); set SITE_URL to override.
SITE_URL ?= http://127.0.0.1:$(PORT)
export SITE_URL
PYTEST_ARGS ?=

.PHONY: run test install system-deps browser axe migrate demo e2e screenshots bench lint fmt migrations-check messages clean

AXE := tests/e2e/vendor/node_modules/axe-core/axe.min.js

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed system-deps

# WeasyPrint needs Pango; compilemessages needs gettext. Installed from Debian when missing (root only).
system-deps:
	@if ! ldconfig -p 2>/dev/null | grep -q libpango-1.0 || ! command -v msgfmt >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y -q --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 gettext >/dev/null 2>&1 || \
	     (apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 gettext >/dev/null)); \
	  else echo "Please install libpango-1.0-0 libpangoft2-1.0-0 gettext"; fi; fi

browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y -q chromium >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)); \
	  else echo "Please install Debian's chromium (apt-get install chromium)"; fi; fi

# axe-core for the accessibility checks of the browser tests, from the npm registry (not committed).
axe: $(AXE)
$(AXE): tests/e2e/vendor/package.json
	@if ! command -v npm >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get install -y -q npm >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q npm >/dev/null)); fi
	@if command -v npm >/dev/null; then \
	  cd tests/e2e/vendor && npm install --no-audit --no-fund --silent --no-package-lock && touch node_modules/axe-core/axe.min.js; \
	else echo "Please install npm (apt-get install npm) for the accessibility checks"; fi

# Compiles locale/*.po when gettext is there; without it the committed .mo files are used as they are.
messages: install
	@if command -v msgfmt >/dev/null && [ -d locale ]; then \
	  $(BIN)/python manage.py compilemessages --ignore=.venv --ignore=var -v 0; fi

migrate: install messages
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py createcachetable

demo: migrate
	$(BIN)/python manage.py seed_demo

run: demo
	@echo "Portal: http://127.0.0.1:$(PORT)  (log in as owner@shop.example / demo; mails land in var/mail/)"
	$(BIN)/honcho start -f Procfile.dev

test: install browser axe messages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

e2e: install browser axe messages
	$(BIN)/python -m pytest -m e2e $(PYTEST_ARGS)

# The main pages at 1280 and 375 px for every demo role, in var/screenshots/ (its own demo on a spare port).
screenshots: install browser messages
	$(BIN)/python tools/screenshots.py --out var/screenshots

bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var
