# claimflow: `make demo` runs the main job, `make test` runs the whole suite.
# Both create .venv on first use (Python 3.11 and the package registries only).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo seed-demo test lint typecheck chromium bench clean

$(STAMP): pyproject.toml setup.py src/claimflow/x12/_native.c src/claimflow/warehouse/_lineage_hash.c \
          src/claimflow/native/sha256.h
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

DEMO := out/demo

demo: $(STAMP)
	@$(BIN)/claimflow synth --claims 10000 --seed 7 --start 2025-01-01 --months 6 --out $(DEMO)/inbox
	@$(BIN)/claimflow run --config $(DEMO)/inbox/claimflow.yaml --reference-date 2025-08-15 \
	  --warehouse $(DEMO)/claimflow.duckdb --out $(DEMO); \
	  code=$$?; [ $$code -eq 0 ] || [ $$code -eq 3 ] || exit $$code
	@$(BIN)/claimflow kpi --warehouse $(DEMO)/claimflow.duckdb --from 2025-01-01 --to 2025-08-15
	@$(BIN)/claimflow report denials_by_category --warehouse $(DEMO)/claimflow.duckdb --to 2025-08-15
	@echo
	@echo "Quarantined rows are the mess planted on purpose (see $(DEMO)/inbox/truth/)."
	@if [ -f $(DEMO)/corrected_claims.x12 ]; then echo "Corrected claims:  $(DEMO)/corrected_claims.x12"; \
	  else echo "Corrected claims:  none new this run (a claim is resubmitted once; see outbound_interchanges)"; fi
	@echo "Worklist:          $(BIN)/claimflow worklist --warehouse $(DEMO)/claimflow.duckdb"
	@echo "Trace a row:       $(BIN)/claimflow lineage <lineage_hash> --warehouse $(DEMO)/claimflow.duckdb"
	@echo "Open the dashboard: $(BIN)/claimflow dashboard --warehouse $(DEMO)/claimflow.duckdb"

seed-demo: $(STAMP)
	@$(BIN)/claimflow run --config configs/seed.yaml --reference-date 2025-07-30 --out out/seed \
	  --warehouse out/seed/claimflow.duckdb

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Chromium (Debian package) for the dashboard browser test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck chromium
	$(BIN)/python -m pytest -q

# Every benchmark but the dashboard's (it needs a 1,000,000-claim warehouse and Chromium:
# docs/benchmarks.md); ≈ 10 min on an idle 2-core machine. x12_parse.py needs ../shared/tools.
bench: $(STAMP)
	$(BIN)/python benchmarks/emr_pipeline.py
	$(BIN)/python benchmarks/x12_parse.py
	$(BIN)/python benchmarks/synth.py
	$(BIN)/python benchmarks/denials_eval.py
	$(BIN)/python benchmarks/denials_world.py

clean:
	rm -rf $(VENV) warehouse out .pytest_cache .mypy_cache .ruff_cache
