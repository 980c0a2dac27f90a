"""Recommended fixes: NPI check digits, the worklist sentence, and the code-combination cache."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from claimflow.denials.cache import classify_inputs
from claimflow.denials.classifier import DenialClassifier, DenialInput
from claimflow.resubmit.fixes import npi_is_valid, recommend
from claimflow.warehouse.connection import open_warehouse
from claimflow.x12 import parse_file, write_837
from tests.conftest import REPO, Workspace, cli

# The NPI check digit by hand (CMS: Luhn over "80840" + the first nine digits).
# For 987654321, the digits of 80840987654321 from the right, doubling every other one starting
# with the rightmost: doubled 1 3 5 7 9 4 0 -> 2 6 (10->1) (14->5) (18->9) 8 0 = 31; kept
# 2 4 6 8 0 8 8 = 36; total 67, so the check digit is (10 - 7) % 10 = 3.
VALID_NPI = "9876543213"
BAD_NPI = "9876543210"  # the same provider's NPI with one digit mistyped: the check digit fails
OTHER_TIN_VALID = "1234567893"  # the CMS documentation's example of a valid NPI

DENIAL_835 = REPO / "tests" / "data" / "x12" / "resubmit" / "denial_modifier25.835"


def test_check_digit() -> None:
    assert npi_is_valid(VALID_NPI) and npi_is_valid(OTHER_TIN_VALID)
    assert [d for d in "0123456789" if npi_is_valid("987654321" + d)] == ["3"]
    assert not npi_is_valid(BAD_NPI) and not npi_is_valid("98765") and not npi_is_valid(None)


def _claim(cid: str, pcn: str, tin: str, rendering: str, member: str) -> dict[str, object]:
    return {
        "claim_id": cid, "patient_control_number": pcn, "total_charge": Decimal("150"),
        "place_of_service_code": "11", "claim_frequency_code": "1", "billing_npi": "1234567893",
        "billing_tin": tin, "rendering_npi": rendering, "payer_id": "P1",
        "payer_name": "ACME HEALTH", "member_id": member, "patient_dob": dt.date(1980, 1, 1),
        "patient_gender": "F", "claim_type": "professional", "assignment_code": "A",
        "benefits_assignment": "Y", "release_of_info": "Y", "payer_responsibility_seq": "P",
        "subscriber_relationship_code": "18", "claim_filing_indicator": "CI",
    }  # fmt: skip


def _world(ws: Workspace, *, known_valid: bool) -> None:
    """PCN1 goes out with a mistyped rendering NPI; the 835 denies it CO-16 with N290.

    When ``known_valid``, another claim of the same billing tax id carries the provider's
    valid NPI.
    """
    headers = [_claim("c1", "PCN1", "123456789", BAD_NPI, "M001")]
    if known_valid:
        headers.append(_claim("c2", "PCN2", "123456789", VALID_NPI, "M002"))
    headers.append(_claim("c3", "PCN3", "999999999", OTHER_TIN_VALID, "M003"))
    lines = [
        {"claim_id": h["claim_id"], "claim_line_id": f"{h['claim_id']}l1", "line_number": 1,
         "procedure_qualifier": "HC", "procedure_code": "99213", "line_charge": Decimal("150"),
         "unit_basis": "UN", "units": 1, "service_from": dt.date(2025, 1, 10), "dx_pointer_1": 1}
        for h in headers
    ]  # fmt: skip
    dx = [{"claim_id": h["claim_id"], "sequence": 1, "qualifier": "ABK", "code": "M1711"}
          for h in headers]  # fmt: skip
    ws.put("claims.837", write_837(headers, lines, dx, when=dt.datetime(2025, 1, 15, 9, 0)))
    segments = [seg.strip() for seg in DENIAL_835.read_text().split("~") if seg.strip()]
    clp = segments.index("CLP*PCN1*4*150*0**12*ICN0001*11*1")
    segments[clp + 3 :] = [
        "SVC*HC:99213*150*0**1", "DTM*472*20250110", "CAS*CO*16*150", "LQ*HE*N290",
        "SE*20*0001", "GE*1*7", "IEA*1*000000007",
    ]  # fmt: skip
    remit = "~\n".join(segments) + "~\n"
    ws.put("remit.835", remit)
    ws.write_config([{"name": "ch", "source_system": "ch", "format": "x12", "pattern": "inbox/*"}])


def test_mistyped_npi_is_replaced_by_the_providers_valid_one(workspace: Workspace) -> None:
    ws = workspace
    _world(ws, known_valid=True)
    metrics = ws.run("--json", reference_date="2025-03-10").json()
    assert metrics["x12_resubmissions"]["resubmitted"] == 1, metrics["x12_resubmissions"]
    (candidate,) = [c for c in ws.candidates() if c.get("trigger") == "835"]
    assert candidate["category"] == "provider_data"
    assert candidate["recommended_change"].startswith(
        f"Replace rendering NPI {BAD_NPI}: it fails the check digit; use {VALID_NPI}"
    )
    parsed = parse_file(ws.out / "corrected_claims.x12", file_id="corrected")
    assert parsed.errors == []
    (claim,) = parsed.tables["claims_header"]
    assert (claim["patient_control_number"], claim["rendering_npi"]) == ("PCN1", VALID_NPI)
    assert claim["claim_frequency_code"] == "7"


def test_no_known_valid_npi_goes_to_a_person_with_the_reason(workspace: Workspace) -> None:
    ws = workspace
    _world(ws, known_valid=False)  # the only valid NPI on file is another tax id's
    metrics = ws.run("--json", reference_date="2025-03-10").json()
    assert metrics["x12_resubmissions"]["resubmitted"] == 0
    assert not (ws.out / "corrected_claims.x12").exists()
    (logged,) = ws.query(
        "SELECT patient_control_number, reason, recommended_fix FROM rejection_log"
    )
    assert logged[:2] == ("PCN1", "no_deterministic_fix")
    assert logged[2].startswith(f"Replace rendering NPI {BAD_NPI}: it fails the check digit")
    assert "no valid NPI is on file" in logged[2] and OTHER_TIN_VALID not in logged[2]
    csv_lines = (ws.out / "rejection_log.csv").read_text().splitlines()
    assert csv_lines[0].endswith(",recommended_fix")
    listed = cli("worklist", "--warehouse", str(ws.warehouse), "--json").json()
    assert [(r["patient_control_number"], r["recommended_fix"]) for r in listed] == [
        ("PCN1", logged[2])
    ]


def test_every_logged_row_has_a_fix_a_biller_acts_on(workspace: Workspace) -> None:
    from tests.conftest import HEADER_ALPHA

    ws = workspace
    ws.put(
        "d.csv",
        HEADER_ALPHA
        + "C1,P1,99213,Authorization expired,2025-07-01,denied\n"
        + "C2,,99213,Missing modifier,2025-07-01,denied\n"
        + "C3,P3,99213,zzz qqq,2025-07-01,denied\n",
    )
    ws.write_config([ws.alpha_source()])
    ws.run()
    fixes = dict(ws.query("SELECT patient_control_number, recommended_fix FROM rejection_log"))
    assert fixes["C1"].startswith("Request a new authorization")
    assert fixes["C2"].startswith("Add the patient's member id")
    assert fixes["C3"].startswith("Read the denial and decide its cause")
    assert all(fixes.values())


def test_sentences_name_the_codes() -> None:
    state = {"group_code": "CO", "carc": "50", "rarcs": []}
    assert recommend("medical_necessity", reason="not_resubmittable", state=state) == (
        "Appeal with medical records: medical necessity (CARC CO-50)"
    )
    state = {"status_category_code": "A7", "status_code": "562", "entity_code": "85"}
    eligibility = recommend("eligibility", reason="no_deterministic_fix", state=state)
    assert eligibility == (
        "Verify the member id and coverage with the payer: eligibility (277CA A7:562:85)"
    )
    assert recommend(
        "authorization", reason="no_deterministic_fix", lines=[{"procedure_code": "72148"}]
    ).startswith("Find or obtain the prior authorization for 72148")


def test_code_combinations_are_classified_once_per_version(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    conn = open_warehouse(tmp_path / "w.duckdb")
    classifier = DenialClassifier()
    items = [
        DenialInput(group_code="CO", carc="16", rarcs=("N290",)),
        DenialInput(group_code="CO", carc="16", rarcs=("N290",)),  # the same input again
        DenialInput(group_code="co", carc="16", rarcs=(" n290",)),  # the same, spelled loosely
        DenialInput(status_category="A7", status_code="562", entity_code="85"),
    ]
    try:
        first, new = classify_inputs(conn, classifier, items, run_id="r1")
        assert new == 2
        second, again = classify_inputs(conn, classifier, items, run_id="r2")
        assert again == 0
        assert {k: v.category for k, v in first.items()} == {
            k: v.category for k, v in second.items()
        }
        rows = conn.execute(
            "SELECT run_id, count(*) FROM denial_text_classifications GROUP BY 1"
        ).fetchall()
        assert rows == [("r1", 2)]
    finally:
        conn.close()


def test_a_second_run_classifies_no_code_combination_again(workspace: Workspace) -> None:
    ws = workspace
    _world(ws, known_valid=False)
    ws.run(reference_date="2025-03-10")
    before = ws.query(
        "SELECT normalized_text, run_id FROM denial_text_classifications"
        " WHERE normalized_text LIKE 'codes|%'"
    )
    assert len(before) == 1 and before[0][0].startswith("codes|CO|16|N290|")
    ws.run(reference_date="2025-03-11")
    after = ws.query(
        "SELECT normalized_text, run_id FROM denial_text_classifications"
        " WHERE normalized_text LIKE 'codes|%'"
    )
    assert after == before  # reused, not classified again
    first_run = ws.query("SELECT min_by(run_id, started_at) FROM runs")[0][0]
    assert before[0][1] == first_run
