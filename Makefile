# Two commands: `make run` and `make test`. Both set up on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup ingest bench clean

setup: $(STAMP)

# torch first: the CPU build lies on this machine's disk; from PyPI alone it pulls CUDA wheels.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

ingest: setup
	$(BIN)/redlines ingest

run: ingest
	$(BIN)/streamlit run ui/app.py --server.address 127.0.0.1 --server.port 8501 --server.headless true --browser.gatherUsageStats false

test: setup
	./scripts/ensure-chromium
	$(BIN)/python -m pytest -q

bench: ingest
	$(BIN)/python eval/bench.py

clean:
	rm -rf .redlines
