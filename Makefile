# claimflow: `make demo` runs the main job, `make test` runs the whole suite.
# Both create .venv on first use (Python 3.11 and the package registries only).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo seed-demo test lint typecheck chromium tesseract bench clean

$(STAMP): pyproject.toml setup.py src/claimflow/x12/_native.c src/claimflow/warehouse/_lineage_hash.c \
          src/claimflow/native/sha256.h
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,appeals]'
	touch $(STAMP)

DEMO := out/demo
DEMO_WAREHOUSE := $(abspath $(DEMO))/claimflow.duckdb
# The demo's world: submissions 15 Feb – 14 Aug 2025, ending that day with remittances still
# arriving (--open-end); the run decides as of the next day.
DEMO_START := 2025-02-15
DEMO_AS_OF := 2025-08-15
DEMO_LAST := 2025-08-14
# Its closing lines: how many claims still await their 835 (from the world's truth), and a real
# lineage hash (a denied claim's 835 line, from the warehouse) for `claimflow lineage`
DEMO_AWAITING = $(BIN)/python -c "import json, sys; print(f\"{json.load(open(sys.argv[1]))['counts'].get('awaiting_835', 0):,}\")" $(DEMO)/inbox/truth/summary.json
DEMO_HASH = $(BIN)/python -c "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); print(c.execute(\"SELECT min(lineage_hash) FROM adjudication WHERE claim_status_code = '4'\").fetchone()[0])" $(DEMO_WAREHOUSE)

demo: $(STAMP)
	@rm -rf $(DEMO)  # each demo starts afresh: an earlier demo's champion model would outrank the new one
	@$(BIN)/claimflow synth --claims 10000 --seed 7 --start $(DEMO_START) --months 6 --open-end \
	  --out $(DEMO)/inbox
	@$(BIN)/claimflow run --config $(DEMO)/inbox/claimflow.yaml --reference-date $(DEMO_AS_OF) \
	  --warehouse $(DEMO_WAREHOUSE) --out $(DEMO); \
	  code=$$?; [ $$code -eq 0 ] || [ $$code -eq 3 ] || exit $$code
	@$(BIN)/claimflow risk train --warehouse $(DEMO_WAREHOUSE) --json > $(DEMO)/risk_model.json
	@$(BIN)/claimflow risk promote $$($(BIN)/python -c "import json, sys; print(json.load(open(sys.argv[1]))['model_version'])" $(DEMO)/risk_model.json) \
	  --warehouse $(DEMO_WAREHOUSE)
	@$(BIN)/claimflow risk score --warehouse $(DEMO_WAREHOUSE)
	@$(BIN)/claimflow kpi --warehouse $(DEMO_WAREHOUSE)
	@$(BIN)/claimflow report denials_by_category --warehouse $(DEMO_WAREHOUSE) --to $(DEMO_AS_OF)
	@echo
	@echo "Quarantined rows are the mess planted on purpose (see $(DEMO)/inbox/truth/)."
	@echo "The world ends on $(DEMO_LAST) with $$($(DEMO_AWAITING)) claims still awaiting their 835:"
	@echo "the cash forecast expects their payments."
	@if [ -f $(DEMO)/corrected_claims.x12 ]; then echo "Corrected claims:   $(DEMO)/corrected_claims.x12"; \
	  else echo "Corrected claims:   none new this run (a claim is resubmitted once; see outbound_interchanges)"; fi
	@echo
	@echo "Next, with the warehouse set once for this shell:"
	@echo "  export CLAIMFLOW_WAREHOUSE=$(DEMO_WAREHOUSE)"
	@echo "  $(BIN)/claimflow worklist                  # the open exceptions to work"
	@echo "  $(BIN)/claimflow risk list                 # the denial-risk model: test AUC, ECE, Brier"
	@echo "  $(BIN)/claimflow report cash_forecast      # the payments still to come, week by week"
	@echo "  $(BIN)/claimflow lineage $$($(DEMO_HASH))  # a denied claim's 835, back to its file"
	@echo "  $(BIN)/claimflow dashboard                 # every page in the browser"
	@echo "  $(BIN)/claimflow synth appeals --cases 6 --out $(DEMO)/appeals   # DRG appeal cases, then:"
	@echo "  $(BIN)/claimflow appeal prepare $(DEMO)/appeals/A* --draft $(DEMO)/drafts  # letters and reviews"

seed-demo: $(STAMP)
	@$(BIN)/claimflow run --config configs/seed.yaml --reference-date 2025-07-30 --out out/seed \
	  --warehouse out/seed/claimflow.duckdb

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Chromium (Debian package) for the dashboard browser test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

tesseract:
	@command -v tesseract >/dev/null 2>&1 || { \
	  echo "installing Tesseract (Debian package tesseract-ocr) to read scanned denial letters"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr >/dev/null; }

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck chromium tesseract
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
