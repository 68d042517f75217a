# Two commands for a fresh clone (see README):
#   make run   install the app's dependencies into .venv and start it
#   make test  install everything the tests need (incl. Debian's chromium) and run the whole suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
# One BLAS thread per process: idle OpenBLAS threads spin and, with many sessions on
# 2 cores, turned a 1.7 ms convolution into 127 ms (see benchmarks/bench_conv.py).

.PHONY: run test lint browser bench clean

run: $(VENV)/.runtime
	OPENBLAS_NUM_THREADS=1 $(PY) -m streamlit run app.py --server.port=$(PORT)

# pytest-xdist: TEST_WORKERS processes (each e2e file stays on one of them, with its own
# server and browser); TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= 2

test: $(VENV)/.dev $(VENV)/.torch browser
	$(PY) -m ruff check .
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup

lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

bench: $(VENV)/.dev
	for f in benchmarks/bench_*.py; do $(PY) $$f || exit 1; done

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	touch $@

$(VENV)/.runtime: requirements.txt $(VENV)/.created
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.created
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

# Optional reference: PyTorch's CPU wheel where this machine carries one (/opt/wheels), so
# the cross-checks against torch run as well (they skip without it). Installs only that
# file: never lets pip fetch a (multi-GB) torch build from an index.
TORCH_WHEEL := $(firstword $(wildcard /opt/wheels/torch-*+cpu-*.whl))

$(VENV)/.torch: $(VENV)/.dev
ifneq ($(TORCH_WHEEL),)
	-$(PY) -m pip install --quiet "$(TORCH_WHEEL)"
endif
	touch $@

# Browser tests drive Debian's chromium through Playwright (no browser download).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis artifacts
