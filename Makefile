# claimflow: `make demo` runs the main job, `make test` runs the whole suite.
# Both create .venv on first use (Python 3.11 and the package registries only).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	@$(BIN)/claimflow run --config configs/seed.yaml --reference-date 2025-07-30 --out out/demo; \
	  code=$$?; [ $$code -eq 0 ] || [ $$code -eq 3 ] || exit $$code
	@echo "Trace any row back to its file: $(BIN)/claimflow lineage <lineage_hash> (hashes are in the candidates file)"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/emr_pipeline.py

clean:
	rm -rf $(VENV) warehouse out .pytest_cache .mypy_cache .ruff_cache
