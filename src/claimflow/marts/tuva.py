"""Export the Tuva Project's ``medical_claim`` input layer as Parquet."""

from __future__ import annotations

import os
import tempfile
from importlib import resources
from pathlib import Path

import duckdb

TUVA_FILE = "medical_claim.parquet"


def export_tuva(conn: duckdb.DuckDBPyConnection, out_dir: Path) -> int:
    """Write ``out_dir/medical_claim.parquet`` atomically; return the number of rows."""
    sql = (resources.files("claimflow.marts") / "sql" / "tuva_medical_claim.sql").read_text("utf-8")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / TUVA_FILE
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".tuva-") as tmp:
        part = Path(tmp) / TUVA_FILE
        conn.execute(
            f"COPY ({sql}) TO '{str(part).replace(chr(39), chr(39) * 2)}' (FORMAT PARQUET)"
        )
        os.replace(part, target)
    row = conn.execute(
        f"SELECT count(*) FROM read_parquet('{str(target).replace(chr(39), chr(39) * 2)}')"
    ).fetchone()
    return int(row[0]) if row else 0
