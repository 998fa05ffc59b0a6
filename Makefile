# Two commands do all set-up on a fresh machine:
#   make demo   install what running needs, start a server with a simulated fleet, print the
#               dashboard URL (make demo PORT=8181 for another port)
#   make test   install the test tools too (and the test browser), lint, type-check, run every test
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
PORT   ?= 8180
# Two stamps: the runtime alone (make demo, serve), then the test and lint tools on top.
RUNTIME = $(VENV)/.installed-runtime
STAMP   = $(VENV)/.installed-dev

.PHONY: bench-adversarial demo serve test lint typecheck unit browser node bench bench-driver bench-decode bench-server bench-dashboard bench-gate bench-transport bench-idle-memory bench-scan bench-analyze bench-reports bench-alerts clean

$(RUNTIME): pyproject.toml
	@echo "make: installing evfault and what it needs to run into $(VENV) (a few minutes the first time)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --progress-bar on pip
	$(BIN)/python -m pip install --progress-bar on -e .
	touch $@

$(STAMP): $(RUNTIME)
	@echo "make: adding the test, lint and type-check tools"
	$(BIN)/python -m pip install --progress-bar on -e '.[dev]'
	touch $@

demo: $(RUNTIME)
	$(BIN)/evfault demo --port $(PORT)

serve: $(RUNTIME)
	$(BIN)/evfault serve --port $(PORT)

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

bench: bench-decode bench-server bench-dashboard bench-gate bench-transport bench-idle-memory bench-scan bench-analyze bench-reports bench-alerts bench-driver bench-adversarial

# One well-behaved charger beside fuzz, a 10 % bad mix, huge code lists, 1,000 event streams and
# clock abuse: its p99 latency against its baseline (target: at most 5×).
bench-adversarial: $(STAMP)
	$(BIN)/python benchmarks/adversarial.py

# A driver's /c/{id} page in headless Chromium: fault and clear, from the charger's call to the DOM.
bench-driver: $(STAMP)
	$(BIN)/python benchmarks/driver_page_live.py

bench-analyze: $(STAMP)
	$(BIN)/python benchmarks/analyze_throughput.py

bench-reports: $(STAMP)
	$(BIN)/python benchmarks/reports_year.py

bench-decode: $(STAMP)
	$(BIN)/python benchmarks/decode_throughput.py

# CPU per message for every server in one run, the Node ocpp-rpc yardstick and a 10,000-charger
# reconnect storm; the load comes from Node (benchmarks/node), outside every server under test.
bench-server: $(STAMP)
	npm ci --no-audit --no-fund --silent --prefix benchmarks/node
	$(BIN)/python benchmarks/server_load.py

bench-dashboard: $(STAMP)
	$(BIN)/python benchmarks/dashboard_load.py

bench-alerts: $(STAMP)
	$(BIN)/python benchmarks/alerts_check.py

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
