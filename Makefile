# Stratus: set-up, run and test. Everything a fresh machine needs is installed from here.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install up test lint typecheck unit functional conformance conformance-ci rally bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip 2>/dev/null || true
	$(BIN)/python -m pip install -q -e '.[test]'
	@# qemu-img cross-checks the qcow2 conversions in the tests (Stratus itself does not need it).
	@command -v qemu-img >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
	  { apt-get install -y -q qemu-utils >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q qemu-utils >/dev/null 2>&1; }; }; } || \
	  echo "qemu-img could not be installed: the tests that compare with it will skip"
	@touch $(STAMP)

up: install
	$(BIN)/stratus up

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

test: install lint typecheck
	$(BIN)/python -m pytest -q -n 2 -rs tests --ignore=tests/conformance
	$(BIN)/python -m pytest -q -rs -m "not slow" tests/conformance/test_conformance_harness.py
	$(MAKE) conformance-ci

# The Tempest ratchet: every test id in tests/conformance/passing.txt must still pass.
conformance-ci: install
	@if [ -x tests/conformance/run_ci.sh ]; then tests/conformance/run_ci.sh; \
	 else echo "conformance harness not present yet: skipped"; fi

conformance: install
	tests/conformance/run_all.sh

rally: install
	tests/conformance/run_rally.sh

clean:
	rm -rf $(VENV) build *.egg-info
