"""A claim's lifecycle, as the API serves it: :mod:`claimflow.marts.lifecycle` (the one query,
which ``claimflow claim`` reads too)."""

from __future__ import annotations

from claimflow.marts.lifecycle import SECTIONS, claim_lifecycle

__all__ = ["SECTIONS", "claim_lifecycle"]
