"""The compiled lineage hash (a DuckDB extension) against Python's hashlib, and its fallback.

Expected values are computed here with hashlib, independently of DuckDB.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from claimflow.warehouse import native
from claimflow.warehouse.connection import open_warehouse

CASES = [
    ("f" * 64, row, raw)
    for row, raw in [
        (1, ""),
        (0, "x"),
        (-7, "négatif"),
        (9_223_372_036_854_775_807, "max"),
        (-9_223_372_036_854_775_808, "min"),
        (42, '{"claim_id":"C1","patient_id":"P1"}'),
        (3, "é" * 40),
        (5, "日本語のテキスト" * 30),
    ]
] + [("abc", n, "y" * n) for n in range(0, 200)]  # every length across the 64-byte blocks


def _expected(file_id: str, row: int, raw: str) -> str:
    return hashlib.sha256(f"{file_id}:{row}:{raw}".encode()).hexdigest()


def _hashes(conn: duckdb.DuckDBPyConnection) -> list[str | None]:
    conn.execute("CREATE OR REPLACE TEMP TABLE cases (f VARCHAR, r BIGINT, w VARCHAR, i INT)")
    conn.executemany(
        "INSERT INTO cases VALUES (?, ?, ?, ?)", [(*c, i) for i, c in enumerate(CASES)]
    )
    sql = native.lineage_hash_sql(conn, "f", "r", "w")
    return [row[0] for row in conn.execute(f"SELECT {sql} FROM cases ORDER BY i").fetchall()]


@pytest.mark.skipif(native.library() is None, reason="the extension was not built (no C compiler)")
def test_the_compiled_lineage_hash_is_sha256_of_file_row_and_raw(tmp_path: Path) -> None:
    conn = open_warehouse(tmp_path / "w.duckdb")
    try:
        assert native.has_function(conn)
        assert native.lineage_hash_sql(conn, "a", "b", "c").startswith(native.FUNCTION)
        assert _hashes(conn) == [_expected(*c) for c in CASES]
        nulls = conn.execute(
            f"SELECT {native.FUNCTION}(NULL, 1, 'x'), {native.FUNCTION}('f', NULL, 'x'),"
            f" {native.FUNCTION}('f', 1, NULL)"
        ).fetchone()
        assert nulls == (None, None, None)  # as sha256 of a concatenation with a NULL
    finally:
        conn.close()


def test_without_the_extension_the_hash_is_duckdbs_sha256_with_the_same_values() -> None:
    conn = duckdb.connect()  # unsigned extensions not allowed: it cannot be loaded here
    try:
        assert native.load(conn) is False
        assert not native.has_function(conn)
        assert native.lineage_hash_sql(conn, "a", "b", "c").startswith("sha256(")
        assert _hashes(conn) == [_expected(*c) for c in CASES]
    finally:
        conn.close()
