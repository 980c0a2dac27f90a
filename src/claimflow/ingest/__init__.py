"""Ingest: a staged or parsed file becomes bronze, silver and quarantine rows.

The stage after the adapters (:mod:`claimflow.sources`) and the expectations
(:mod:`claimflow.quality`): :mod:`claimflow.ingest.emr` types, checks and deduplicates a staged
EMR export; :mod:`claimflow.ingest.x12` places a spooled X12 parse by transaction set. Both
write through :mod:`claimflow.warehouse`, which knows nothing of the stages above it.

The submodules are imported on first use, so that an EMR run does not load the X12 engine.
"""
