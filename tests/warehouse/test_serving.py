"""The serving snapshot: what a run publishes, and what readers read while a run writes.

Real runs (the pipeline), real DuckDB files; a writer is a real read-write connection to the
warehouse, which DuckDB refuses while any other connection holds the file.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from claimflow.config import load_settings
from claimflow.dashboard import data
from claimflow.pipeline import run
from claimflow.synth import generate_world
from claimflow.warehouse.serving import (
    Reader,
    open_for_reading,
    publish_if_stale,
    published_run,
    serving_path,
)
from tests.conftest import REPO

REFERENCE = dt.date(2025, 3, 20)


def _runs(warehouse: Path) -> list[str]:
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        return [
            str(r[0])
            for r in conn.execute("SELECT run_id FROM runs ORDER BY started_at").fetchall()
        ]
    finally:
        conn.close()


def _run(root: Path, day: dt.date = REFERENCE) -> None:
    run(
        load_settings(root / "inbox" / "claimflow.yaml"),
        warehouse=root / "claimflow.duckdb",
        out_dir=root / "out",
        reference_date=day,
    )


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("serving")
    generate_world(
        root / "inbox", claims=120, seed=3, start=dt.date(2025, 1, 1), months=2, workers=1
    )
    _run(root)
    return root


@pytest.fixture
def world(first_run: Path, tmp_path: Path) -> Path:
    """A warehouse after one run (a copy of its folder: inbox, warehouse, snapshot, outputs)."""
    shutil.copytree(first_run, tmp_path, dirs_exist_ok=True)
    return tmp_path


def _write_lock_free(warehouse: Path) -> None:
    """A writer opens the warehouse (and lets go): DuckDB refuses it while a reader holds it."""
    duckdb.connect(str(warehouse)).close()


def test_a_run_publishes_a_snapshot_of_what_it_committed(world: Path) -> None:
    warehouse = world / "claimflow.duckdb"
    published = serving_path(warehouse)
    assert published == world / "claimflow.serving.duckdb"
    assert published_run(warehouse) == _runs(warehouse)[-1]
    reader = duckdb.connect(str(published), read_only=True)
    writer = duckdb.connect(str(warehouse), read_only=True)
    try:
        for table in ("claims_header", "adjudication", "rejection_log", "runs", "mart_snapshot"):
            sql = f"SELECT count(*) FROM {table}"
            assert reader.execute(sql).fetchall() == writer.execute(sql).fetchall(), table
    finally:
        reader.close()
        writer.close()
    assert not list(world.glob(".claimflow.serving.duckdb.*"))  # no temporary file left


def test_readers_never_hold_the_warehouse(world: Path) -> None:
    warehouse = world / "claimflow.duckdb"
    cli_conn = open_for_reading(warehouse)  # what `claimflow kpi` and the others read
    dash_conn, version = data.reading(str(warehouse))  # the dashboard's script run
    reader = Reader(warehouse)  # the API's
    try:
        with reader.reading() as (snap, api_conn):
            _write_lock_free(warehouse)  # a run can start meanwhile
            assert snap.path == serving_path(warehouse)
            assert version[0] == snap.run_id == _runs(warehouse)[-1]
            for conn in (cli_conn, dash_conn, api_conn):
                (path,) = conn.execute(
                    "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
                ).fetchone() or ("",)
                assert Path(path) == serving_path(warehouse)
                assert conn.execute("SELECT count(*) FROM claims_header").fetchone() != (0,)
    finally:
        cli_conn.close()
        dash_conn.close()


def test_a_reader_keeps_its_snapshot_until_a_run_publishes_the_next(world: Path) -> None:
    warehouse = world / "claimflow.duckdb"
    reader = Reader(warehouse)
    with reader.reading() as (first, conn):
        _run(world, REFERENCE + dt.timedelta(days=1))  # publishes while a cursor is open
        # the open cursor reads the snapshot it began with
        assert conn.execute("SELECT count(*) FROM runs").fetchone() == (1,)
    with reader.reading() as (second, conn):
        assert second is not first
        assert second.run_id == _runs(warehouse)[-1] != first.run_id
        assert conn.execute("SELECT count(*) FROM runs").fetchone() == (2,)
    with reader.reading() as (third, _):
        assert third is second  # unchanged file: the same connection


def test_a_background_reader_serves_the_old_snapshot_until_the_new_one_is_ready(
    world: Path,
) -> None:
    warehouse = world / "claimflow.duckdb"
    prepared: list[str | None] = []
    reader = Reader(warehouse, prepare=lambda s: prepared.append(s.run_id), background=True)
    first = reader.snapshot()
    _run(world, REFERENCE + dt.timedelta(days=1))
    newest = _runs(warehouse)[-1]
    assert reader.snapshot() is first or reader.snapshot().run_id == newest  # never waits
    deadline = time.monotonic() + 60
    while reader.snapshot().run_id != newest:
        assert time.monotonic() < deadline, "the new snapshot was not swapped in"
        time.sleep(0.05)
    assert prepared[-1] == newest  # prepared before it was served


def test_a_run_stopped_before_publishing_is_published_by_the_next(world: Path) -> None:
    warehouse = world / "claimflow.duckdb"
    published = serving_path(warehouse)
    before = world / "before.duckdb"
    shutil.copyfile(published, before)
    _run(world, REFERENCE + dt.timedelta(days=1))
    committed = _runs(warehouse)[-1]
    # as if that run had been killed after its commit, before its publish (and mid-copy)
    shutil.copyfile(before, published)
    (world / ".claimflow.serving.duckdb.4242.tmp").write_bytes(b"")
    assert published_run(warehouse) != committed
    conn = duckdb.connect(str(warehouse))
    try:
        assert publish_if_stale(conn, warehouse)
        assert published_run(warehouse) == committed
        assert not publish_if_stale(conn, warehouse)  # up to date: no copy
    finally:
        conn.close()
    assert not (world / ".claimflow.serving.duckdb.4242.tmp").exists()


def test_a_warehouse_without_a_snapshot_is_read_itself_until_its_next_run(world: Path) -> None:
    warehouse = world / "claimflow.duckdb"
    serving_path(warehouse).unlink()  # a warehouse of an older claimflow
    reader = Reader(warehouse)
    with reader.reading() as (snap, conn):
        assert snap.version is None and snap.path == warehouse
        assert conn.execute("SELECT count(*) FROM runs").fetchone() == (1,)
    _write_lock_free(warehouse)  # let go after the read
    _run(world, REFERENCE + dt.timedelta(days=1))
    assert published_run(warehouse) == _runs(warehouse)[-1]
    with reader.reading() as (snap, _):
        assert snap.version is not None


def test_cli_reads_while_a_writer_holds_the_warehouse(world: Path) -> None:
    warehouse = world / "claimflow.duckdb"
    writer = duckdb.connect(str(warehouse))  # a run, as far as DuckDB's lock goes
    try:
        found = subprocess.run(
            [sys.executable, "-m", "claimflow", "kpi", "--warehouse", str(warehouse), "--json"],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=120,
            check=False,
        )
    finally:
        writer.close()
    assert found.returncode == 0, found.stderr
    assert '"claims_submitted"' in found.stdout
