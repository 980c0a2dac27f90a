"""``generate_world(drift=...)`` / ``claimflow synth --drift YYYY-MM`` (issue 19): from a month
on, one payer wants a prior authorization for more codes, and the truth says which claims that
hits and by how much; without the option the world is the one it always was."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterable
from pathlib import Path

import pytest

from claimflow.synth import generate_world
from claimflow.synth.denials import POLICY_CANDIDATES, auc
from claimflow.synth.world import PAYERS
from tests.conftest import cli
from tests.synth.conftest import segments

CLAIMS = 12_000
SEED = 7
START = dt.date(2025, 1, 1)
MONTHS = 6
DRIFT = "2025-04"
FROM = dt.date(2025, 4, 1)
CAUSE = "payer_policy_change"
# What only the denial of a claim changes in its truth row (its 835, paid amount, EMR status).
DENIAL_COLUMNS = {
    "denial_probability", "risk_factors", "denied", "denial_cause", "carc", "rarc",
    "denial_category", "denied_line", "paid", "patient_responsibility", "reversed_on",
    "emr_status",
}  # fmt: skip

# sha256 over (relative path, sha256 of the bytes) of every file of two small worlds, made by
# the generator at commit 499fca0, before the drift option existed: without it, and with
# drift=None, the world must stay these bytes (docs and other tests quote its figures).
PINNED = {
    False: "f0e11747d3d86850a8d70887ce31cb202dd34a6f60a8421ffea6cd30ec0c7da2",
    True: "6bfff8ca3c5d003a65d390fa775aea6811b033373a10049650fc21c6f2b37ab4",
}


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def _truth(root: Path) -> list[dict[str, str]]:
    with (root / "truth" / "claims.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _summary(root: Path) -> dict[str, object]:
    out: dict[str, object] = json.loads((root / "truth" / "summary.json").read_text())
    return out


def _lines_and_auth(root: Path) -> dict[str, tuple[set[str], bool]]:
    """From the 837 files: each claim's procedure codes and whether it carries REF*G1."""
    out: dict[str, tuple[set[str], bool]] = {}
    for path in sorted((root / "x12").glob("837[pi]/*.x12")):
        pcn = ""
        for seg in segments(path):
            if seg[0] == "CLM":
                pcn = seg[1]
                out.setdefault(pcn, (set(), False))
            elif seg[0] == "SE":
                pcn = ""
            elif pcn and seg[0] in ("SV1", "SV2"):
                out[pcn][0].add(seg[1 if seg[0] == "SV1" else 2].split(":")[1])
            elif pcn and seg[:2] == ["REF", "G1"]:
                out[pcn] = (out[pcn][0], True)
    return out


def _expected_auc(rows: Iterable[dict[str, str]]) -> float | None:
    pairs: dict[float, list[int]] = {}
    for r in rows:
        if r["adjudicated"] == "1":
            pairs.setdefault(float(r["denial_probability"]), [0, 0])[int(r["denied"])] += 1
    return auc(pairs)


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("drift")
    plain, drifted = (
        generate_world(
            root / name, claims=CLAIMS, seed=SEED, start=START, months=MONTHS, workers=2,
            drift=drift,
        ).out_dir
        for name, drift in (("plain", None), ("drifted", DRIFT))
    )  # fmt: skip
    return plain, drifted


@pytest.mark.parametrize("open_end", [False, True])
def test_without_drift_the_world_is_the_bytes_it_always_was(tmp_path: Path, open_end: bool) -> None:
    absent = generate_world(
        tmp_path / "a", claims=1500, seed=5, start=START, months=3, workers=1, open_end=open_end
    )
    none = generate_world(
        tmp_path / "n", claims=1500, seed=5, start=START, months=3, workers=1, open_end=open_end,
        drift=None,
    )  # fmt: skip
    assert _digest(absent.out_dir) == PINNED[open_end]
    assert _digest(none.out_dir) == PINNED[open_end]
    assert "drift" not in absent.truth


def test_summary_names_the_drift(worlds: tuple[Path, Path]) -> None:
    _, drifted = worlds
    drift = _summary(drifted)["drift"]
    assert isinstance(drift, dict)
    assert drift["month"] == DRIFT and drift["from"] == FROM.isoformat()
    payer = next(p for p in PAYERS if p.payer_id == drift["payer_id"])
    assert drift["payer_name"] == payer.name
    codes = set(drift["codes"])
    assert len(codes) == 3 and codes <= set(POLICY_CANDIDATES)
    assert not codes & payer.auth_codes  # codes the payer did not ask an authorization for
    assert drift["cause"] == CAUSE and 0 < drift["p"] < 1 and drift["carc"] == "197"
    rows = _truth(drifted)
    assert drift["claims"] == sum(1 for r in rows if CAUSE in r["risk_factors"].split("|"))
    # the best achievable AUC on each side of the month, recomputed from claims.csv
    before = [r for r in rows if r["submission_date"] < FROM.isoformat()]
    after = [r for r in rows if r["submission_date"] >= FROM.isoformat()]
    assert before and after
    assert drift["best_achievable_auc_before"] == pytest.approx(_expected_auc(before), abs=1e-6)
    assert drift["best_achievable_auc_after"] == pytest.approx(_expected_auc(after), abs=1e-6)


def test_the_rule_hits_exactly_the_payers_claims_of_those_codes_from_the_month(
    worlds: tuple[Path, Path],
) -> None:
    _, drifted = worlds
    drift = _summary(drifted)["drift"]
    assert isinstance(drift, dict)
    codes = set(drift["codes"])
    lines = _lines_and_auth(drifted)
    hit = 0
    for r in _truth(drifted):
        claim_codes, has_auth = lines[r["patient_control_number"]]
        should = (
            r["payer_id"] == drift["payer_id"]
            and r["submission_date"] >= FROM.isoformat()
            and bool(claim_codes & codes)
            and not has_auth
        )
        assert (CAUSE in r["risk_factors"].split("|")) == should, r["patient_control_number"]
        hit += should
    assert hit >= 200  # enough claims for the rates below to mean something


def test_the_months_before_are_the_undrifted_world(worlds: tuple[Path, Path]) -> None:
    plain, drifted = worlds
    a, b = _truth(plain), _truth(drifted)
    earlier = [(x, y) for x, y in zip(a, b, strict=True) if x["submission_date"] < FROM.isoformat()]
    assert earlier
    assert all(x == y for x, y in earlier)
    # the files of the months before: the EMR exports and the 835 payment runs dated before
    checked = 0
    for path in sorted(plain.rglob("*")):
        rel = path.relative_to(plain).as_posix()
        before = (rel.startswith("emr/") and rel.rsplit("_", 1)[-1][:7] < DRIFT) or (
            rel.startswith("x12/835/") and rel.split("_")[2][:8] < f"{FROM:%Y%m%d}"
        )
        if before:
            assert path.read_bytes() == (drifted / rel).read_bytes(), rel
            checked += 1
    assert checked > 10


def test_nothing_else_changes(worlds: tuple[Path, Path]) -> None:
    plain, drifted = worlds
    drift = _summary(drifted)["drift"]
    assert isinstance(drift, dict)
    for x, y in zip(_truth(plain), _truth(drifted), strict=True):
        if CAUSE in y["risk_factors"].split("|"):
            assert {k: v for k, v in x.items() if k not in DENIAL_COLUMNS} == {
                k: v for k, v in y.items() if k not in DENIAL_COLUMNS
            }
        else:
            assert x == y
    # the claims (837), their acknowledgments (999, 277CA) are the same files; only the
    # drifted payer's remittances from the month on, and the EMR exports from it, differ
    files = sorted(p.relative_to(plain).as_posix() for p in plain.rglob("*") if p.is_file())
    assert files == sorted(
        p.relative_to(drifted).as_posix() for p in drifted.rglob("*") if p.is_file()
    )
    for rel in files:
        if (plain / rel).read_bytes() == (drifted / rel).read_bytes():
            continue
        if rel.startswith("x12/835/"):
            payer, day = rel.split("_")[1:3]
            assert payer == drift["payer_id"] and day[:8] >= f"{FROM:%Y%m%d}", rel
        elif rel.startswith("emr/"):
            assert rel.rsplit("_", 1)[-1][:7] >= DRIFT, rel
        else:
            assert rel in ("truth/claims.csv", "truth/plb.csv", "truth/summary.json"), rel
    sa, sb = _summary(plain), _summary(drifted)
    for key in sa:
        if key not in ("counts", "best_achievable_auc"):
            assert sa[key] == sb[key], key


def test_affected_claims_have_the_stated_probability_and_cause(worlds: tuple[Path, Path]) -> None:
    plain, drifted = worlds
    drift = _summary(drifted)["drift"]
    assert isinstance(drift, dict)
    p = drift["p"]
    assert isinstance(p, float)
    n = 0
    for x, y in zip(_truth(plain), _truth(drifted), strict=True):
        if CAUSE not in y["risk_factors"].split("|"):
            continue
        n += 1
        assert y["risk_factors"] == "|".join(filter(None, (x["risk_factors"], CAUSE)))
        before = float(x["denial_probability"])
        # the new cause is one more independent hazard: 1 - (1 - p_without)(1 - p)
        assert float(y["denial_probability"]) == pytest.approx(1 - (1 - before) * (1 - p), abs=2e-6)
        if x["denied"] == "1":  # what fired without the drift still fires first
            assert (y["denied"], y["denial_cause"], y["carc"]) == (
                "1",
                x["denial_cause"],
                x["carc"],
            )
        elif y["denied"] == "1":
            assert (y["denial_cause"], y["carc"], y["denial_category"]) == (
                CAUSE, "197", "authorization_precert"
            )  # fmt: skip
    assert n == drift["claims"]


def test_the_denial_rate_rises_by_the_stated_amount(worlds: tuple[Path, Path]) -> None:
    """Realised denials against the truth's probabilities, within four standard deviations."""
    plain, drifted = worlds
    drift = _summary(drifted)["drift"]
    assert isinstance(drift, dict)
    p = drift["p"]
    assert isinstance(p, float)
    codes = set(drift["codes"])
    lines = _lines_and_auth(drifted)
    plain_rows = {r["patient_control_number"]: r for r in _truth(plain)}

    # 1. Among affected claims with an 835 that nothing else denied, a share p is now denied.
    spared = [
        (plain_rows[r["patient_control_number"]], r)
        for r in _truth(drifted)
        if CAUSE in r["risk_factors"].split("|") and r["adjudicated"] == "1"
    ]
    open_ = [y for x, y in spared if x["denied"] == "0"]
    newly = sum(1 for y in open_ if y["denied"] == "1")
    assert len(open_) >= 150
    sd = math.sqrt(len(open_) * p * (1 - p))
    assert abs(newly - p * len(open_)) <= 4 * sd, (newly, len(open_), p)

    # 2. The payer's claims of those codes: denial rate before the month and from it; the rise
    #    is what the true probabilities say (each side's variance: sum of p(1 - p) / n^2).
    def side(after: bool) -> tuple[float, float, float]:
        rows = [
            r
            for r in _truth(drifted)
            if r["payer_id"] == drift["payer_id"]
            and r["adjudicated"] == "1"
            and (r["submission_date"] >= FROM.isoformat()) == after
            and lines[r["patient_control_number"]][0] & codes
        ]
        probs = [float(r["denial_probability"]) for r in rows]
        rate = sum(r["denied"] == "1" for r in rows) / len(rows)
        var = sum(q * (1 - q) for q in probs) / len(rows) ** 2
        return rate, sum(probs) / len(rows), var

    rate0, mean0, var0 = side(False)
    rate1, mean1, var1 = side(True)
    # the stated effect: the mean true probability rises by p times what was left undenied
    assert mean1 - mean0 > 0.8 * p * (1 - mean0)
    assert abs((rate1 - rate0) - (mean1 - mean0)) <= 4 * math.sqrt(var0 + var1)
    assert rate1 - rate0 > 0.3


def test_drift_is_the_same_bytes_whatever_the_workers(tmp_path: Path) -> None:
    one, three = (
        generate_world(
            tmp_path / str(n), claims=1500, seed=5, start=START, months=3, drift="2025-02",
            workers=n,
        )
        for n in (1, 3)
    )  # fmt: skip
    assert one.truth["drift"]["claims"] > 0
    assert _digest(one.out_dir) == _digest(three.out_dir)


@pytest.mark.parametrize("month", ["2025-01", "2025-04", "2024-12", "2025-4", "April"])
def test_refuses_a_month_outside_the_window(tmp_path: Path, month: str) -> None:
    with pytest.raises(ValueError):
        generate_world(tmp_path, claims=50, seed=1, start=START, months=3, drift=month)


def test_the_command_names_the_drift(tmp_path: Path) -> None:
    out = tmp_path / "inbox"
    result = cli(
        "synth", "--claims", "600", "--start", "2025-01-01", "--months", "3", "--drift", "2025-02",
        "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    drift = _summary(out)["drift"]
    assert isinstance(drift, dict)
    text = " ".join(result.stdout.split())
    assert f"drift: from 2025-02 payer {drift['payer_id']}" in text
    assert ", ".join(drift["codes"]) in text
    bad = cli("synth", "--claims", "50", "--months", "1", "--drift", "2031-01", "--out", str(out))
    assert bad.exit_code == 2
    assert "drift" in bad.stderr


def test_an_open_ended_drifted_world_is_the_complete_one_without_its_later_files(
    tmp_path: Path,
) -> None:
    complete, open_ = (
        generate_world(
            tmp_path / name, claims=1500, seed=3, start=dt.date(2025, 2, 15), months=3,
            workers=1, drift="2025-04", open_end=open_end,
        ).out_dir
        for name, open_end in (("complete", False), ("open", True))
    )  # fmt: skip
    files = [p for p in open_.rglob("*") if p.is_file() and "truth" not in p.parts]
    assert files
    for path in files:
        rel = path.relative_to(open_)
        assert path.read_bytes() == (complete / rel).read_bytes(), rel
    hit = {
        r["patient_control_number"]: r["denial_probability"]
        for r in _truth(complete)
        if CAUSE in r["risk_factors"].split("|")
    }
    assert hit
    assert hit == {
        r["patient_control_number"]: r["denial_probability"]
        for r in _truth(open_)
        if CAUSE in r["risk_factors"].split("|")
    }
