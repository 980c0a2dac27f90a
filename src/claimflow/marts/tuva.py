"""Export the Tuva Project's ``medical_claim`` input layer as Parquet."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import duckdb

from claimflow.atomic import atomic_path
from claimflow.warehouse.sql import sql_str

TUVA_FILE = "medical_claim.parquet"


def export_tuva(conn: duckdb.DuckDBPyConnection, out_dir: Path) -> int:
    """Write ``out_dir/medical_claim.parquet`` atomically; return the number of rows."""
    sql = (resources.files("claimflow.marts") / "sql" / "tuva_medical_claim.sql").read_text("utf-8")
    target = out_dir / TUVA_FILE
    with atomic_path(target) as part:
        conn.execute(f"COPY ({sql}) TO {sql_str(str(part))} (FORMAT PARQUET)")
    row = conn.execute(f"SELECT count(*) FROM read_parquet({sql_str(str(target))})").fetchone()
    return int(row[0]) if row else 0
