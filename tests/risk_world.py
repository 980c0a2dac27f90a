"""The session's denial-risk world: a generated revenue cycle run through the real pipeline,
a model trained and promoted with the real commands, then a second run that scores.

Large enough to train (more than 500 outcomes over five submission months), open-ended so that
claims are still waiting for their 835 when the second run scores them. Tests that change it
copy the warehouse (and its models folder) first: ``copy_world``.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from claimflow.cli import app
from claimflow.risk.registry import models_dir
from claimflow.synth import generate_world

CLAIMS = 5000
MONTHS = 5
START = dt.date(2025, 1, 1)
SEED = 19


@dataclass(frozen=True)
class RiskWorld:
    """The world's paths and the champion's version."""

    root: Path
    inbox: Path
    warehouse: Path
    out: Path
    version: str
    train: dict[str, Any]

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Read the warehouse (read-only)."""
        conn = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return conn.execute(sql, params or []).fetchall()
        finally:
            conn.close()

    def truth(self) -> list[dict[str, str]]:
        """The generator's truth, one row per claim."""
        import csv

        with (self.inbox / "truth" / "claims.csv").open(newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))


def claimflow(*args: str) -> Any:
    """Run the real CLI in-process; fail the test on an unexpected exit."""
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result


_WORLD: RiskWorld | None = None


def build_risk_world(factory: pytest.TempPathFactory) -> RiskWorld:
    """The session's risk world (built once)."""
    global _WORLD
    if _WORLD is not None:
        return _WORLD
    root = factory.mktemp("risk_world")
    inbox = root / "inbox"
    generate_world(
        inbox, claims=CLAIMS, seed=SEED, start=START, months=MONTHS, workers=1, open_end=True
    )
    warehouse, out = root / "claimflow.duckdb", root / "out"
    config = str(inbox / "claimflow.yaml")
    first = claimflow("run", "--config", config, "--warehouse", str(warehouse), "--out", str(out))
    assert first.exit_code in (0, 3), first.output
    trained = claimflow("risk", "train", "--warehouse", str(warehouse), "--json")
    assert trained.exit_code == 0, trained.output
    train = json.loads(trained.stdout)
    version = train["model_version"]
    promoted = claimflow("risk", "promote", version, "--warehouse", str(warehouse))
    assert promoted.exit_code == 0, promoted.output
    second = claimflow("run", "--config", config, "--warehouse", str(warehouse), "--out", str(out))
    assert second.exit_code in (0, 3), second.output
    _WORLD = RiskWorld(root, inbox, warehouse, out, version, train)
    return _WORLD


def copy_world(world: RiskWorld, target: Path) -> Path:
    """A copy of the world's warehouse and its models folder in ``target``; its path."""
    target.mkdir(parents=True, exist_ok=True)
    copy = target / world.warehouse.name
    shutil.copyfile(world.warehouse, copy)
    shutil.copytree(models_dir(world.warehouse), models_dir(copy))
    return copy
