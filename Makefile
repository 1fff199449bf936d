# Makers incubator. `make` alone lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help venv demo test test-sqlite test-postgres check lint typecheck imports fmt translations clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed (found: $$($(PYTHON) --version))"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(INSTALLED) ## Create .venv and install the project with its dev tools

demo: $(INSTALLED) ## Run the whole system with demo data (prints the URL and logins)
	$(BIN)/incubator demo

test: $(INSTALLED) ## Run the whole test suite (SQLite, then PostgreSQL), starting what it needs
	bash tests/run_suite.sh

check: $(INSTALLED) lint typecheck imports test ## Lint, format check, types, import contracts, tests

lint: $(INSTALLED) ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(INSTALLED) ## mypy
	$(BIN)/mypy

imports: $(INSTALLED) ## The architecture's import rules (import-linter)
	$(BIN)/lint-imports

fmt: $(INSTALLED) ## Format and auto-fix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

translations: $(INSTALLED) ## Extract strings, update and compile the nl/en catalogues
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -o app/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d app/translations --statistics

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
