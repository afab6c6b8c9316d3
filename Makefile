# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test test-fast warm bench clean

# The venv is rebuilt when missing, or refreshed when a requirements file is newer than its stamp.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(BIN)/streamlit run app.py --server.port $(PORT)

test: $(VENV)/.dev-installed
	$(BIN)/python -m pytest -q tests

# For iterating: everything but the real-browser and slow tests.
test-fast: $(VENV)/.dev-installed
	$(BIN)/python -m pytest -q -m "not browser and not slow" tests

# Pre-train every lesson preset into the on-disk model cache, so a lecture starts with no waiting.
warm: $(VENV)/.installed
	$(BIN)/python -m aecore warm

bench: $(VENV)/.installed
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache tests/artifacts
