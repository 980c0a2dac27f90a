"""truth/ says what the files contain, and the denial model's structure can be learnt."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from claimflow.synth import generate_world
from claimflow.synth.denials import CAUSES, auc
from tests.synth.conftest import CLAIMS, GeneratedWorld, amount, segments, transactions


def _remits(world: GeneratedWorld) -> dict[str, list[list[list[str]]]]:
    """CLP01 → each CLP block (the CLP and the segments up to the next CLP)."""
    out: dict[str, list[list[list[str]]]] = defaultdict(list)
    for path in world.x12_files("835"):
        block: list[list[str]] | None = None
        for seg in segments(path):
            if seg[0] == "CLP":
                block = [seg]
                out[seg[1]].append(block)
            elif seg[0] in ("PLB", "SE"):
                block = None
            elif block is not None:
                block.append(seg)
    return out


def test_one_truth_row_per_claim(world: GeneratedWorld) -> None:
    rows = world.truth()
    assert len(rows) == CLAIMS
    assert len({r["patient_control_number"] for r in rows}) == CLAIMS


def test_remittances_agree_with_truth(world: GeneratedWorld) -> None:
    remits = _remits(world)
    denied = reversed_ = 0
    for row in world.truth():
        blocks = remits.get(row["patient_control_number"], [])
        if row["adjudicated"] == "0":
            assert not blocks
            continue
        icn = row["payer_claim_control_number"]
        original = [b for b in blocks if b[0][7] == icn and b[0][2] in ("1", "4")]
        assert len(original) == 1, row["patient_control_number"]
        reasons = {(s[1], s[2]) for s in original[0] if s[0] == "CAS"}
        if row["denied"] == "1":
            denied += 1
            assert ("CO", row["carc"]) in reasons
        else:
            assert {r for _, r in reasons} <= {"45", "253", "1", "2", "3"}
        final = original[0]
        if row["reversed_on"]:
            reversed_ += 1
            assert [b[0][2] for b in blocks] == ["1", "22", "1"]
            final = blocks[2]
            assert amount(blocks[1][0][4]) == -amount(original[0][0][4])
        assert amount(final[0][4]) == Decimal(row["paid"])
        assert amount(final[0][3]) == Decimal(row["total_charge"])
    assert denied > 0


def test_acknowledgments_agree_with_truth(world: GeneratedWorld) -> None:
    st_of: dict[str, tuple[str, str]] = {}
    for sub in ("837p", "837i"):
        for path in world.x12_files(sub):
            for st in transactions(path):
                for seg in st:
                    if seg[0] == "CLM":
                        st_of[seg[1]] = (path.stem, st[0][2])
    rejected_sets = set()
    for path in world.x12_files("999"):
        stem = path.name.split(".")[0]
        current = ""
        for seg in segments(path):
            if seg[0] == "AK2":
                current = seg[2]
            if seg[0] == "IK5" and seg[1] == "R":
                rejected_sets.add((stem, current))
    status: dict[str, tuple[str, str]] = {}
    for path in world.x12_files("277ca"):
        pcn = ""
        for seg in segments(path):
            if seg[0] == "TRN" and seg[1] == "2":
                pcn = seg[2]
            elif seg[0] == "STC" and pcn:
                status[pcn] = (seg[1], "")
            elif seg[0] == "REF" and seg[1] == "1K" and pcn:
                status[pcn] = (status[pcn][0], seg[2])
            elif seg[0] == "HL":
                pcn = ""
    for row in world.truth():
        pcn = row["patient_control_number"]
        assert (st_of[pcn] in rejected_sets) == (row["ack_999"] == "rejected")
        got = status.get(pcn)
        if row["ack_999"] == "rejected" or row["ack_277ca"] == "missing":
            assert got is None
        elif row["ack_277ca"] == "accepted":
            assert got == ("A2:20", row["payer_claim_control_number"])
        else:
            assert got is not None
            assert got[0] == row["ack_277ca_status"]
            assert got[0][:2] in ("A3", "A6", "A7", "A8")


def test_emr_exports_agree_with_truth(world: GeneratedWorld) -> None:
    by_source: dict[str, set[str]] = defaultdict(set)
    for row in world.truth():
        by_source[row["emr_source"]].add(row["patient_control_number"])
    with (world.root / "truth" / "emr_files.csv").open(encoding="utf-8") as fh:
        stats = list(csv.DictReader(fh))
    seen: dict[str, set[str]] = defaultdict(set)
    for st in stats:
        path = world.root / st["path"]
        if st["source"] == "beta":
            records = json.loads(path.read_text(encoding="utf-8"))
            ids = [r["id"] for r in records]
        else:
            lines = path.read_text(encoding="utf-8").splitlines()[1:]
            sep = ";" if st["source"] == "gamma" else ","
            ids = [ln.split(sep)[0] for ln in lines]
            assert sum(1 for ln in lines if ln.count(sep) < 5) == int(st["unreadable"])
        assert len(ids) == int(st["rows"])
        good = {i for i in ids if not i.endswith("X")}
        assert len(ids) - int(st["unreadable"]) - int(st["duplicates"]) == len(good)
        seen[st["source"]] |= good
    assert seen == by_source


def test_plb_and_summary_files(world: GeneratedWorld) -> None:
    summary = json.loads((world.root / "truth" / "summary.json").read_text())
    assert summary["claims"] == CLAIMS
    assert summary["counts"]["denied"] == sum(1 for r in world.truth() if r["denied"] == "1")
    assert 0.5 < summary["best_achievable_auc"] <= 1.0
    with (world.root / "truth" / "plb.csv").open(encoding="utf-8") as fh:
        plb = list(csv.DictReader(fh))
    in_files = sum(
        (len(s) - 3) // 2 for p in world.x12_files("835") for s in segments(p) if s[0] == "PLB"
    )
    assert len(plb) == in_files


def test_auc_helper() -> None:
    assert auc({0.1: [1, 0], 0.9: [0, 1]}) == 1.0
    assert auc({0.5: [1, 1]}) == 0.5
    assert auc({0.2: [2, 0]}) is None


def test_planted_structure_is_learnable(tmp_path: Path) -> None:
    generate_world(tmp_path, claims=4000, seed=3, start=dt.date(2025, 3, 1), months=1)
    with (tmp_path / "truth" / "claims.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["adjudicated"] == "1"]
    rate: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        factors = r["risk_factors"].split("|") if r["risk_factors"] else ["none"]
        p = float(r["denial_probability"])
        for f in factors:
            rate[f][0] += int(r["denied"])
            rate[f][1] += 1
            if f != "none":
                assert p >= CAUSES[f].p
    for name in ("wrong_npi", "no_prior_auth", "mod25_missing", "timely_filing"):
        denied, n = rate[name]
        assert n >= 10, name
        assert denied / n > 0.5, name
    assert rate["none"][0] / rate["none"][1] < 0.1
    summary = json.loads((tmp_path / "truth" / "summary.json").read_text())
    assert summary["best_achievable_auc"] > 0.8
