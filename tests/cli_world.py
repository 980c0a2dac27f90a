"""A small generated world run through the real pipeline, for the tests that read a warehouse
(the API's, and the commands claim, lineage, quarantine, sql): built once per test session."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from claimflow.config import load_settings
from claimflow.pipeline import run
from claimflow.synth import generate_world

REFERENCE_DATE = dt.date(2025, 3, 20)
"""The decision date of the world's run."""

_BUILT: dict[str, Path] = {}


@dataclass(frozen=True)
class World:
    warehouse: Path
    root: Path

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Plain SQL on the warehouse, read-only."""
        conn = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return conn.execute(sql, params or []).fetchall()
        finally:
            conn.close()


def build_world(factory: pytest.TempPathFactory) -> World:
    """The session's world (generated and run the first time it is asked for)."""
    if "root" not in _BUILT:
        root = factory.mktemp("cli_world")
        summary = generate_world(
            root / "inbox", claims=200, seed=7, start=dt.date(2025, 1, 1), months=2, workers=1
        )
        run(
            load_settings(summary.config),
            warehouse=root / "claimflow.duckdb",
            out_dir=root / "out",
            reference_date=REFERENCE_DATE,
        )
        _BUILT["root"] = root
    root = _BUILT["root"]
    return World(root / "claimflow.duckdb", root)
