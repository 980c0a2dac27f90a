"""The web dashboard (Streamlit): ``claimflow dashboard`` starts ``app.py``."""

from __future__ import annotations

PAGES: tuple[str, ...] = (
    "Overview",
    "Denials",
    "Worklist",
    "Rejection log",
    "SLA alerts",
    "Payers",
    "Cash forecast",
    "Reconciliation",
    "Data quality",
    "Runs",
)
"""The dashboard's pages, in sidebar order."""
