"""Determinism, NPIs, the generated config, the CLI body, and the real pipeline on the world."""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from claimflow.config import load_settings
from claimflow.pipeline import run
from claimflow.synth import generate_world, npi_check_digit, npi_valid
from claimflow.synth.cli import synth_command
from claimflow.synth.world import make_npi
from tests.synth.conftest import CLAIMS, MONTHS, SEED, START, GeneratedWorld


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_same_seed_same_bytes_whatever_the_workers(world: GeneratedWorld, tmp_path: Path) -> None:
    for workers in (1, 3):
        again = generate_world(
            tmp_path / f"w{workers}",
            claims=CLAIMS,
            seed=SEED,
            start=START,
            months=MONTHS,
            workers=workers,
        )
        assert _tree(again.out_dir) == _tree(world.root)
    other = generate_world(tmp_path / "b", claims=CLAIMS, seed=SEED + 1, start=START, months=MONTHS)
    assert _tree(other.out_dir) != _tree(world.root)


def test_npi_check_digit() -> None:
    # The CMS worked example: 123456789 has check digit 3.
    assert npi_check_digit("123456789") == "3"
    assert npi_valid("1234567893")
    assert not npi_valid("1234567890")
    rng = random.Random(1)
    assert all(npi_valid(make_npi(rng)) for _ in range(200))


def test_config_validates_and_every_pattern_matches(world: GeneratedWorld) -> None:
    settings = load_settings(world.root / "claimflow.yaml")
    matched: set[Path] = set()
    for source in settings.sources:
        files = [p for p in settings.base_dir.glob(source.pattern) if p.is_file()]
        assert files, source.name
        matched |= set(files)
    generated = {p for sub in ("emr", "x12") for p in (world.root / sub).rglob("*") if p.is_file()}
    assert matched == generated


def test_summary_counts_files(world: GeneratedWorld) -> None:
    s = world.summary
    assert s.claims == CLAIMS
    for kind in ("837P", "837I", "999", "277CA", "835", "emr_alpha", "emr_beta", "emr_gamma"):
        assert s.files.get(kind, 0) > 0, kind
    assert s.bytes_written > 0
    assert len(s.invalid_files) == 2


def test_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_world(tmp_path, claims=0, seed=1, start=START, months=1)


def test_cli_body(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command("synth")(synth_command)
    app.command("noop")(lambda: None)
    out = tmp_path / "inbox"
    result = CliRunner().invoke(
        app, ["synth", "--claims", "50", "--months", "1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "837P" in result.output
    assert (out / "claimflow.yaml").is_file()
    bad = CliRunner().invoke(app, ["synth", "--start", "soon", "--out", str(out)])
    assert bad.exit_code == 2


def test_the_pipeline_loads_the_whole_world(world: GeneratedWorld, tmp_path: Path) -> None:
    settings = load_settings(world.root / "claimflow.yaml")
    report = run(
        settings,
        warehouse=tmp_path / "wh.duckdb",
        out_dir=tmp_path / "out",
        reference_date=dt.date(2025, 3, 31),
    )
    invalid = world.invalid()
    for f in report.files:
        rel = Path(f.path).relative_to(world.root).as_posix()
        assert f.status == "loaded", (rel, f.message)
        if rel.startswith("x12/") and rel not in invalid:
            assert f.rows_quarantined == 0, rel
    import duckdb

    conn = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    try:
        by_source = dict(
            conn.execute(
                "SELECT data_source, count(DISTINCT patient_control_number) FROM claims_header"
                " GROUP BY 1"
            ).fetchall()
        )
        adjudicated = conn.execute(
            "SELECT count(DISTINCT patient_control_number) FROM adjudication"
        ).fetchone()
    finally:
        conn.close()
    with (world.root / "truth" / "claims.csv").open(encoding="utf-8") as fh:
        truth = list(csv.DictReader(fh))
    assert by_source["clearinghouse"] == CLAIMS
    for source in ("alpha", "beta", "gamma"):
        expected = sum(1 for r in truth if r["emr_source"] == source)
        # rows whose only defect is a missing member id still load; unreadable rows do not
        assert expected - 5 <= by_source[source] <= expected, source
    assert adjudicated is not None
    assert adjudicated[0] == sum(1 for r in truth if r["adjudicated"] == "1")


def test_regenerating_replaces_the_old_world(tmp_path: Path) -> None:
    generate_world(tmp_path / "a", claims=120, seed=5, start=START, months=2, workers=1)
    generate_world(tmp_path / "a", claims=40, seed=5, start=START, months=1, workers=1)
    generate_world(tmp_path / "b", claims=40, seed=5, start=START, months=1, workers=1)
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")


def test_refuses_a_folder_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "emr").mkdir()
    (tmp_path / "emr" / "mine.csv").write_text("keep me")
    with pytest.raises(FileExistsError):
        generate_world(tmp_path, claims=10, seed=1, start=START, months=1)
    assert (tmp_path / "emr" / "mine.csv").read_text() == "keep me"
