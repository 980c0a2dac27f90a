"""Identifiers in free-text denial reasons: the rules (claimflow.redact), what they keep, the
planted examples, and every surface that shows the text — the rejection log of a real run (CSV
and table), the HTTP API by role, the dashboard's frames and the command line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from claimflow.api.app import ApiSettings
from claimflow.denials.model import classifier_with_model
from claimflow.phi import FREE_TEXT_COLUMNS, MASK, mask_row
from claimflow.redact import DATE, EMAIL, ID, NAME, PHONE, SSN, redact
from claimflow.synth.codes import CARCS
from claimflow.synth.planted_phi import BASE_REASONS, Planted, planted_denials, remaining
from tests.api.conftest import serve
from tests.conftest import HEADER_ALPHA, Workspace, cli

# --- the rules, on hand-written examples ------------------------------------------------------

REDACTED = [
    # the example
    (
        "for member W000037868 JOHN SMITH DOB 1980-02-03",
        f"for member {ID} {NAME} DOB {DATE}",
    ),
    # identifiers: by shape, and by the word before them
    ("Prior auth required W000037868", f"Prior auth required {ID}"),
    ("Coverage terminated for member 123456789", f"Coverage terminated for member {ID}"),
    ("ID: XYZ12345678 not on file", f"ID: {ID} not on file"),
    ("MRN 55512 records requested", f"MRN {ID} records requested"),
    ("mbr# 4411 acct 998877 policy no. P-20331", f"mbr# {ID} acct {ID} policy no. {ID}"),
    ("subscriber id Y1234567-8 invalid", f"subscriber id {ID} invalid"),
    ("claim 88812345671 denied", f"claim {ID} denied"),
    # social security numbers
    ("SSN 123-45-6789", f"SSN {SSN}"),
    ("ssn: 123 45 6789 mismatch", f"ssn: {SSN} mismatch"),
    ("pt 123-45-6789 not found", f"pt {SSN} not found"),
    # dates in their common forms
    ("DOB 02/03/1980", f"DOB {DATE}"),
    ("DOS 2/3/24", f"DOS {DATE}"),
    ("dob 03.02.1980", f"dob {DATE}"),
    ("born Feb 3, 1980", f"born {DATE}"),
    ("born February 3rd 1980", f"born {DATE}"),
    ("DOB 3 February 1980", f"DOB {DATE}"),
    ("DOB 03-FEB-1980", f"DOB {DATE}"),
    ("DOB 19800203", f"DOB {DATE}"),
    ("seen 2025-03-04T08:30:00Z", f"seen {DATE}"),
    ("Coverage ended March 2025", f"Coverage ended {DATE}"),
    ("auth valid through May 3, 2025", f"auth valid through {DATE}"),
    # phone numbers and e-mail addresses
    ("call (555) 123-4567 to appeal", f"call {PHONE} to appeal"),
    ("ph: 1-555-123-4567", f"ph: {PHONE}"),
    ("phone 5551234567", f"phone {PHONE}"),
    ("write to jane.doe@example.org", f"write to {EMAIL}"),
    # names next to member context
    ("patient: Jane Doe", f"patient: {NAME}"),
    ("Patient DOE, JANE M not eligible", f"Patient {NAME} not eligible"),
    ("pt john smith dob 02/03/1980", f"pt {NAME} dob {DATE}"),
    ("pt Smith", f"pt {NAME}"),
    ("Mr. O'Brien called about the denial", f"Mr. {NAME} called about the denial"),
    ("Mrs. Mary-Jane Van Dyke", f"Mrs. {NAME}"),
    ("Ms Jones", f"Ms {NAME}"),
    ("patient name Grace A. Okafor", f"patient name {NAME}"),
    ("SMITH, JOHN (W000037868) prior auth required", f"{NAME} ({ID}) prior auth required"),
    ("JOHN SMITH DOB 1/2/1990", f"{NAME} DOB {DATE}"),
    ("contact Omar Nowak at omar.nowak@gmail.com", f"contact {NAME} at {EMAIL}"),
    ("subscriber garcia, patricia id 20292883301", f"subscriber {NAME} id {ID}"),
    ("member # 4411 - pt zoe kim, co-183", f"member # {ID} - pt {NAME}, co-183"),
]


@pytest.mark.parametrize(("text", "expected"), REDACTED)
def test_each_rule_redacts(text: str, expected: str) -> None:
    assert redact(text) == expected


KEPT = [
    # codes a denial is about
    "CO-16 N290 rendering provider missing",
    "CARC 197, RARC M51, group PR-1",
    "Missing modifier 25 on 99213",
    "J1100 units exceed authorized units",
    "dx A41.9 inconsistent with procedure, ICD-10 S72.001A",
    "Modifier 59 / XU needs review; bundled into 99214 per NCCI",
    "Taxonomy on claim does not match NPPES - update to 207Q00000X and rebill",
    "Auth obtained (#A12345) but not reported on claim",
    "Invalid NPI 1234567893",
    "PT 97110 units exceed the plan's visit limit",
    # money, counts, a year
    "Deductible applies, PR-1 $1,250.00",
    "Timely filing limit exceeded (90 days)",
    "Plan year 2024 benefit maximum reached",
    # denial words, with patient words that name no one
    "Prior authorization required",
    "Patient not eligible",
    "Patient Responsibility",
    "MEMBER INELIGIBLE FOR BENEFITS ON DATE OF SERVICE",
    "PATIENT ZIP CODE INVALID",
    "Name and DOB do not match member file",
    "member ID invalid",
    "Member cost share",
    "Subscriber not found",
    # payer names
    "Aetna: referral missing",
    "Blue Cross requires prior approval for MRI",
    "Medicare primary, bill Medicaid second",
    # words that look like a date or a title, but are not
    "Modifier 25 may apply",
    "dx ms relapse",
    "",
    "   ",
]


@pytest.mark.parametrize("text", KEPT)
def test_denial_words_and_codes_are_kept(text: str) -> None:
    assert redact(text) == text


def test_the_synthetic_worlds_denial_texts_are_kept() -> None:
    texts = [c.text for c in CARCS.values() if c.text] + [
        "Rejected by clearinghouse: claim filing indicator",
        "Payer rejected: invalid information",
    ]
    assert [redact(t) for t in texts] == texts


def test_a_redacted_text_redacts_to_itself() -> None:
    for planted in planted_denials(300, seed=3):
        once = redact(planted.text)
        assert redact(once) == once


@pytest.mark.parametrize("unit", ["a.", "1-", "1.", "a-", "A ", "member ", "JOHN SMITH "])
def test_a_long_odd_text_redacts_in_linear_time(unit: str) -> None:
    """40,000 characters of a pattern that made an unbounded e-mail rule quadratic (8 s)."""
    import time

    text = unit * (40_000 // len(unit))
    start = time.perf_counter()
    redact(text)
    assert time.perf_counter() - start < 1.0


# --- the planted examples ---------------------------------------------------------------------


def test_planted_identifiers_are_where_the_generator_says() -> None:
    planted = planted_denials(200, seed=5)
    assert len({p.text for p in planted}) == 200
    kinds = {kind for p in planted for kind, _ in p.identifiers}
    assert kinds == {"id", "ssn", "date", "phone", "email", "name"}
    for p in planted:
        assert p.identifiers
        assert remaining(p, p.text) == list(p.identifiers)  # each is readable before
    assert planted_denials(20, seed=5) == planted[:20]  # deterministic


def test_recall_on_planted_identifiers_is_at_least_99_percent() -> None:
    planted = planted_denials(500, seed=11)
    total = sum(len(p.identifiers) for p in planted)
    missed = [m for p in planted for m in remaining(p, redact(p.text))]
    assert total > 1000
    assert 1 - len(missed) / total >= 0.99, missed
    # identifiers other than names: every one
    assert [m for m in missed if m[0] != "name"] == []


def test_categories_of_redacted_texts_are_those_of_the_originals() -> None:
    classifier = classifier_with_model(0.80)
    planted = planted_denials(400, seed=13, bases=BASE_REASONS)
    same = sum(
        classifier.classify(p.text).category == classifier.classify(redact(p.text)).category
        for p in planted
    )
    assert same / len(planted) >= 0.99


# --- masking by role: one definition ----------------------------------------------------------


def test_mask_row_redacts_free_text_for_a_role_without_phi() -> None:
    row = {
        "claim_id": "C1",
        "member_id": "W000037868",
        "denial_reason": "Prior auth required for member W000037868 JOHN SMITH",
        "normalized_text": None,
        "category": "authorization",
    }
    masked = mask_row(row, show_phi=False)
    assert masked == {
        "claim_id": "C1",
        "member_id": MASK,
        "denial_reason": f"Prior auth required for member {ID} {NAME}",
        "normalized_text": None,
        "category": "authorization",
    }
    assert mask_row(row, show_phi=True) == row
    assert "denial_reason" in FREE_TEXT_COLUMNS


def test_dashboard_frames_redact_free_text_for_a_role_without_phi(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from claimflow.dashboard.masking import mask

    def frame() -> pd.DataFrame:
        return pd.DataFrame(
            {
                "denial_reason": ["pt Jane Doe DOB 1/2/1980", None, "Prior auth required"],
                "amount": [1.0, 2.0, 3.0],
            }
        )

    monkeypatch.setenv("CLAIMFLOW_ROLE", "analyst")
    shown = mask(frame())
    assert shown["denial_reason"].tolist()[0] == f"pt {NAME} DOB {DATE}"
    assert pd.isna(shown["denial_reason"].tolist()[1])
    assert shown["denial_reason"].tolist()[2] == "Prior auth required"
    monkeypatch.setenv("CLAIMFLOW_ROLE", "auditor")
    assert mask(frame())["denial_reason"].tolist()[0] == "pt Jane Doe DOB 1/2/1980"


# --- a real run: the rejection log, the API by role, the command line -------------------------

NON_RETRYABLE = (
    "Prior auth required",
    "Coverage terminated",
    "Timely filing limit exceeded (90 days)",
    "Not medically necessary - CARC 50 N115",
    "Duplicate claim",
    "Non-covered service",
)
"""Phrasings the default policy does not resubmit: their claims go to the rejection log."""


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, list[Planted]]:
    """A real ``claimflow run`` of denied EMR claims whose reasons carry planted identifiers."""
    ws = Workspace(tmp_path_factory.mktemp("planted_run"))
    planted = planted_denials(60, seed=17, bases=NON_RETRYABLE)
    body = io.StringIO()
    writer = csv.writer(body, lineterminator="\n")
    for i, p in enumerate(planted):
        writer.writerow([f"PC{i:04d}", f"M{i:05d}", "99213", p.text, "2025-06-01", "denied"])
    ws.put("emr_alpha.csv", HEADER_ALPHA + body.getvalue())
    ws.write_config([ws.alpha_source()])
    result = ws.run()
    assert result.exit_code == 0, result.stdout + result.stderr
    return ws, planted


def _leaks(text: str, planted: list[Planted]) -> list[tuple[str, str]]:
    """Planted identifiers readable in ``text`` (a file or a response)."""
    return [m for p in planted for m in remaining(p, text)]


def test_the_rejection_log_of_a_real_run_carries_no_planted_identifier(
    planted_run: tuple[Workspace, list[Planted]],
) -> None:
    ws, planted = planted_run
    log = (ws.out / "rejection_log.csv").read_text(encoding="utf-8")
    lines = list(csv.DictReader(io.StringIO(log)))
    assert len(lines) >= 50  # nearly every claim is logged (the default policy does not retry)
    # per line: its own identifiers are gone (one test per text would be slower, not stronger)
    by_pcn = {f"PC{i:04d}": p for i, p in enumerate(planted)}
    for line in lines:
        original = by_pcn[line["claim_id"]]
        assert line["denial_reason"] == redact(original.text)
    # and no planted identifier anywhere in the file, nor in the warehouse's table
    assert _leaks(log, planted) == []
    table = "\n".join(str(r[0]) for r in ws.query("SELECT denial_reason FROM rejection_log"))
    assert _leaks(table, planted) == []
    # the classifier read the text as exported: each line's category is the original's
    classifier = classifier_with_model(0.80)
    for line in lines:
        assert line["category"] == classifier.classify(by_pcn[line["claim_id"]].text).category
    # the warehouse keeps the text as exported (PHI by design), for the classifier and auditors
    kept = {str(r[0]) for r in ws.query("SELECT denial_reason FROM claims_header")}
    assert kept == {p.text for p in planted}


def test_the_api_redacts_free_text_for_a_role_without_phi(
    planted_run: tuple[Workspace, list[Planted]],
) -> None:
    ws, planted = planted_run
    pcns = [f"PC{i:04d}" for i in range(0, len(planted), 6)]
    with serve(ApiSettings(warehouse=ws.warehouse)) as analyst:
        answers = [analyst.get(f"/claims/{pcn}") for pcn in pcns]
        assert all(a.status_code == 200 for a in answers)
        text = "\n".join(a.text for a in answers)
        claim = answers[0].json()["claims"][0]
        assert claim["denial_reason"] == redact(planted[0].text)
        assert claim["member_id"] == MASK
    assert _leaks(text, planted) == []
    with serve(
        ApiSettings(warehouse=ws.warehouse, role="auditor", phi_roles=("auditor",))
    ) as auditor:
        seen = [auditor.get(f"/claims/{pcn}").json() for pcn in pcns]
    shown = [s["claims"][0]["denial_reason"] for s in seen]
    assert shown == [planted[int(pcn[2:])].text for pcn in pcns]  # the auditor sees it all


def test_the_command_line_redacts_free_text_unless_show_phi(
    planted_run: tuple[Workspace, list[Planted]],
) -> None:
    ws, planted = planted_run
    args = ["claim", "PC0000", "--warehouse", str(ws.warehouse), "--json"]
    masked = cli(*args)
    assert masked.exit_code == 0, masked.stderr
    assert _leaks(masked.stdout, planted[:1]) == []
    shown = cli(*args, "--show-phi")
    assert shown.exit_code == 0, shown.stderr
    reasons = {c["denial_reason"] for c in json.loads(shown.stdout)["claims"]}
    assert reasons == {planted[0].text}


def test_benchmark_script_runs_small(tmp_path: Path) -> None:
    """benchmarks/redaction.py measures what docs/security.md reports (here on 40 texts)."""
    import subprocess
    import sys

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "redaction.py"
    done = subprocess.run(
        [sys.executable, str(script), "--count", "40", "--seed", "2", "--json"],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(done.stdout)
    assert result["texts"] == 40
    assert result["recall"] >= 0.99
    assert 0.9 <= result["categories_unchanged"] <= 1.0


def test_a_run_with_x12_logs_emr_and_x12_lines_redacted(tmp_path: Path) -> None:
    """A generated world (EMR exports and X12 files) with planted denial texts added to its EMR
    export: the run's log has X12 lines beside the EMR ones (the log is then read back from the
    table, sorted) and none of the planted identifiers."""
    import datetime as dt

    from claimflow.config import load_settings
    from claimflow.pipeline import run
    from claimflow.synth import generate_world

    summary = generate_world(
        tmp_path / "inbox", claims=60, seed=3, start=dt.date(2025, 1, 1), months=1, workers=1
    )
    planted = planted_denials(30, seed=19, bases=NON_RETRYABLE)
    export = tmp_path / "inbox" / "emr" / "alpha_2025-01.csv"
    header = export.read_text(encoding="utf-8").splitlines()[0]
    body = io.StringIO()
    writer = csv.writer(body, lineterminator="\n")
    for i, p in enumerate(planted):
        writer.writerow(
            [f"P{i:09d}", f"W{i:09d}", "99213", p.text, "2025-01-02", "denied", "60054",
             "1223917893", "2616135994", "100.00", "64.00", "2024-12-30", ""]
        )  # fmt: skip
    (tmp_path / "inbox" / "emr" / "alpha_planted.csv").write_text(
        f"{header}\n{body.getvalue()}", encoding="utf-8"
    )
    run(
        load_settings(summary.config),
        warehouse=tmp_path / "claimflow.duckdb",
        out_dir=tmp_path / "out",
        reference_date=dt.date(2025, 3, 20),
    )
    log = (tmp_path / "out" / "rejection_log.csv").read_text(encoding="utf-8")
    lines = list(csv.DictReader(io.StringIO(log)))
    sources = {line["source_system"] for line in lines}
    assert "alpha" in sources and sources - {"alpha", "beta", "gamma"}  # EMR and X12 lines
    logged = {line["claim_id"] for line in lines}
    assert len(logged & {f"P{i:09d}" for i in range(len(planted))}) >= 25
    assert _leaks(log, planted) == []
