# Two commands on a fresh machine (Python 3.11+, git, make):
#   make e2e    the offline conformance suite
#   make test   the project's own tests
# Both create or refresh .venv from the pinned dependency set first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: e2e test bench report lock clean venv

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

venv: $(STAMP)

e2e: $(STAMP)
	$(BIN)/pytest -m e2e $(PYTEST_ARGS)

test: $(STAMP)
	$(BIN)/pytest -m "not e2e" -n 2 $(PYTEST_ARGS)

bench: $(STAMP)
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

report: $(STAMP)
	$(BIN)/capstone report $(REPORT_ARGS)

lock:
	$(PYTHON) -m venv /tmp/capstone-lock && /tmp/capstone-lock/bin/pip install -q -r requirements.in \
	  && /tmp/capstone-lock/bin/pip freeze --all | grep -v "^pip==" > requirements.lock

clean:
	rm -rf $(VENV) reports/*/
