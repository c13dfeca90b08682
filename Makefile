# Two commands matter: `make run` and `make test`. Both build .venv from the pinned
# requirements.txt when it is missing or older than that file.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app scheduler
STAMP := $(VENV)/.requirements-installed

.PHONY: run test bench lint audit venv browser translations extract-messages

venv: $(STAMP)

# Message catalogues are committed as .po; the compiled .mo files are built here.
PO_FILES := $(wildcard scheduler/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
translations: $(MO_FILES)
%.mo: %.po $(STAMP)
	$(VENV)/bin/pybabel compile --statistics -i $< -o $@ 2>&1 | tail -1

# After changing user-facing strings: refresh the template and the catalogues, then translate.
extract-messages: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		-k lazy_pgettext:1c,2 -k _lp:1c,2 --project sociotherapy-scheduler -o scheduler/translations/messages.pot .
	$(VENV)/bin/pybabel update -i scheduler/translations/messages.pot -d scheduler/translations --no-fuzzy-matching

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

run: $(STAMP) translations
	$(FLASK) db upgrade
	$(FLASK) load-demo
	$(FLASK) load-demo-past-term
	SCHEDULER_SESSION_COOKIE_SECURE=false SCHEDULER_PUBLIC_URL=http://127.0.0.1:5000 \
		$(FLASK) run --host 127.0.0.1 --port 5000

# Node packages for the tests, pinned in package-lock.json: axe-core, injected by the browser tests'
# accessibility checks, and ical.js, Thunderbird's calendar parser, reading every feed. npm ci writes
# node_modules/.package-lock.json; it is touched so that make sees it newer than both files.
NODE_STAMP := node_modules/.package-lock.json
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# Browser tests drive Debian's Chromium (Playwright's own browser download cannot reach its servers
# here). Installed when missing and this is root on a Debian machine; otherwise the browser tests say
# what to install (and fail in CI, where CI is set).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "== installing Chromium for the browser tests =="; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium is missing and cannot be installed without root: sudo apt-get install chromium"; \
	  fi; }

# One pytest worker per core (pytest-xdist): each has its own throwaway database, browser and ports.
# TEST_WORKERS=0 runs the suite in one process, as when debugging one failure.
TEST_WORKERS ?= auto
PYTEST_ARGS ?=
test: $(STAMP) translations $(NODE_STAMP) browser
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Timings live here, never in the tests; each writes its own section of BENCHMARKS.md.
bench: $(STAMP)
	$(PY) -m bench
	$(PY) -m bench.resolve
	$(PY) -m bench.feeds
	$(PY) -m bench.best_fit

# ruff, then mypy (settings in pyproject.toml: the solver strict, the app with the default checks).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# Security lint (bandit: fails on high-severity findings) and known vulnerabilities in the pinned
# packages (pip-audit, in its own .venv-audit; it says so loudly and skips where PyPI's vulnerability
# data is unreachable, as on this build machine's network).
audit: $(STAMP)
	$(VENV)/bin/bandit -q -r scheduler solver -lll
	bin/audit-dependencies
