"""Shared fixtures: a clean environment, a workspace, and a real CLI runner."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from claimflow.cli import app

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "examples" / "seed"

HEADER_ALPHA = "claim_id,patient_id,procedure_code,denial_reason,submitted_at,status\n"

ALPHA_COLUMNS = {
    "patient_control_number": "claim_id",
    "member_id": "patient_id",
    "procedure_code": "procedure_code",
    "denial_reason": "denial_reason",
    "submission_date": "submitted_at",
    "claim_status": "status",
}
BETA_COLUMNS = {
    "patient_control_number": "id",
    "member_id": "member",
    "procedure_code": "code",
    "denial_reason": "error_msg",
    "submission_date": "date",
    "claim_status": "status",
}
"""The seed's beta JSON export (examples/seed/emr_beta.json) mapped to the canonical columns."""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never depend on the developer's shell."""
    for name in ("CLAIMFLOW_WAREHOUSE", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "200")


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class Workspace:
    """A temporary project: an inbox, a config, a warehouse and an output folder."""

    root: Path

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "claimflow.duckdb"

    @property
    def out(self) -> Path:
        return self.root / "out"

    @property
    def config(self) -> Path:
        return self.root / "claimflow.yaml"

    def write_config(self, sources: list[dict[str, Any]], **extra: Any) -> Path:
        self.config.write_text(yaml.safe_dump({"sources": sources, **extra}, sort_keys=False))
        return self.config

    def alpha_source(self, pattern: str = "inbox/*.csv", **over: Any) -> dict[str, Any]:
        source: dict[str, Any] = {
            "name": "alpha",
            "source_system": "alpha",
            "format": "csv",
            "pattern": pattern,
            "columns": dict(ALPHA_COLUMNS),
        }
        source.update(over)
        return source

    def beta_source(self, pattern: str = "inbox/*.json", **over: Any) -> dict[str, Any]:
        source: dict[str, Any] = {
            "name": "beta",
            "source_system": "beta",
            "format": "json",
            "pattern": pattern,
            "columns": dict(BETA_COLUMNS),
        }
        source.update(over)
        return source

    def put(self, name: str, content: str | bytes) -> Path:
        path = self.inbox / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    def copy_seed(self) -> None:
        self.inbox.mkdir(parents=True, exist_ok=True)
        for name in ("emr_alpha.csv", "emr_beta.json"):
            shutil.copy(SEED / name, self.inbox / name)

    def run(self, *args: str, reference_date: str = "2025-07-30") -> Result:
        return cli(
            "run",
            "--config",
            str(self.config),
            "--warehouse",
            str(self.warehouse),
            "--out",
            str(self.out),
            "--reference-date",
            reference_date,
            *args,
        )

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        import duckdb

        conn = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    def candidates(self) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = json.loads(
            (self.out / "resubmission_candidates.json").read_text()
        )
        return data

    def metrics(self) -> list[dict[str, Any]]:
        files = sorted((self.out / "metrics").glob("*.json"))
        return [json.loads(f.read_text()) for f in files]


def cli(*args: str) -> Result:
    """Invoke the real claimflow CLI in-process."""
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


@pytest.fixture
def run_cli() -> Callable[..., Result]:
    return cli
