# Set-up contract: `make run` installs, indexes corpus/ and serves; `make test` runs the tests.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INDEX ?= index
CORPUS ?= corpus
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: install run ingest serve test test-quick eval bench calibrate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade "pip>=24"

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e ".[test,st]"
	touch $@

install: $(VENV)/.installed

ingest: install
	$(BIN)/python -m app ingest --corpus $(CORPUS) --index $(INDEX)

run: ingest
	$(BIN)/python -m app serve --index $(INDEX) --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest -q

test-quick: install
	$(BIN)/python -m pytest -q -m "not slow"

eval: install
	$(BIN)/python -m app eval --gold eval/gold.jsonl

bench: install
	$(BIN)/python -m app bench

calibrate: install
	$(BIN)/python -m app calibrate --gold eval/dev.jsonl

clean:
	rm -rf $(VENV) build *.egg-info
