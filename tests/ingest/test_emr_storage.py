"""How EMR rows are stored: zstd for the high-entropy strings, and the migration that set it.

Expected values are written here by hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from importlib import resources
from pathlib import Path

import duckdb

from claimflow.warehouse.connection import open_warehouse
from tests.conftest import HEADER_ALPHA, Workspace


def _ddl(conn: duckdb.DuckDBPyConnection, table: str) -> str:
    row = conn.execute("SELECT sql FROM duckdb_tables() WHERE table_name = ?", [table]).fetchone()
    assert row is not None
    return str(row[0])


def _warehouse_at(path: Path, last: int) -> duckdb.DuckDBPyConnection:
    """A warehouse as a claimflow that shipped migrations 1..``last`` left it."""
    folder = resources.files("claimflow.warehouse") / "migrations"
    conn = duckdb.connect(str(path))
    conn.execute("CREATE TABLE schema_migrations (version INTEGER, name VARCHAR,"
                 " applied_at TIMESTAMP DEFAULT current_timestamp)")  # fmt: skip
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))
    for name in names[:last]:
        conn.execute((folder / name).read_text(encoding="utf-8"))
        conn.execute(
            "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [int(name[:4]), name]
        )
    return conn


def test_migration_0003_keeps_every_row_and_stores_hashes_with_zstd(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    conn = _warehouse_at(path, 2)
    bronze = ("f1", "alpha", 1, None, '{"claim_id":"C1"}', "ab" * 32, "loaded", "r1")
    conn.execute("INSERT INTO bronze_emr_rows VALUES (?, ?, ?, ?, ?, ?, ?, ?)", list(bronze))
    logged = dt.datetime(2025, 7, 30, 12, 0, 0)
    log_row = ("r1", logged, "k1", "C1", "alpha", "non_retryable", "non_retryable", "bundling",
               "bundling", "appeal", 0.85, "Bundled", "ab" * 32, None, "Appeal")  # fmt: skip
    conn.execute("INSERT INTO rejection_log VALUES (" + ", ".join("?" * 15) + ")", list(log_row))
    conn.close()

    conn = open_warehouse(path)
    try:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations").fetchall()]
        assert 3 in versions and max(versions) >= 3  # 0003 applied (and any later ones)
        assert conn.execute("SELECT * FROM bronze_emr_rows").fetchall() == [bronze]
        assert conn.execute("SELECT * FROM rejection_log").fetchall() == [log_row]
        # since migration 0005 bronze's records are stored in bronze_emr_raw
        bronze_ddl, log_ddl = _ddl(conn, "bronze_emr_raw"), _ddl(conn, "rejection_log")
    finally:
        conn.close()
    assert "raw_record VARCHAR USING COMPRESSION ZSTD" in bronze_ddl
    assert "lineage_hash VARCHAR USING COMPRESSION ZSTD" in bronze_ddl
    assert "disposition VARCHAR," in bronze_ddl  # low-entropy columns keep the default
    for column in ("claim_id", "patient_control_number", "lineage_hash"):
        assert f"{column} VARCHAR USING COMPRESSION ZSTD" in log_ddl
    assert "reason VARCHAR," in log_ddl


def test_migration_0005_derives_bronze_hashes_and_keeps_every_row(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    conn = _warehouse_at(path, 4)
    record = '{"claim_id":"C1"}'
    derived = hashlib.sha256(f"f1:1:{record}".encode()).hexdigest()
    line_hash = hashlib.sha256(b"f1:line:3:C2,P2").hexdigest()
    rows = [
        ("f1", "alpha", 1, None, record, derived, "loaded", "r1"),
        ("f1", "alpha", None, 3, '"C2,P2"', line_hash, "quarantined", "r1"),
        ("f1", "alpha", 2, None, record, "cd" * 32, "duplicate", "r1"),  # not its derived hash
    ]
    for row in rows:
        conn.execute("INSERT INTO bronze_emr_rows VALUES (?, ?, ?, ?, ?, ?, ?, ?)", list(row))
    conn.close()

    conn = open_warehouse(path)
    try:
        assert conn.execute("SELECT * FROM bronze_emr_rows").fetchall() == rows
        stored = conn.execute("SELECT lineage_hash FROM bronze_emr_raw").fetchall()
        kind = conn.execute(
            "SELECT table_type FROM information_schema.tables WHERE table_name = 'bronze_emr_rows'"
        ).fetchone()
    finally:
        conn.close()
    # a hash that is the row's function is derived, not stored; any other is kept
    assert stored == [(None,), (line_hash,), ("cd" * 32,)]
    assert kind == ("VIEW",)


def test_an_emr_part_stores_its_ids_and_hash_with_zstd(workspace: Workspace) -> None:
    ws = workspace
    ws.put("a.csv", HEADER_ALPHA + "C1,P1,99213,Missing modifier,2025-07-01,denied\n")
    ws.write_config([ws.alpha_source()])
    assert ws.run().exit_code == 0
    conn = duckdb.connect(str(ws.warehouse), read_only=True)
    try:
        ddl = _ddl(conn, "claims_header__part__emr_alpha")
        used = dict(
            conn.execute(
                "SELECT column_name, any_value(compression) FROM"
                " pragma_storage_info('claims_header__part__emr_alpha')"
                " WHERE segment_type = 'VARCHAR' GROUP BY 1"
            ).fetchall()
        )
    finally:
        conn.close()
    for column in ("claim_id", "patient_control_number", "member_id", "lineage_hash"):
        assert f"{column} VARCHAR USING COMPRESSION ZSTD" in ddl
    assert "denial_reason VARCHAR," in ddl
    assert used["lineage_hash"] == "ZSTD"
