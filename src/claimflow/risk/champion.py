"""Whether there is a champion to score with, answered without loading the model's libraries."""

from __future__ import annotations

import duckdb

NO_CHAMPION = (
    "no champion model yet: train one (`claimflow risk train`) and promote it"
    " (`claimflow risk promote VERSION`)"
)


def has_champion(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether a version of ``risk_models`` is the champion."""
    row = conn.execute("SELECT count(*) FROM risk_models WHERE status = 'champion'").fetchone()
    return bool(row and row[0])
