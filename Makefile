# The whole set-up is `make run` or `make test`: each creates .venv when missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/doorkeeper demo

lint: $(STAMP)
	$(BIN)/ruff check core store drivers console tests bench
	$(BIN)/lint-imports

# One run of the whole suite on two workers. Tests sharing a fixture that costs seconds
# (the SSH server, the demo estate) share a worker: tests/conftest.py groups them.
test: lint
	$(BIN)/python -m pytest -n 2 --dist loadgroup

bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
