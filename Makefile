# posekit: two commands for a newcomer.
#   make demo  - set up .venv and run the main job on the bundled samples (writes out/)
#   make test  - set up .venv (with test extras, model weights; chromium when root) and run the suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
OUT    ?= out

.PHONY: demo test venv dev-deps models media browser-deps lint notebooks bench bench-table clean

$(VENV)/.core-installed: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "posekit needs Python >= 3.10"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e ".[local,parquet]"
	touch $@

$(VENV)/.dev-installed: $(VENV)/.core-installed pyproject.toml
	$(PIP) install --quiet -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (posekit)" >/dev/null
	touch $@

venv: $(VENV)/.core-installed

dev-deps: $(VENV)/.dev-installed

# BlazePose weights, taken from the mediapipe==0.10.21 wheel on PyPI (sha256-checked)
models: $(VENV)/.core-installed
	$(VENV)/bin/posekit models install

# demo videos used by tests and notebooks, from the sports2d and pose2sim wheels on PyPI (sha256-checked)
media: $(VENV)/.core-installed
	$(VENV)/bin/posekit media fetch

# Debian's chromium for the browser test of the Player: installed with apt only when run as root
# (CI); otherwise nothing is installed and tests/test_browser.py skips, saying how to run it.
browser-deps:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "browser-deps: chromium not found and not root: skipping (the browser test will skip;"; \
	  echo "  to run it: 'sudo apt-get install chromium' or set POSEKIT_CHROMIUM=/path/to/chromium)"; \
	fi

demo: $(VENV)/.core-installed
	$(VENV)/bin/posekit demo -o $(OUT)

# lint first (seconds), then the suite with the docstring examples (doctests of posekit/)
test: $(VENV)/.dev-installed models media browser-deps lint
	$(PY) -m pytest -q -p no:cacheprovider

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check posekit tests bench scripts notebooks
	$(VENV)/bin/ruff format --check posekit tests bench scripts
	$(VENV)/bin/mypy posekit

# the .ipynb from their jupytext sources notebooks/*.py (cell ids and metadata kept)
notebooks: $(VENV)/.dev-installed
	$(VENV)/bin/jupytext --to ipynb --update notebooks/*.py

# every bench, one after the other (on a quiet machine: they time CPU work); each writes
# bench/results/<bench>.json, then bench-table renders the README's table from those files.
# bench_estimate_mediapipe.py is not among them: it needs a separate mediapipe environment.
BENCHES := load analysis clean_smooth filter_ends player server server_attack estimate \
	estimate_views study synth
bench: $(VENV)/.dev-installed models media
	for b in $(BENCHES); do echo "== bench/bench_$$b.py  $$(date -u +%T)  $$(uptime)"; \
	  $(PY) bench/bench_$$b.py || exit 1; done
	$(MAKE) --no-print-directory bench-table

# the README's benchmark table from bench/results/*.json (no timing: seconds)
bench-table:
	$(PYTHON) scripts/bench_table.py

clean:
	rm -rf $(VENV) $(OUT) build *.egg-info .pytest_cache
