# Every target sets up what it needs: a fresh clone runs `make demo` or `make test` directly.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: setup test lint demo bench package clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

lint: setup
	$(PY) -m ruff check .

test: lint
	NO_PROXY=127.0.0.1,localhost $(PY) -m pytest

demo: setup
	NO_PROXY=127.0.0.1,localhost $(PY) -m fgrevoke demo

clean:
	rm -rf $(VENV) dist build *.egg-info

bench: setup
	NO_PROXY=127.0.0.1,localhost $(PY) benchmarks/run.py

package: setup
	$(PY) -m fgrevoke package
