# `make demo` and `make test` each set up everything on a fresh machine
# (virtual environment, package, default model) and are fast the second time.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# llama.cpp's AMX kernels fault on some CPUs that report AMX (DESIGN.md s5):
# build without them. For NVIDIA GPUs run: CMAKE_ARGS="-DGGML_CUDA=on" make demo
AMX_OFF := -mno-amx-tile -mno-amx-int8 -mno-amx-bf16
CMAKE_ARGS ?= -DCMAKE_C_FLAGS='$(AMX_OFF)' -DCMAKE_CXX_FLAGS='$(AMX_OFF)'
export CMAKE_ARGS

EXTRAS := model-0_5b,jupyter,chat,examples,data,train,test

DEMO_REQUIREMENT ?= examples/requirements/step_counter.txt

# The browser tests drive Debian's Chromium (never a downloaded one); sudo only when not root.
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test setup clean labextension

setup: $(STAMP) $(CHROMIUM)

$(CHROMIUM):
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium || \
	  ($(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

# The editable install copies the prebuilt extension (jupyter_iotcoder/labextension) into
# .venv/share/jupyter/labextensions, so a rebuilt extension reinstalls the package.
$(STAMP): pyproject.toml models/manifest.toml jupyter_iotcoder/labextension/package.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	$(BIN)/iotcoder models fetch
	touch $(STAMP)

demo: $(STAMP)
	mkdir -p out
	$(BIN)/iotcoder generate --file $(DEMO_REQUIREMENT) -o out/demo.ipynb --force

test: $(STAMP) $(CHROMIUM)
	$(BIN)/python -m pytest -q -rs

# Rebuild the JupyterLab extension from labextension/ (needs Node 20 and npm) and install it.
labextension: $(STAMP)
	cd labextension && npm ci --no-audit --no-fund && npx tsc && \
	  PATH=$(abspath $(BIN)):$$PATH jupyter labextension build .
	$(BIN)/python -m pip install --quiet --no-deps -e .

clean:
	rm -rf $(VENV) out
