# civicgrid — the two commands: `make demo` and `make test`.  (GNU make)
#
#   make install   .venv (pinned requirements.lock + editable civicgrid), node_modules, messages
#   make demo      install, migrate, build the demo city, serve on 127.0.0.1:$(PORT)
#   make test      lint + checks, pytest on SQLite and on a throwaway PostgreSQL, browser tests
#   make bench     the benchmarks
#   make lint      ruff check
#   make lock      regenerate requirements.lock from a fresh venv
#   make clean     remove .venv, node_modules, caches (keeps ./var, your demo data)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# python3.11 when there is one (pyenv or Debian), else python3; checked to be 3.11 below.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
export CIVICGRID_DATA_DIR ?= $(CURDIR)/var
export PIP_DISABLE_PIP_VERSION_CHECK := 1

LOCALE_DIR := civicgrid/locale
PO_FILES   := $(shell find $(LOCALE_DIR) -name '*.po' 2>/dev/null)
MO_FILES   := $(PO_FILES:.po=.mo)
# Recompile when a .po changed or a .mo went missing (.mo files are not in git).
MO_FORCE   := $(if $(filter-out $(wildcard $(MO_FILES)),$(MO_FILES)),FORCE)

STAMP_VENV := $(VENV)/.stamp-venv
STAMP_PIP  := $(VENV)/.stamp-pip
STAMP_NPM  := node_modules/.stamp-npm
STAMP_MO   := $(VENV)/.stamp-messages

.PHONY: help install demo test bench lint lock clean FORCE

help:
	@sed -n '3,10p' Makefile | sed 's/^# \{0,1\}//'

install: $(STAMP_PIP) $(STAMP_NPM) $(if $(PO_FILES),$(STAMP_MO))

$(STAMP_VENV):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "civicgrid needs Python 3.11, $(PYTHON) is " + sys.version.split()[0] + " (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	@touch $@

$(STAMP_PIP): requirements.lock pyproject.toml $(STAMP_VENV)
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	$(BIN)/pip check
	@touch $@

$(STAMP_NPM): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 20 (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(STAMP_MO): $(PO_FILES) $(STAMP_PIP) $(MO_FORCE)
	@scripts/system-packages.sh gettext
	$(BIN)/civicgrid compilemessages --ignore '.*' --ignore node_modules --ignore var
	@touch $@

FORCE:

demo: install
	@mkdir -p "$(CIVICGRID_DATA_DIR)/static"  # STATIC_ROOT; WhiteNoise warns when it is missing
	$(BIN)/civicgrid migrate --no-input
	$(BIN)/civicgrid demo
	PORT=$(PORT) $(BIN)/civicgrid serve

test:
	@scripts/system-packages.sh gettext postgresql chromium fonts-noto-cjk
	@$(MAKE) install
	scripts/test.sh $(PYTEST_ARGS)

bench: install
	@if [ -f benchmarks/__main__.py ]; then $(BIN)/python -m benchmarks $(BENCH_ARGS); \
	elif [ -f benchmarks/run.py ]; then $(BIN)/python benchmarks/run.py $(BENCH_ARGS); \
	else echo "no benchmarks yet (benchmarks/__main__.py or benchmarks/run.py)" >&2; exit 1; fi

lint: $(STAMP_PIP)
	$(BIN)/ruff check $(wildcard civicgrid tests benchmarks)

# A fresh venv with pyproject's runtime + dev dependencies at their newest allowed versions;
# its `pip freeze` (minus civicgrid itself) becomes requirements.lock.
lock:
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PYTHON) -m venv "$$tmp/venv" && \
	"$$tmp/venv/bin/pip" install -q '.[dev]' && \
	{ echo "# Pinned runtime + dev dependencies of civicgrid (pyproject.toml). Regenerate: make lock"; \
	  "$$tmp/venv/bin/pip" freeze | grep -viE '^(civicgrid|-e |# Editable)'; } > requirements.lock.new && \
	mv requirements.lock.new requirements.lock
	@echo "requirements.lock updated; 'make install' applies it"

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache .hypothesis *.egg-info build
	find civicgrid tests benchmarks -name __pycache__ -type d -prune -exec rm -rf {} + 2>/dev/null || true
	find $(LOCALE_DIR) -name '*.mo' -delete 2>/dev/null || true
