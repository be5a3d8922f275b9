# Two entry points, each doing all set-up on a fresh machine:
#   make run   - venv + the agent's packages + the default model + the agent on a sample maths question
#   make test  - venv + those + the browser and PostgreSQL + dev tools and the `train` extra (torch)
#                + the test models + llama-server + every test
#   make dev   - venv + the agent's packages + the default model + the LangGraph dev server, offline
# Running the agent needs no torch: only `make install-dev` (tests, `lumos train`) installs it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# llama-cpp-python is compiled from source. A native build segfaults on CPUs that advertise AMX
# without granting it to the VM (ggml_backend_amx_mul_mat), so build portable AVX2 by default.
# Override on other hardware, e.g. CMAKE_ARGS="-DGGML_CUDA=on" make install. If a native wheel is
# already in pip's cache, add PIP_ARGS="--no-cache-dir --force-reinstall".
CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
CMAKE_BUILD_PARALLEL_LEVEL ?= $(shell nproc 2>/dev/null || echo 2)
export CMAKE_ARGS CMAKE_BUILD_PARALLEL_LEVEL
PIP_ARGS ?=
# torch goes in before the `train` extra so pip keeps a local CPU wheel (find-links) rather than
# resolving the CUDA build; e.g. TORCH="torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
TORCH ?= torch==2.13.0
# the default preset (measured: README "Agent quality"); MODEL=qwen2.5-coder-0.5b for the small one
MODEL ?= qwen2.5-coder-1.5b
TEST_MODELS ?= qwen2.5-coder-0.5b smollm2-135m
# fast, balanced or best: a measured configuration for the domain and model (graphs/effort.py)
EFFORT ?= balanced
QUESTION ?= A baker makes 24 muffins in the morning and twice as many in the afternoon. He sells 50 muffins. How many muffins does he have left?
PYTEST_ARGS ?=
PORT ?= 2024
SERVER_PORT ?= 8080
SLOTS ?= 2
DEV_ARGS ?=  # e.g. --no-reload: hot reload restarts the server whenever a .py file changes
# `langgraph dev` offline: no CLI analytics, no PyPI version check, no tracing, no browser (Studio is a web app)
DEV_ENV := LANGGRAPH_CLI_NO_ANALYTICS=1 LANGGRAPH_NO_VERSION_CHECK=true LANGSMITH_TRACING=false

# System packages from the distribution, installed when make runs as root on a Debian-like machine.
# Running the agent needs only the Code action's sandbox: bubblewrap and libseccomp
# (tools/sandbox.py). The tests add chromium with its driver, the web domain's browser
# (tools/web.py; `make browser` installs it alone for using that domain), and postgresql, whose
# server binaries the tests start a throwaway cluster with (tests/pgserver.py; the agent itself
# only needs a server's URL). Elsewhere make says what to install and goes on; Code then refuses to
# run rather than run unsandboxed, and the web domain says what is missing.
SANDBOX_PACKAGES ?= bubblewrap libseccomp2
BROWSER_PACKAGES ?= chromium chromium-driver
TEST_PACKAGES ?= $(BROWSER_PACKAGES) postgresql
SANDBOX_PRESENT := command -v bwrap && /sbin/ldconfig -p | grep -q libseccomp.so.2
BROWSER_PRESENT := command -v chromium && command -v chromedriver
TEST_PRESENT := $(BROWSER_PRESENT) && { command -v initdb || ls /usr/lib/postgresql/*/bin/initdb; }

# $(call apt_install,packages,check,why): apt-get the packages as root unless the check passes
define apt_install
	@if { $(2); } >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing $(1) (apt-get)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -qq --no-install-recommends $(1) >/dev/null 2>&1 || \
	  { apt-get update -qq && apt-get install -y -qq --no-install-recommends $(1); }; \
	else \
	  echo "note: $(1) not installed, needed for $(3);" \
	       "Debian/Ubuntu: sudo apt-get install $(1) (other systems: their packages of those names)"; \
	fi
endef

.PHONY: install install-dev system-packages browser test-packages models run dev server test lint clean

system-packages:
	$(call apt_install,$(SANDBOX_PACKAGES),$(SANDBOX_PRESENT),the Code action's sandbox (until then Code refuses to run))

browser:
	$(call apt_install,$(BROWSER_PACKAGES),$(BROWSER_PRESENT),the web domain)

test-packages:
	$(call apt_install,$(TEST_PACKAGES),$(TEST_PRESENT),the browser and PostgreSQL tests)

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_ARGS) -e .
	touch $@

# torch first, so pip keeps a CPU wheel it finds locally (or the one TORCH names) over the index's
$(BIN)/.installed-dev: $(BIN)/.installed
	$(BIN)/python -m pip install $(PIP_ARGS) $(TORCH)
	$(BIN)/python -m pip install $(PIP_ARGS) -e '.[dev,train]'
	touch $@

install: system-packages $(BIN)/.installed

install-dev: install $(BIN)/.installed-dev

models: install
	$(BIN)/lumos models fetch $(MODEL)

run: models
	$(BIN)/lumos run --effort $(EFFORT) --planner $(MODEL) --grounder $(MODEL) --qa-model $(MODEL) "$(QUESTION)"

dev: models
	env -u LANGSMITH_API_KEY $(DEV_ENV) $(BIN)/langgraph dev --no-browser --host 127.0.0.1 --port $(PORT) $(DEV_ARGS)

# llama.cpp's own server for $(MODEL): built once from the pinned llama-cpp-python sources with
# CMAKE_ARGS (minutes), then served on 127.0.0.1:$(SERVER_PORT) with $(SLOTS) slots; Ctrl-C stops it
server: models
	$(BIN)/lumos serve --model $(MODEL) --port $(SERVER_PORT) --parallel $(SLOTS)

test: install-dev test-packages lint
	$(BIN)/lumos models fetch $(TEST_MODELS)
	$(BIN)/lumos serve --build-only  # llama-server for tests/test_llama_server.py (built once, minutes)
	env -u LANGSMITH_API_KEY LANGSMITH_TRACING=false LUMOS_REQUIRE_GGUF=1 LUMOS_REQUIRE_SANDBOX=1 LUMOS_REQUIRE_BROWSER=1 LUMOS_REQUIRE_POSTGRES=1 LUMOS_REQUIRE_SERVER=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
