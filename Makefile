# Two commands do all set-up on a fresh machine:
#   make demo   install, start a server with a simulated fleet, print the dashboard URL
#   make test   install (with the test browser), lint, type-check and run every test
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: demo serve test lint typecheck unit browser node bench bench-decode bench-server bench-dashboard bench-gate bench-transport bench-idle-memory bench-scan clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/evfault demo

serve: $(STAMP)
	$(BIN)/evfault serve

browser:
	scripts/install-browser.sh

# A second OCPP implementation for the interoperability tests: ocpp-rpc (Node) in strict mode.
node:
	npm ci --no-audit --no-fund --silent --prefix tests/node

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q

test: $(STAMP) browser node lint typecheck
	$(BIN)/pytest -q -ra

bench: bench-decode bench-server bench-dashboard bench-gate bench-transport bench-idle-memory bench-scan

bench-decode: $(STAMP)
	$(BIN)/python benchmarks/decode_throughput.py

# CPU per message for every server in one run, the Node ocpp-rpc yardstick and a 10,000-charger
# reconnect storm; the load comes from Node (benchmarks/node), outside every server under test.
bench-server: $(STAMP)
	npm ci --no-audit --no-fund --silent --prefix benchmarks/node
	$(BIN)/python benchmarks/server_load.py

bench-dashboard: $(STAMP)
	$(BIN)/python benchmarks/dashboard_load.py

bench-gate: $(STAMP)
	$(BIN)/python benchmarks/gate_admit.py

# The transport: frame codec and HTTP parser per frame/head, then server CPU per message.
bench-transport: $(STAMP)
	$(BIN)/python benchmarks/ws_codec.py
	$(BIN)/python benchmarks/transport_cpu.py

bench-idle-memory: $(STAMP)
	$(BIN)/python benchmarks/idle_memory.py

# With the network cut where the machine allows it: OCR must not download anything.
OFFLINE := $(shell unshare -n true 2>/dev/null && echo unshare -n)
bench-scan: $(STAMP)
	$(OFFLINE) $(BIN)/python benchmarks/scan_accuracy.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .mypy_cache .ruff_cache .pytest_cache
