# The same targets run locally and in CI (.ci/run). Everything installs into .venv; nothing global.
PYTHON ?= python3

VENV := .venv
BIN := $(VENV)/bin
SOURCES := tailjit tests bench

.PHONY: venv lint typecheck contracts test soak bench run clean

venv: $(VENV)/.installed

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml is newer than the stamp (dependencies or entry points changed).
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

lint: venv
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)

typecheck: venv
	$(BIN)/mypy --strict tailjit

contracts: venv
	$(BIN)/lint-imports

test: venv lint typecheck contracts
	$(BIN)/pytest

# pytest exits 5 when it selects no test; that is not a failure while no soak test exists yet.
soak: venv
	@status=0; $(BIN)/pytest -m soak || status=$$?; \
	if [ $$status -eq 5 ]; then echo "make soak: no soak tests selected"; status=0; fi; \
	exit $$status

bench: $(VENV)/.installed-bench
	@set -e; for script in bench/*_bench.py; do \
	  [ -e "$$script" ] || { echo "make bench: no bench/*_bench.py yet"; break; }; \
	  echo "== $$script"; $(BIN)/python "$$script"; \
	done

# The daemon against a sandbox tailnet seeded with the demo tailnet: no Tailscale account needed.
RUN_DIR ?= .run
run: venv
	$(BIN)/tailjit daemon --sandbox $(RUN_DIR)

clean:
	rm -rf $(VENV) $(RUN_DIR) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis .import_linter_cache
	find $(SOURCES) -name __pycache__ -type d -prune -exec rm -rf {} +
