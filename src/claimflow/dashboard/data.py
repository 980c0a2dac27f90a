"""Reading the warehouse: the snapshot the last run published (:mod:`claimflow.warehouse.serving`),
kept open by the server process, a cursor of its own per script run; the claim cohort built only
when a query needs it, results cached per warehouse × snapshot × filters. The dashboard never
opens the warehouse a run writes (before a run has published a snapshot, the warehouse itself,
read-only, for one script run).

The default view (every date, no payer/source/provider filter) is read from the snapshot the
latest run stored (:mod:`claimflow.marts.snapshot`); any other filter is computed live. What a
page reads is cached in the server process (``st.cache_data``), so a page opened twice is not
computed twice. Every frame a page gets has patient identifiers masked (:mod:`.masking`).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd
import streamlit as st

from claimflow.dashboard.filters import Filters
from claimflow.dashboard.masking import mask
from claimflow.marts import snapshot
from claimflow.marts.kpis import EARLIEST, LATEST, build_cohort, compute_kpis
from claimflow.marts.reports import REPORTS, prepare
from claimflow.warehouse.serving import Reader

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


_READERS: dict[str, Reader] = {}
_READERS_LOCK = threading.Lock()


def _reader(path: str) -> Reader:
    """The server process's reader of ``path`` (one, kept open across script runs)."""
    with _READERS_LOCK:
        found = _READERS.get(path)
        if found is None:
            found = _READERS[path] = Reader(Path(path))
        return found


def reading(path: str) -> tuple[duckdb.DuckDBPyConnection, tuple[str, int]]:
    """A read-only connection of its own (close it when done) to what the last run published,
    and its version: the snapshot's latest run and when it was published (the warehouse's
    latest run and modification time, when no snapshot is published yet)."""
    snap = _reader(path).snapshot()
    if snap.version is not None:
        return snap.cursor(), (snap.run_id or "", snap.published_at_ns)
    return snap.conn, (snap.run_id or "", os.stat(path).st_mtime_ns)


def connect(path: str) -> duckdb.DuckDBPyConnection:
    """A read-only connection of its own (close it when done) to what the last run published:
    the dashboard never blocks a run that writes."""
    return reading(path)[0]


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


PAYER_NAMES = """
    -- each payer's name: the one most of its claims carry (837 2010BB NM103), else the one its
    -- 835s carry (N1*PR); ties by name. A payer with neither has no name.
    SELECT payer_id, payer_name FROM (
        SELECT payer_id, payer_name, 1 AS source, count(*) AS n FROM claims_header
        WHERE payer_id IS NOT NULL AND payer_name IS NOT NULL GROUP BY 1, 2
        UNION ALL
        SELECT payer_id, payer_name, 2 AS source, count(*) AS n FROM payments
        WHERE payer_id IS NOT NULL AND payer_name IS NOT NULL GROUP BY 1, 2)
    QUALIFY row_number() OVER (PARTITION BY payer_id ORDER BY source, n DESC, payer_name) = 1"""


@st.cache_data(max_entries=16, show_spinner=False)
def _payer_names(
    _conn: duckdb.DuckDBPyConnection, path: str, stamp: tuple[str, int]
) -> dict[str, str]:
    del path, stamp  # the cache key only
    return {str(payer): str(name) for payer, name in _conn.execute(PAYER_NAMES).fetchall()}


def payer_names(
    conn: duckdb.DuckDBPyConnection, path: str, stamp: tuple[str, int]
) -> dict[str, str]:
    """Payer id → its name, for the payers that have one (cached per warehouse and snapshot)."""
    return _payer_names(conn, path, stamp)
