# The two commands of the README (`make demo`, `make test`) work on a fresh machine with only
# Python 3.11, make and the PostgreSQL binaries: every target creates or reuses .venv itself.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The bench extra (dlt, the yardstick): installed for `make bench` and the tests (tests/bench
# runs the small bench, dlt included), never by `make install`: the bridge never imports dlt.
BENCH_STAMP := $(VENV)/.installed-bench

# Every process we start keeps Prefect's state under var/ and sends nothing home.
export PREFECT_HOME ?= $(CURDIR)/var/prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: demo test test-fast lint format bench clean lock serve install report-pictures

define INSTALL
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)
endef

$(STAMP): pyproject.toml constraints.txt
	$(INSTALL)

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,bench]'
	@touch $@

# Installing is its own step (it needs the package index): run it once on a server, and again
# when pyproject.toml or constraints.txt change. Starting (`make serve`, the systemd units of
# deploy/systemd/) never installs, so an offline server starts after a `git pull`.
install:
	$(INSTALL)

demo: $(STAMP)
	$(BIN)/bridge demo

# A Prefect server on 127.0.0.1 (port BRIDGE_PREFECT_PORT, default 4200) and the deployments
# served against it; Ctrl-C stops the serve process first, then the server. Never runs pip.
serve:
	$(if $(wildcard $(BIN)/bridge),,$(error no $(BIN)/bridge: run 'make install' first (it needs the package index; serve never installs)))
	$(BIN)/python -m bridge.serve --with-server

# Four worker processes (pytest-xdist): many tests wait on sockets and disk, and four keep 2
# cores busy (1.8 of them on average over `make test`). loadgroup keeps each module's tests
# on the session's Prefect harness on one worker, and each test that starts its own Prefect
# server apart (tests/conftest.py).
PYTEST_WORKERS ?= 4
XDIST := -n $(PYTEST_WORKERS) --dist loadgroup

# The twenty slowest steps are printed at the end (issue 19: where the suite's time goes).
test: $(BENCH_STAMP)
	$(BIN)/python -m pytest $(XDIST) --durations=20

# Everything but the slow tests, for the edit-run loop. CI always runs `make test`.
test-fast: $(BENCH_STAMP)
	$(BIN)/python -m pytest $(XDIST) -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The first page of the Word report and of the Excel workbook as PNG (docs/img/), for the README.
# Needs LibreOffice and pdftoppm (poppler-utils); without them it says so and skips.
report-pictures: $(STAMP)
	$(BIN)/python -m reports.pictures docs/img

# A few minutes on 2 cores; e.g. BENCH_ARGS="--documents 50000" for the issue's size.
bench: $(BENCH_STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

# Rewrite constraints.txt from what the venv holds now (after a deliberate upgrade).
lock: $(STAMP)
	{ echo "# Exact versions every machine installs (pip install -c constraints.txt). Regenerate with"; \
	  echo "# 'make lock' after changing dependencies in pyproject.toml."; \
	  $(BIN)/python -m pip freeze --exclude-editable --disable-pip-version-check; } > constraints.txt

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
