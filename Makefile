# Two commands from a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
PORT   ?= 5000

.PHONY: run serve install test lint test-midnight mutation e2e chromium benchmark \
	benchmark-national migrate demo \
	translations clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstalled when the dependencies change.
$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

migrate: install
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo load

run: demo
	@echo "Serving on http://127.0.0.1:$(PORT)  (Ctrl+C stops)"
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Lint and import order (settings in .ruff.toml); `$(BIN)/ruff check --fix .` sorts imports.
lint: install
	$(BIN)/ruff check .

# The suite with the wall clock crossing midnight into a new year in Copenhagen (UTC below),
# under Debian's libfaketime; every test starts at that instant too (TEST_NOW). Not in CI.
MIDNIGHT_UTC ?= 2026-12-31 22:59:30
test-midnight: install
	@command -v faketime >/dev/null || { if [ "$$(id -u)" = 0 ]; then \
	  apt-get install -y -q faketime >/dev/null 2>&1 \
	  || { apt-get update -q >/dev/null && apt-get install -y -q faketime >/dev/null; }; \
	  else echo "faketime is missing: sudo apt-get install faketime"; exit 1; fi; }
	TZ=UTC TEST_NOW="$(MIDNIGHT_UTC)+00:00" faketime -f "@$(MIDNIGHT_UTC)" \
	  $(BIN)/python -m pytest $(PYTEST_ARGS)

# Mutation testing with mutmut 3 (setup.cfg [mutmut]); slow, not in CI. MUTANTS narrows it,
# e.g. MUTANTS='consultancy.rules.flags*'.
MUTATION_CHILDREN ?= 1
MUTANTS ?=
mutation: install
	$(BIN)/pip install --quiet -e '.[test,mutation]'
	nice $(BIN)/mutmut run --max-children $(MUTATION_CHILDREN) $(MUTANTS)
	$(BIN)/mutmut results

# Browser tests: the real app under gunicorn with demo data, Debian's Chromium, axe-core.
CHROMIUM_PATH ?= /usr/bin/chromium
AXE_VERSION   := 4.10.2
AXE           := .cache/axe-core/axe.min.js

$(AXE): | $(BIN)/activate
	mkdir -p $(dir $@)
	$(BIN)/python -c "import io, sys, tarfile, urllib.request; \
	  data = urllib.request.urlopen(sys.argv[1], timeout=60).read(); \
	  tar = tarfile.open(fileobj=io.BytesIO(data)); \
	  open(sys.argv[2], 'wb').write(tar.extractfile('package/axe.min.js').read())" \
	  https://registry.npmjs.org/axe-core/-/axe-core-$(AXE_VERSION).tgz $@.part && mv $@.part $@

chromium:
	@if [ ! -x "$(CHROMIUM_PATH)" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get install -y -q chromium >/dev/null 2>&1 \
	    || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }; \
	  else echo "Chromium is missing: sudo apt-get install chromium (or set CHROMIUM_PATH)"; exit 1; fi; \
	fi

e2e: install chromium $(AXE)
	CHROMIUM_PATH=$(CHROMIUM_PATH) $(BIN)/python -m pytest -m e2e tests/e2e $(PYTEST_ARGS)

# Timings outside the default run; TEST_DATABASE_URL=postgresql+psycopg://... measures PostgreSQL.
benchmark: install
	$(BIN)/python -m pytest -m benchmark -s $(PYTEST_ARGS)

# At national scale (issue 14), on PostgreSQL: drops and creates NATIONAL_DATABASE
# (consultancy_national) on PGHOST/PGPORT as PGUSER (127.0.0.1, 5432, postgres), migrates it,
# loads the demo, generates ten years of national data with COPY, then prints every main page's
# status, SQL statements, rows and median time beside /healthz, and a load test of 20 people
# (locust, NATIONAL_LOAD_SECONDS=60) against gunicorn with 3 workers. Minutes; not in CI.
# NATIONAL_ARGS passes options, e.g. --reuse (measure again without generating), --no-load.
# Then the flag pass (10,000 cases, 300,000 sessions) on SQLite and PostgreSQL and the effect
# exports (1,000,000 answers) beside PostgreSQL's COPY, each in a scratch database; every part
# runs and prints even when an earlier one misses its limit, and the target fails if any did.
NATIONAL_ARGS ?=
NATIONAL_SCRATCH = postgresql+psycopg://$${PGUSER:-postgres}@$${PGHOST:-127.0.0.1}:$${PGPORT:-5432}/$${NATIONAL_DATABASE:-consultancy_national}
benchmark-national: install
	$(BIN)/pip install --quiet -e '.[test,benchmark]'
	@status=0; \
	$(BIN)/python -m tests.national.run $(NATIONAL_ARGS) || status=1; \
	$(BIN)/python -m pytest -m benchmark -s -p no:randomly tests/test_benchmark_flag_pass.py || status=1; \
	TEST_DATABASE_URL="$(NATIONAL_SCRATCH)" $(BIN)/python -m pytest -m benchmark -s -p no:randomly \
	  tests/test_benchmark_flag_pass.py tests/test_benchmark_effect_export.py || status=1; \
	exit $$status

translations: install
	$(FLASK) translate update
	$(FLASK) translate compile

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
