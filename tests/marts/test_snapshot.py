"""The default view a run stores equals what the dashboard would compute live, and is used only
while it belongs to the latest run and the filters are its own."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from claimflow.config import load_settings
from claimflow.marts import snapshot
from claimflow.marts.kpis import compute_kpis
from claimflow.marts.reports import REPORTS, prepare, run_report
from claimflow.pipeline import run
from claimflow.synth import generate_world


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("snapshot_world")
    summary = generate_world(
        root / "inbox", claims=300, seed=11, start=dt.date(2025, 1, 1), months=3, workers=1
    )
    run(
        load_settings(summary.config),
        warehouse=root / "claimflow.duckdb",
        out_dir=root / "out",
        reference_date=dt.date(2025, 6, 30),
    )
    return root / "claimflow.duckdb"


def _window(conn: duckdb.DuckDBPyConnection) -> tuple[dt.date, dt.date]:
    """The default window: the first submission to the latest submission or 835 payment."""
    low = conn.execute("SELECT min(submission_date) FROM claims_header").fetchone()
    high = conn.execute(
        "SELECT max(d) FROM (SELECT submission_date AS d FROM claims_header"
        " UNION ALL SELECT payment_date FROM payments)"
    ).fetchone()
    assert low and high and low[0] is not None and high[0] is not None
    return low[0], high[0]


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and float(a) == pytest.approx(float(b))  # type: ignore[arg-type]
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def test_a_run_stores_the_default_view_as_computed_live(warehouse: Path) -> None:
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        start, end = _window(conn)
        assert snapshot.usable(conn, start=start, end=end)
        live = compute_kpis(conn, start=start, end=end)
        stored = snapshot.kpis(conn)
        assert isinstance(live["claims_submitted"], int) and live["claims_submitted"] > 0
        assert live.keys() == stored.keys()
        assert all(_same(live[k], stored[k]) for k in live), [
            k for k in live if not _same(live[k], stored[k])
        ]
        prepare(conn, start=start, end=end)
        cohort = conn.execute("SELECT * FROM kpi_claims ORDER BY claim_id").fetchall()
        for name in snapshot.STORED:
            prepare(conn, start=start, end=end)
            stored_rows, live_rows = snapshot.report(conn, name), run_report(conn, name)
            assert len(stored_rows) == len(live_rows), name
            # floats are summed in parallel: equal to the last few bits
            assert all(_same(a, b) for a, b in zip(stored_rows, live_rows, strict=True)), name
        snapshot.use_cohort(conn)
        assert conn.execute("SELECT * FROM kpi_claims ORDER BY claim_id").fetchall() == cohort
        prepare(conn, start=start, end=end)  # a live cohort replaces the stored one's view
        assert conn.execute("SELECT * FROM kpi_claims ORDER BY claim_id").fetchall() == cohort
        # money keeps its type through the stored tables
        rows = snapshot.report(conn, "denials_by_category")
        assert rows and all(isinstance(r["denied_amount"], Decimal) for r in rows)
        assert set(snapshot.STORED) == set(REPORTS) - {"run_history"}
    finally:
        conn.close()


def test_other_filters_or_a_later_run_are_computed_live(warehouse: Path, tmp_path: Path) -> None:
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        start, end = _window(conn)
        assert not snapshot.usable(conn, start=start, end=end - dt.timedelta(days=1))
        assert not snapshot.usable(conn, start=start, end=end, payer="P1")
        assert not snapshot.usable(conn, start=start, end=end, source="alpha")
        assert not snapshot.usable(conn, start=start, end=end, provider="1234567893")
    finally:
        conn.close()
    # a run that started later (and died before storing its view) makes the snapshot stale
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(warehouse, copy)
    conn = duckdb.connect(str(copy))
    try:
        conn.execute(
            "INSERT INTO runs (run_id, started_at, status) VALUES ('later', now()::TIMESTAMP"
            " + INTERVAL 1 DAY, 'running')"
        )
        assert not snapshot.usable(conn, start=start, end=end)
    finally:
        conn.close()


def test_a_warehouse_without_snapshot_is_computed_live(tmp_path: Path) -> None:
    from claimflow.warehouse.connection import open_warehouse

    conn = open_warehouse(tmp_path / "empty.duckdb")
    try:
        assert not snapshot.usable(conn, start=dt.date(2025, 1, 1), end=dt.date(2025, 2, 1))
    finally:
        conn.close()


def test_a_stored_cohort_must_hold_every_claim(warehouse: Path, tmp_path: Path) -> None:
    # the stored cohort is every claim, so a window that leaves claims out cannot be stored
    copy = tmp_path / "copy.duckdb"
    shutil.copy(warehouse, copy)
    conn = duckdb.connect(str(copy))
    try:
        start, end = _window(conn)
        with pytest.raises(ValueError, match="every date"):
            compute_kpis(conn, start=start + dt.timedelta(days=1), end=end, keep="kept")
        assert conn.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'kept'"
        ).fetchone() == (0,)
        assert (
            compute_kpis(conn, start=start, end=end, keep="kept")["claims_submitted"]
            == (compute_kpis(conn, start=start, end=end)["claims_submitted"])
        )
    finally:
        conn.close()


def test_an_emr_only_run_rebuilds_its_cohort_when_a_page_needs_it(tmp_path: Path) -> None:
    # without acknowledgments or remittances the cohort is a projection of the claims: the run
    # does not store it, and the dashboard's stored view builds the same rows when asked
    repo = Path(__file__).resolve().parents[2]
    warehouse = tmp_path / "emr.duckdb"
    run(
        load_settings(repo / "configs" / "seed.yaml"),
        warehouse=warehouse,
        out_dir=tmp_path / "out",
        reference_date=dt.date(2025, 7, 30),
    )
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        start, end = _window(conn)
        assert snapshot.usable(conn, start=start, end=end)
        assert conn.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'mart_snapshot__cohort'"
        ).fetchone() == (0,)
        claims = conn.execute(
            "SELECT claim_id, source_system, submission_date FROM claims_header ORDER BY claim_id"
        ).fetchall()
        assert len(claims) > 1
        snapshot.use_cohort(conn)
        stored_view = conn.execute("SELECT * FROM kpi_claims ORDER BY claim_id").fetchall()
        window = conn.execute("SELECT * FROM kpi_window").fetchall()
        assert [(r[0], r[2], r[5]) for r in stored_view] == claims
        prepare(conn, start=start, end=end)
        assert conn.execute("SELECT * FROM kpi_claims ORDER BY claim_id").fetchall() == stored_view
        assert conn.execute("SELECT * FROM kpi_window").fetchall() == window
        live = compute_kpis(conn, start=start, end=end)
        assert all(_same(live[k], v) for k, v in snapshot.kpis(conn).items())
    finally:
        conn.close()
