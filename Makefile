# The whole set-up is `make run` or `make test`: each creates .venv when missing.
# The distribution's Python when it is 3.11 or newer and can make a venv: distributions
# build it with profile-guided optimisation, and here it runs the suite about 15 % faster
# than a plain build from source (pyenv's). Otherwise python3 on PATH. `make PY=...` chooses.
SYSTEM_PY := /usr/bin/python3
PY ?= $(shell $(SYSTEM_PY) -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))' \
	>/dev/null 2>&1 && echo $(SYSTEM_PY) || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WORKERS ?= 4
# Bytecode caches on: with PYTHONDONTWRITEBYTECODE set, every process (the suite starts
# hundreds) compiles every module it imports from source again.
unexport PYTHONDONTWRITEBYTECODE
# mypy's cache outside the checkout, so a fresh clone (CI) reuses the last run's: about
# 20 s of CPU to 0.5 s. mypy compares every file's hash with the cache, so a stale cache
# cannot hide an error; it only saves re-checking what did not change.
export MYPY_CACHE_DIR ?= $(or $(TMPDIR),/tmp)/doorkeeper-mypy-cache-$(shell id -u)

.PHONY: install run test lint bench bench-quick dist clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	# --no-compile: modules are compiled when first imported, not all of them up front
	$(BIN)/python -m pip install --quiet --no-compile -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/doorkeeper demo

lint: $(STAMP)
	$(BIN)/ruff check core store drivers console tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

# One run of the whole suite on two workers, then every benchmark at its quick size (a
# benchmark that no longer runs fails the test; its figures are not targets there).
# Tests sharing a fixture that costs seconds (the SSH server, the demo estate) share a
# worker: tests/conftest.py groups them. Four workers on two cores: much of the suite waits
# (on child processes, sockets, ptys, timers) and with two workers the CPU sat 30-50 %
# idle; on this 2-core machine the suite took 340 s on 2 workers, 195 s on 4. The type checker (single-threaded, ~25 s with an empty
# cache, under a second with the last run's) runs beside the suite.
test: $(STAMP)
	$(BIN)/ruff check core store drivers console tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy & types=$$!; \
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadgroup; suite=$$?; \
	wait $$types; types=$$?; \
	[ $$types -eq 0 ] || echo "make test: mypy found type errors (above)"; \
	[ $$suite -eq 0 ] && [ $$types -eq 0 ]
	$(BIN)/python bench/run.py --quick

# Every benchmark, then one summary table; fails at the end on a FAIL or a crashed script.
bench: $(STAMP)
	$(BIN)/python bench/run.py

# The same with small sizes (about a minute, part of `make test`): catches a broken
# benchmark, not a slow one.
bench-quick: $(STAMP)
	$(BIN)/python bench/run.py --quick

# The wheel a site installs (README, "In production"): dist/doorkeeper-VERSION-py3-none-any.whl,
# built from the tracked files only (setuptools builds in ./build, and a stale build/lib
# would carry deleted modules into the wheel; .ci/wheel-check does the same).
dist: $(STAMP)
	rm -rf dist; tmp=$$(mktemp -d); \
	git ls-files -z | tar --null -T - -cf - | tar -xf - -C $$tmp; \
	(cd $$tmp && $(CURDIR)/$(BIN)/python -m pip wheel --quiet --no-deps \
		--wheel-dir $(CURDIR)/dist .); status=$$?; rm -rf $$tmp; \
	[ $$status -eq 0 ] && ls dist/*.whl

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache dist
