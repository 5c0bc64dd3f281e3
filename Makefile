# The two commands of the README: `make run` and `make test`. Everything else serves them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install messages migrate seed lint check unit e2e browser bench clean search-dictionary proxy

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# compilemessages only needs LOCALE_PATHS: the test settings need no environment.
messages: install
	DJANGO_SETTINGS_MODULE=config.settings_test $(PY) manage.py compilemessages --ignore=.venv -v 0

migrate: install messages
	mkdir -p var
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput -v 0

# The demo is seeded once (seed_demo is idempotent; the stamp only saves time).
var/.demo-seeded: | migrate
	DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo
	touch var/.demo-seeded

run: migrate var/.demo-seeded
	@DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo --print-logins
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl+C stops)"
	@# The job worker runs beside the web server and stops with it (README "Workers").
	DEBUG=$${DEBUG:-1} $(PY) manage.py jobs_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; \
	DEBUG=$${DEBUG:-1} $(VENV)/bin/daphne -b $(HOST) -p $(PORT) config.asgi:application

# Debian's Chromium for the browser tests (never `playwright install`).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
	@command -v msgfmt >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null)

# Debian's nginx for the production check and the load bench (deploy/nginx/: the proxy in front of
# gunicorn and daphne). Not started as a service: they run their own on loopback ports.
proxy:
	@command -v nginx >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null)

# Bulgarian full-text search on the PostgreSQL server of THIS machine (CI, development): Debian's
# hunspell-bg and our stop words into the server's tsearch_data (search/postgres.py explains). Run
# before `migrate`; a database migrated without it searches without morphology until
# `manage.py search_setup`. Needs root (apt, the server's share directory).
search-dictionary:
	@test -f /usr/share/hunspell/bg_BG.dic || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hunspell-bg >/dev/null)
	@dir="$$(pg_config --sharedir 2>/dev/null || echo /usr/share/postgresql/$$(ls /etc/postgresql | sort -V | tail -1))/tsearch_data"; \
	  test -d "$$dir" || { echo "no PostgreSQL share directory ($$dir): is the server installed?"; exit 1; }; \
	  cp -L /usr/share/hunspell/bg_BG.aff "$$dir/bulgarian.affix" && \
	  cp -L /usr/share/hunspell/bg_BG.dic "$$dir/bulgarian.dict" && \
	  cp search/sql/bulgarian.stop "$$dir/bulgarian.stop" && \
	  echo "hunspell-bg installed in $$dir"

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

check: install browser messages
	DJANGO_SETTINGS_MODULE=config.settings_test $(PY) manage.py check
	DJANGO_SETTINGS_MODULE=config.settings_test $(PY) manage.py makemigrations --check --dry-run

unit: install messages
	$(PY) -m pytest -q

# Browser tests run in their own pytest process: Playwright's event loop and the ORM's
# async-safety checks do not mix with the unit tests (STACK-NOTES pitfall 3).
e2e: install browser messages
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(PY) -m pytest -q e2e

test: lint check unit e2e

bench: install proxy
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) var staticfiles
