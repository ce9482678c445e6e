# Two commands a newcomer needs: `make run` and `make test`. Both create .venv when needed.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SCENARIO ?= scenarios/baseline.toml

# A Python >= 3.12 that really runs: one on PATH first, then one that pyenv knows.
define find_python
for p in python3.13 python3.12 python3 \
         $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python 2>/dev/null | sort -rV); do \
  if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys, venv; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
    command -v $$p; exit 0; fi; \
done; exit 1
endef

.PHONY: run test lint bench bench-large sweep-demo clean

$(STAMP): pyproject.toml
	@base=$$( $(find_python) ) || { echo "No working Python >= 3.12 found. Install one (for example 'pyenv install 3.12') and run make again." >&2; exit 1; }; \
	echo "Using $$base ($$($$base --version))"; \
	[ -x $(PY) ] && $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null || { rm -rf $(VENV); $$base -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/marketsim run $(SCENARIO)

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check simulator tests
	$(VENV)/bin/ruff format --check simulator tests
	$(VENV)/bin/mypy

# Performance: the model against a naive per-agent Mesa market, the choice kernel, the baseline
# year, sweeps with 1 and 2 workers, then a million consumers for a year (about 16 min in all on a
# busy 2-core machine); bench-large redoes only the million-consumer part (about 5 min). Both
# rewrite benchmarks/RESULTS.md from everything measured so far.
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) -m benchmarks.run_bench
	$(PY) -m benchmarks.run_bench --large

bench-large: $(BENCH_STAMP)
	$(PY) -m benchmarks.run_bench --large

# A small sweep over the strength of value-driven buying, push vs pull-ethical, with its report and
# tipping point: 11 points x 2 policies x 8 replications = 176 runs of 150 days
# (measured: 7 min 38 s on a busy 2-core machine); the folder and the answer are printed at the end.
sweep-demo: $(STAMP)
	$(VENV)/bin/marketsim sweep sweeps/value_share_demo.toml --out results/sweep-demo-$$(date +%Y%m%dT%H%M%S)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
