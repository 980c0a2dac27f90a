"""The dashboard's default view, computed once per run: KPIs, every report and the cohort.

The warehouse changes only when a run writes it, and most people open the dashboard on its
default filters (every submission date, every payer, provider and source). At the end of each
run the pipeline computes that view with the very functions the dashboard calls —
:func:`compute_kpis`, :func:`prepare` and every query of :data:`REPORTS` — and stores the
results in ``mart_snapshot*`` tables. The dashboard then reads the stored rows instead of
recomputing them, as long as the snapshot belongs to the latest run; any other filter, or a
snapshot older than the latest run, is computed live. On a 1,000,000-claim warehouse this is
the difference between seconds and tens of seconds per page (docs/benchmarks.md).

The claim cohort behind the figures (what a page lists when a figure's rows are chosen) is
stored too when claims have acknowledgments or remittances: building it then joins them and
takes seconds. Without any, it is a projection of ``claims_header`` that takes less time to
build than to store (1,000,000 EMR claims: 0.2-0.4 s built, 0.6-1.4 s stored, 5,000,000:
3.6 s stored), so it is rebuilt when a page first needs it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from claimflow.marts.kpis import (
    WINDOW_TABLE,
    build_cohort,
    cohort_view,
    compute_kpis,
    kpis_from_json,
    kpis_json,
)
from claimflow.marts.kpis import default_window as kpis_default_window
from claimflow.marts.reports import REPORTS
from claimflow.warehouse.sql import execute, fetch_dicts

META = "mart_snapshot"
COHORT = "mart_snapshot__cohort"
STORED = tuple(name for name in REPORTS if name != "run_history")
"""The reports stored (the run history changes as the run ends: it is always read live)."""


def report_table(name: str) -> str:
    """The table holding report ``name`` of the snapshot."""
    return f"mart_snapshot__{name}"


def default_window(conn: duckdb.DuckDBPyConnection) -> tuple[dt.date, dt.date] | None:
    """The default window of every surface (:func:`claimflow.marts.kpis.default_window`: the
    first submission date to the default as-of date), or None."""
    return kpis_default_window(conn)


def build_snapshot(conn: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Compute the default view and store it, tagged with ``run_id``.

    The caller owns the transaction: a run builds it in the commit that records its decisions,
    so the view always agrees with them.
    """
    window = default_window(conn)
    conn.execute(f"DROP TABLE IF EXISTS {META}")
    if window is None:
        return
    start, end = window
    # compute_kpis builds the cohort once (stored when worth it) and leaves kpi_claims (a view
    # of it) and kpi_window as prepare() would make them for this window: the reports read
    # those (building the cohort twice cost seconds)
    store = _outcomes_joined(conn)
    kpis = compute_kpis(conn, start=start, end=end, keep=COHORT if store else None, whole=True)
    if not store:
        conn.execute(f"DROP TABLE IF EXISTS {COHORT}")
    for name in STORED:
        conn.execute(f"CREATE OR REPLACE TABLE {report_table(name)} AS {REPORTS[name]}")
    conn.execute(
        f"CREATE TABLE {META} AS SELECT CAST(? AS VARCHAR) AS run_id,"
        " CAST(? AS DATE) AS start_date, CAST(? AS DATE) AS end_date,"
        " CAST(? AS VARCHAR) AS kpis",
        [run_id, start, end, kpis_json(kpis)],
    )


def _outcomes_joined(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether the cohort joins acknowledgments or remittances to claims (and is worth storing)."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM claim_match) OR EXISTS (SELECT 1 FROM adjudication)"
    ).fetchone()
    return bool(row and row[0])


def usable(
    conn: duckdb.DuckDBPyConnection,
    *,
    start: dt.date,
    end: dt.date,
    payer: str | None = None,
    source: str | None = None,
    provider: str | None = None,
) -> bool:
    """True when the stored snapshot answers these filters: it is the latest run's, and the
    filters are its own (the whole window, no payer, source or provider)."""
    if payer or source or provider:
        return False
    try:
        row = conn.execute(
            f"SELECT s.start_date, s.end_date, s.run_id = (SELECT run_id FROM runs"
            f" ORDER BY started_at DESC, run_id DESC LIMIT 1) FROM {META} AS s"
        ).fetchone()
    except duckdb.CatalogException:
        return False
    if row is None:
        return False
    return bool(row[0] == start and row[1] == end and row[2])


def kpis(conn: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """The stored KPIs (check :func:`usable` first)."""
    row = conn.execute(f"SELECT kpis FROM {META}").fetchone()
    assert row is not None
    return kpis_from_json(row[0])


def use_cohort(conn: duckdb.DuckDBPyConnection) -> None:
    """Make ``kpi_claims`` and ``kpi_window`` the snapshot's cohort, as :func:`prepare` would:
    a view of the stored cohort, or, when the run did not store it, the cohort built now."""
    row = conn.execute(f"SELECT start_date, end_date FROM {META}").fetchone()
    assert row is not None
    stored = conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE NOT temporary AND table_name = ?", [COHORT]
    ).fetchone() != (0,)
    if not stored:
        build_cohort(conn, start=row[0], end=row[1])
        return
    cohort_view(conn, COHORT)  # a view, not a copy: a page reads a few rows of it
    params = {"from": row[0], "to": row[1], "payer": None, "source": None, "provider": None}
    execute(conn, WINDOW_TABLE, params)


def report(conn: duckdb.DuckDBPyConnection, name: str) -> list[dict[str, Any]]:
    """The stored rows of report ``name`` (check :func:`usable` first)."""
    return fetch_dicts(conn, f"SELECT * FROM {report_table(name)} ORDER BY rowid")
