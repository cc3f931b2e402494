# Zongzhi set-up contract: `make demo` and `make test` install whatever is missing on Debian.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG := 15
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
DEBIAN_PACKAGES := postgresql-$(PG) postgresql-$(PG)-postgis-3 chromium gdal-bin python3-venv fonts-noto-cjk
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench system clean

demo: $(STAMP)
	$(BIN)/zongzhi demo

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check geo layers api web importers tests bench
	$(BIN)/ruff format --check geo layers api web importers

typecheck: $(STAMP)
	$(BIN)/mypy

# Byte-compiled once here: the test workers and the `zongzhi` commands the tests start would
# otherwise each compile the packages again where PYTHONDONTWRITEBYTECODE is set. The hotspot
# kernel is compiled into numba's cache beside the workers' start (tests/warm_numba.py), once,
# where on a fresh clone both workers compiled it (about 11 s of CPU each). worksteal: each
# worker starts on half the tests, in order (a module's tests mostly on one), and takes half of
# the other's queue when its own runs out, evening out the end of the run.
pytest: $(STAMP)
	$(BIN)/python -m compileall -q geo layers api web importers
	$(BIN)/python -m tests.warm_numba & warm=$$!; \
	$(BIN)/python -m pytest -n 2 --dist worksteal; status=$$?; wait $$warm; exit $$status

BENCH_DEBIAN_PACKAGES := wrk

# wrk loads the HTTP servers in bench/api.py; installed like `system` installs its packages.
# bench/api.py also creates .venv-bench with tipg, the peer it is measured against.
bench: $(STAMP)
	$(call install_missing,$(BENCH_DEBIAN_PACKAGES))
	for script in bench/[!_]*.py; do $(BIN)/python -m bench.$$(basename $$script .py) || exit 1; done

# Debian packages: installed only when one of them is missing.
define install_missing
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
endef

system:
	$(call install_missing,$(DEBIAN_PACKAGES))

$(STAMP): pyproject.toml | system
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
