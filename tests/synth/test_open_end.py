"""An open-ended world (``open_end``, ``claimflow synth --open-end``, the demo's): it ends on its
last submission day with remittances still arriving, so that the cash forecast has open claims
whose payments come after the data's last date."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from claimflow.config import load_settings
from claimflow.pipeline import run
from claimflow.synth import generate_world
from tests.conftest import cli
from tests.synth.conftest import segments

CLAIMS = 600
SEED = 5
START = dt.date(2025, 2, 15)
MONTHS = 2
LAST_DAY = dt.date(2025, 4, 14)  # the day before START + MONTHS: the EMR export's date


def _truth(root: Path) -> dict[str, dict[str, str]]:
    with (root / "truth" / "claims.csv").open(encoding="utf-8") as fh:
        return {r["patient_control_number"]: r for r in csv.DictReader(fh)}


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and "truth" not in p.parts
    }


def _isa_date(path: Path) -> dt.date:
    isa = next(segments(path))
    return dt.datetime.strptime(isa[9], "%y%m%d").date()


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("open_end")
    worlds = [
        generate_world(
            root / name, claims=CLAIMS, seed=SEED, start=START, months=MONTHS, workers=1,
            open_end=open_end,
        ).out_dir
        for name, open_end in (("complete", False), ("open", True))
    ]  # fmt: skip
    return worlds[0], worlds[1]


def test_nothing_is_dated_after_the_last_day(worlds: tuple[Path, Path]) -> None:
    _, open_ = worlds
    summary = json.loads((open_ / "truth" / "summary.json").read_text())
    assert summary["open_end"] is True and summary["emr_export_date"] == LAST_DAY.isoformat()
    dated = [
        p
        for sub in ("835", "277ca", "999", "837p", "837i")
        for p in (open_ / "x12" / sub).glob("*.x12")
    ]
    assert dated and max(_isa_date(p) for p in dated) <= LAST_DAY
    complete, _ = worlds
    later = [p for p in (complete / "x12" / "835").glob("*.x12") if _isa_date(p) > LAST_DAY]
    assert later, "the complete world has 835s after the last day: the test would prove nothing"


def test_it_is_the_complete_world_without_the_files_dated_later(worlds: tuple[Path, Path]) -> None:
    complete, open_ = worlds
    full, cut = _tree(complete), _tree(open_)
    for rel, data in cut.items():
        if rel.startswith("x12/277ca/"):
            continue  # a 277CA due after the last day comes on it (below)
        assert full.get(rel) == data, rel
    for rel in set(full) - set(cut):
        assert rel.startswith("x12/835/") and _isa_date(complete / rel) > LAST_DAY, rel
    for rel in (r for r in cut if r.startswith("x12/277ca/")):
        assert full[rel] == cut[rel] or _isa_date(complete / rel) > LAST_DAY, rel


def test_truth_names_the_claims_still_awaiting_their_835(worlds: tuple[Path, Path]) -> None:
    complete, open_ = worlds
    full, cut = _truth(complete), _truth(open_)
    awaiting = {pcn for pcn, r in cut.items() if r["remit_due"]}
    # the complete world's own record of when each claim was paid, independently of open_end
    paid_later = {
        pcn for pcn, r in full.items() if r["remit_date"] and r["remit_date"] > LAST_DAY.isoformat()
    }
    assert awaiting == paid_later and len(awaiting) > CLAIMS // 20
    for pcn in awaiting:
        row = cut[pcn]
        assert row["remit_due"] == full[pcn]["remit_date"]
        assert (row["adjudicated"], row["denied"], row["paid"], row["remit_date"]) == (
            "0",
            "",
            "",
            "",
        )
        assert row["emr_status"] in ("pending", "submitted")
    summary = json.loads((open_ / "truth" / "summary.json").read_text())
    assert summary["counts"]["awaiting_835"] == len(awaiting)
    # a reversal due after the last day is not in the world either
    for pcn, row in cut.items():
        if row["reversed_on"]:
            assert row["reversed_on"] <= LAST_DAY.isoformat()
        elif full[pcn]["reversed_on"] and pcn not in awaiting:
            assert full[pcn]["reversed_on"] > LAST_DAY.isoformat()


def test_the_cash_forecast_has_open_claims_to_forecast(
    worlds: tuple[Path, Path], tmp_path: Path
) -> None:
    complete, open_ = worlds
    warehouse = tmp_path / "w.duckdb"
    run(
        load_settings(open_ / "claimflow.yaml"),
        warehouse=warehouse,
        out_dir=tmp_path / "out",
        reference_date=LAST_DAY + dt.timedelta(days=1),
    )
    result = cli("report", "cash_forecast", "--warehouse", str(warehouse), "--json")
    assert result.exit_code == 0, result.stderr
    weeks = result.json()
    weeks = weeks["rows"] if isinstance(weeks, dict) else weeks
    assert weeks, "no week forecast"
    assert (
        min(str(w["expected_week"])[:10] for w in weeks)
        == (LAST_DAY + dt.timedelta(days=1)).isoformat()
    )
    expected = sum(float(w["expected_payment"]) for w in weeks)
    # what the payers do pay on the open claims, from the complete world's truth: the forecast
    # (a model of lags and denials learnt from the 835s received) is of that order
    truth = _truth(complete)
    awaiting = [r for r in _truth(open_).values() if r["remit_due"]]
    to_come = sum(float(truth[r["patient_control_number"]]["paid"]) for r in awaiting)
    assert to_come > 0
    assert 0.5 * to_come < expected < 1.5 * to_come, (expected, to_come)


def test_the_command_names_each_population(tmp_path: Path) -> None:
    out = tmp_path / "inbox"
    result = cli(
        "synth", "--claims", "200", "--start", START.isoformat(), "--months", "1", "--open-end",
        "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    truth = _truth(out).values()
    denied = sum(1 for r in truth if r["denied"] == "1")
    with_835 = sum(1 for r in truth if r["adjudicated"] == "1")
    awaiting = sum(1 for r in truth if r["remit_due"])
    text = " ".join(result.stdout.split())
    assert f"denied {denied:,} of {with_835:,} claims with an 835" in text
    assert f"{awaiting:,} still awaiting theirs" in text
