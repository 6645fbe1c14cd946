# Two entry points: `make demo` and `make test`.  Everything installs into .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
EXTRAS ?= dev

.PHONY: demo test install bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-$(EXTRAS): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $@

install: $(VENV)/.installed-$(EXTRAS)

demo: install
	$(BIN)/procatlas demo --out demo-out

# two workers (the machines have two cores); tests of one module share a worker and its fixtures
test: install
	$(BIN)/python -m pytest -q -n 2 --dist loadscope

bench: install
	$(BIN)/python -m pip install --quiet -e '.[dev,oracle]'
	$(BIN)/python benchmarks/bench_xes_import.py

clean:
	rm -rf $(VENV) demo-out .pytest_cache .hypothesis
