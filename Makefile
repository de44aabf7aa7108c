# Two entry points, both starting from a fresh clone: `make demo` and `make test`.
# Everything installs into .venv with the versions pinned in constraints.txt.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install -q -c constraints.txt
# The real IMDB archive; point ACTIVELEARN_IMDB elsewhere to use another copy.
export ACTIVELEARN_IMDB ?= $(abspath ../shared/data/aclImdb_labeled.tar.gz)

.PHONY: demo test test-slow lint install-demo install-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

install-demo: $(BIN)/python
	$(PIP) -e '.[plot,data]'

install-test: $(BIN)/python
	$(PIP) -e '.[all,test]'

## Active learning vs random sampling on real IMDB reviews (a few minutes).
demo: install-demo
	$(BIN)/activelearn demo

## The fast test suite (offline, no real data), then lint.
test: install-test
	$(BIN)/python -m pytest -m "not slow" -q
	$(BIN)/ruff check src tests benchmarks

## Slow and data-heavy checks (real IMDB archive, long load tests); CI runs these too.
test-slow: install-test
	$(BIN)/python -m pytest -m slow -q || [ $$? -eq 5 ]  # 5: no slow test selected
