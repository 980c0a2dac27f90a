"""The sidebar filters: submission dates, payer, source system and billing provider.

They are drawn by the entry script before the page runs, so they stay as chosen from page to
page, and apply to every figure and to every row listed behind one. A payer is offered by its
name and id (``ACME HEALTH (P1)``) and chosen by its id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb
import streamlit as st

from claimflow import display
from claimflow.marts.kpis import default_window

ALL = "(all)"
"""The choice that filters nothing."""


@dataclass(frozen=True)
class Filters:
    """The viewer's choice: a window of submission dates, and a payer, source system and
    billing provider (``None``: all); ``narrowed`` when anything is left out."""

    start: dt.date
    end: dt.date
    payer: str | None = None
    source: str | None = None
    provider: str | None = None
    narrowed: bool = False

    def cohort(self) -> dict[str, Any]:
        """The filters as :func:`~claimflow.marts.kpis.compute_kpis` and
        :func:`~claimflow.marts.reports.prepare` take them."""
        return {
            "start": self.start,
            "end": self.end,
            "payer": self.payer,
            "source": self.source,
            "provider": self.provider,
        }


@st.cache_data(max_entries=16, show_spinner=False)
def choices(
    _conn: duckdb.DuckDBPyConnection, path: str, stamp: tuple[str, int]
) -> tuple[dt.date, dt.date, list[str], list[str], list[str]]:
    """The filters' bounds and choices: the default window of every surface (the first
    submission date to the default as-of date, :func:`claimflow.marts.kpis.default_window`),
    payers, sources, billing NPIs."""
    del path, stamp  # the cache key only
    bounds = default_window(_conn)
    low, high = bounds or (dt.date.today() - dt.timedelta(days=365), dt.date.today())

    def distinct(column: str, limit: str = "") -> list[str]:
        return [
            str(r[0])
            for r in _conn.execute(
                f"SELECT DISTINCT {column} FROM claims_header WHERE {column} IS NOT NULL"
                f" ORDER BY 1 {limit}"
            ).fetchall()
        ]

    return (
        low,
        high,
        distinct("payer_id"),
        distinct("source_system"),
        distinct("billing_npi", "LIMIT 500"),
    )


def sidebar(conn: duckdb.DuckDBPyConnection, path: str, stamp: tuple[str, int]) -> Filters:
    """Draw the filters in the sidebar; the viewer's choice."""
    low, high, payers, sources, providers = choices(conn, path, stamp)
    st.sidebar.header("Filters")
    window = st.sidebar.date_input(
        "Submitted between",
        (low, high),
        help="Claims submitted in these days; A/R is as of the last (by default the latest"
        " submission or 835 payment date, as `claimflow kpi` and the API).",
    )
    start, end = (
        (window[0], window[-1]) if isinstance(window, tuple | list) and window else (low, high)
    )
    # data imports this module (the filters make a view): its payer names only once drawing
    from claimflow.dashboard.data import payer_names
    from claimflow.dashboard.format import payer as payer_text
    from claimflow.dashboard.format import remember_payers

    named = payer_names(conn, path, stamp)
    remember_payers(named)  # every table of the page names its payers
    payer = st.sidebar.selectbox(
        display.label("payer_name"),
        [ALL, *payers],
        format_func=lambda p: p if p == ALL else payer_text(p, named),
    )
    source = st.sidebar.selectbox(display.label("source_system"), [ALL, *sources])
    provider = st.sidebar.selectbox(display.label("billing_npi"), [ALL, *providers])
    payer_id, source_system, npi = (None if c == ALL else c for c in (payer, source, provider))
    return Filters(
        start,
        end,
        payer_id,
        source_system,
        npi,
        narrowed=(start, end) != (low, high) or any((payer_id, source_system, npi)),
    )


def of_filtered_claims(f: Filters, column: str = "claim_id") -> tuple[str, list[Any]]:
    """SQL condition (and its parameters): ``column`` is a claim the filters keep. Nothing is
    left out while no filter is narrowed (rows of claims without a submission date included)."""
    if not f.narrowed:
        return "true", []
    return (
        f"{column} IN (SELECT claim_id FROM claims_header WHERE submission_date BETWEEN ? AND ?"
        " AND (? IS NULL OR payer_id = ?) AND (? IS NULL OR source_system = ?)"
        " AND (? IS NULL OR billing_npi = ?))",
        [f.start, f.end, f.payer, f.payer, f.source, f.source, f.provider, f.provider],
    )
