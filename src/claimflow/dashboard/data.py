"""Reading the warehouse: one read-only connection per script run, the claim cohort built only
when a query needs it, results cached per warehouse × latest run × filters.

The default view (every date, no payer/source/provider filter) is read from the snapshot the
latest run stored (:mod:`claimflow.marts.snapshot`); any other filter is computed live. What a
page reads is cached in the server process (``st.cache_data``), so a page opened twice is not
computed twice. Every frame a page gets has patient identifiers masked (:mod:`.masking`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal

import duckdb
import pandas as pd
import streamlit as st

from claimflow.dashboard.filters import Filters
from claimflow.dashboard.masking import mask
from claimflow.marts import snapshot
from claimflow.marts.kpis import EARLIEST, LATEST, build_cohort, compute_kpis
from claimflow.marts.reports import REPORTS, prepare

WAREHOUSE_ENV = "CLAIMFLOW_WAREHOUSE"
DEFAULT_WAREHOUSE = "warehouse/claimflow.duckdb"

Scope = Literal["warehouse", "cohort", "all"]
"""What a query reads (see :meth:`View.need`): ``warehouse``, ``cohort`` or ``all``."""


@dataclass
class View:
    """One script run's read of the warehouse: its connection, the filters, whether the stored
    snapshot answers them, and which temporary tables (the cohort) are built on the connection."""

    conn: duckdb.DuckDBPyConnection
    path: str
    filters: Filters
    stored: bool
    stamp: tuple[str, int]
    ready: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[Any, ...]:
        """What the cached results depend on."""
        return (self.path, self.stamp, self.stored, *self.filters.cohort().values())

    def need(self, scope: Scope) -> None:
        """Build what a query of ``scope`` reads: ``warehouse`` (nothing), ``cohort``
        (``kpi_claims`` and ``kpi_window``), ``all`` (also ``kpi_claims_all``: every claim of
        the payer, provider and source filters, whatever its date, as the HFMA rate reads it)."""
        if scope == "warehouse" or scope in self.ready:
            return
        if "cohort" not in self.ready:
            if self.stored:
                snapshot.use_cohort(self.conn)
            else:
                prepare(self.conn, **self.filters.cohort())
            self.ready.add("cohort")
        if scope == "all":
            if self.stored:  # the stored cohort is every claim already (no filter, every date)
                self.conn.execute("CREATE OR REPLACE TEMP VIEW kpi_claims_all AS FROM kpi_claims")
            else:
                f = self.filters
                build_cohort(
                    self.conn,
                    start=EARLIEST,
                    end=LATEST,
                    table="kpi_claims_all",
                    payer=f.payer,
                    source=f.source,
                    provider=f.provider,
                )
            self.ready.add("all")


def warehouse_path() -> str:
    """The warehouse the server was started on."""
    return os.environ.get(WAREHOUSE_ENV, DEFAULT_WAREHOUSE)


def connect(path: str) -> duckdb.DuckDBPyConnection:
    """A read-only connection: the dashboard never blocks a run that writes."""
    return duckdb.connect(path, read_only=True)


def stamp(conn: duckdb.DuckDBPyConnection, path: str) -> tuple[str, int]:
    """The warehouse's version: its latest run and the file's modification time."""
    try:
        row = conn.execute(
            "SELECT run_id FROM runs ORDER BY started_at DESC, run_id DESC LIMIT 1"
        ).fetchone()
    except duckdb.CatalogException:
        row = None
    return (str(row[0]) if row else "", os.stat(path).st_mtime_ns if os.path.exists(path) else 0)


def frame_of(cursor: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The result as a DataFrame: money (DECIMAL) as floats, DATE columns as dates."""
    dates = [d[0] for d in cursor.description or () if str(d[1]) == "DATE"]
    frame: pd.DataFrame = cursor.df()
    for column in dates:
        frame[column] = frame[column].dt.date.where(frame[column].notna(), None)
    return frame


@st.cache_data(max_entries=512, show_spinner=False)
def _cached(
    _view: View, key: tuple[Any, ...], sql: str, params: tuple[Any, ...], scope: Scope
) -> pd.DataFrame:
    del key  # part of the cache key only
    _view.need(scope)
    return frame_of(_view.conn.execute(sql, list(params)))


def query(
    view: View, sql: str, params: tuple[Any, ...] = (), scope: Scope = "cohort"
) -> pd.DataFrame:
    """Rows of ``sql`` (cached), patient identifiers masked."""
    return mask(_cached(view, view.key, sql, params, scope))


def report(view: View, name: str) -> pd.DataFrame:
    """Named report ``name``: the snapshot's rows when it answers the filters, else live."""
    scope: Scope
    if view.stored and name in snapshot.STORED:
        sql, scope = f"SELECT * FROM {snapshot.report_table(name)} ORDER BY rowid", "warehouse"
    else:
        sql = REPORTS[name]
        scope = "warehouse" if name in ("quarantine_by_rule", "run_history") else "cohort"
    return query(view, sql, (), scope)


@st.cache_data(max_entries=64, show_spinner=False)
def _kpis(_view: View, key: tuple[Any, ...]) -> dict[str, object]:
    del key
    if _view.stored:
        return snapshot.kpis(_view.conn)
    kpis = compute_kpis(_view.conn, **_view.filters.cohort())
    _view.ready.update(("cohort", "all"))  # compute_kpis leaves kpi_claims(_all), kpi_window
    return kpis


def kpis(view: View) -> dict[str, object]:
    """The KPIs of the filters (cached)."""
    return _kpis(view, view.key)


def open_view(
    conn: duckdb.DuckDBPyConnection, path: str, version: tuple[str, int], filters: Filters
) -> View:
    """The script run's view of the warehouse (of ``version``: :func:`stamp`) for ``filters``:
    from the stored snapshot when it answers them."""
    return View(conn, path, filters, snapshot.usable(conn, **filters.cohort()), version)
