# Every target sets up what it needs: a fresh clone runs `make demo` or `make test` directly.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PIP_INSTALL := -m pip install --quiet --disable-pip-version-check
# FunctionGraph's Python runtimes: `make test-runtimes` runs the suites marked `runtime` on each, in .venv-pyX.Y.
RUNTIMES := 3.9 3.10 3.12
RUNTIME_TESTS := $(addprefix test-py,$(RUNTIMES))
RUNTIME_VENVS := $(foreach v,$(RUNTIMES),.venv-py$(v)/.installed-stamp)
PYENV_ROOT ?= $(HOME)/.pyenv
# make test: each suite on pytest-xdist workers. Most tests wait (subprocesses, timeouts, Retry-After) more than
# they compute, so more workers than the 2 cores; a zip's packaging tests share an xdist_group (one build each).
TEST_WORKERS ?= 4
PARALLEL := -n $(TEST_WORKERS) --dist loadgroup
export NO_PROXY := 127.0.0.1,localhost

# Python X.Y: pyenv's X.Y.*, else pythonX.Y on PATH, whichever really runs as X.Y; empty when the machine has none.
runtime_python = $(shell for p in $(PYENV_ROOT)/versions/$(1).*/bin/python$(1) $$(command -v python$(1)); do \
	"$$p" -c 'import sys; sys.exit("%d.%d" % sys.version_info[:2] != "$(1)")' 2>/dev/null && { echo "$$p"; break; }; done)

python_ok = $(shell $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 9))' 2>/dev/null && echo yes)

.PHONY: setup test test-fast test-runtimes $(RUNTIME_TESTS) check-runtimes lint demo bench package clean

# A venv counts only once its stamp exists: a failed install removes it, and a venv without a stamp
# (interrupted, or made by an older Makefile) is made again from scratch.
$(STAMP): pyproject.toml
	$(if $(python_ok),,$(error fgrevoke needs Python 3.9 or newer and PYTHON=$(PYTHON) is older or missing: run make PYTHON=/path/to/python3.12 $(MAKECMDGOALS)))
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) $(PIP_INSTALL) -e '.[dev]' || { rm -rf $(VENV); echo "pip failed; $(VENV) removed (nothing half-installed is left)" >&2; exit 1; }
	touch $(STAMP)

setup: $(STAMP)

lint: setup
	$(PY) -m ruff check .
	$(PY) -m mypy

# The inner loop: everything but the tests marked slow, on the development Python (under 30 s), on 3 workers.
test-fast: setup
	FGREVOKE_FAST=1 $(PY) -m pytest -m "not slow" -n 3 --dist loadgroup

# Lint and the runtime venvs' installs side by side (pip mostly waits on files), then the suites one after another,
# each on its workers. The development suite holds a one-round `make bench` (tests/test_bench.py).
test: check-runtimes
	@$(MAKE) --no-print-directory -j $(words lint $(RUNTIMES)) --output-sync=target lint $(RUNTIME_VENVS)
	$(PY) -m pytest $(PARALLEL)
	@$(MAKE) --no-print-directory test-runtimes

check-runtimes:
	$(foreach v,$(RUNTIMES),$(if $(call runtime_python,$(v)),,$(error make test-runtimes needs Python $(v): put python$(v) on PATH or run pyenv install $(v))))
	@:

.venv-py%/.installed-stamp: pyproject.toml | check-runtimes
	rm -rf .venv-py$*
	$(call runtime_python,$*) -m venv .venv-py$*
	.venv-py$*/bin/python $(PIP_INSTALL) -e '.[test]' || { rm -rf .venv-py$*; echo "pip failed on Python $*; .venv-py$* removed" >&2; exit 1; }
	touch $@

# One runtime alone: make test-py3.12
$(RUNTIME_TESTS): test-py%: .venv-py%/.installed-stamp
	@.venv-py$*/bin/python -c 'import sys; print("runtime suites on Python " + sys.version.split()[0])'
	.venv-py$*/bin/python -m pytest -m runtime $(PARALLEL)

test-runtimes: check-runtimes $(RUNTIME_TESTS)

demo: setup
	$(PY) -m fgrevoke demo

clean:
	rm -rf $(VENV) $(foreach v,$(RUNTIMES),.venv-py$(v)) dist build *.egg-info

bench: setup
	$(PY) benchmarks/run.py

package: setup
	$(PY) -m fgrevoke package
