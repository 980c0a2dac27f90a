"""An 837 goes out, an 835 denies it for a missing modifier, claimflow writes the corrected claim."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from claimflow.x12 import parse_file, write_837
from tests.conftest import REPO, Workspace

DENIAL_835 = REPO / "tests" / "data" / "x12" / "resubmit" / "denial_modifier25.835"


def _submit_837(ws: Workspace) -> None:
    """The claim as submitted: 99214 and 20610 the same day, no modifier 25 on the E/M."""
    header = {
        "claim_id": "c1", "patient_control_number": "PCN1", "total_charge": Decimal("150"),
        "place_of_service_code": "11", "claim_frequency_code": "1", "billing_npi": "1234567893",
        "billing_tin": "123456789", "payer_id": "P1", "payer_name": "ACME HEALTH",
        "member_id": "M001", "patient_dob": dt.date(1980, 1, 1), "patient_gender": "F",
        "claim_type": "professional", "assignment_code": "A", "benefits_assignment": "Y",
        "release_of_info": "Y", "payer_responsibility_seq": "P",
        "subscriber_relationship_code": "18", "claim_filing_indicator": "CI",
    }  # fmt: skip
    lines = [
        {"claim_id": "c1", "claim_line_id": f"l{n}", "line_number": n, "procedure_qualifier": "HC",
         "procedure_code": code, "line_charge": Decimal(charge), "unit_basis": "UN", "units": 1,
         "service_from": dt.date(2025, 1, 10), "dx_pointer_1": 1}
        for n, code, charge in ((1, "99214", "100"), (2, "20610", "50"))
    ]  # fmt: skip
    dx = [{"claim_id": "c1", "sequence": 1, "qualifier": "ABK", "code": "M1711"}]
    data = write_837([header], lines, dx, when=dt.datetime(2025, 1, 15, 9, 0))
    ws.put("claims.837", data)
    shutil.copy(DENIAL_835, ws.inbox / "remit.835")
    ws.write_config([{"name": "ch", "source_system": "ch", "format": "x12", "pattern": "inbox/*"}])


def test_denial_for_missing_modifier_becomes_a_corrected_claim(workspace: Workspace) -> None:
    ws = workspace
    _submit_837(ws)
    result = ws.run("--json", reference_date="2025-03-10")
    assert result.exit_code == 0, result.stdout + result.stderr
    metrics = result.json()
    assert metrics["matching"]["by_method"]["835:exact_pcn"] == 1
    assert metrics["x12_resubmissions"]["resubmitted"] == 1
    (candidate,) = [c for c in ws.candidates() if c.get("trigger") == "835"]
    assert candidate["claim_id"] == "PCN1" and candidate["category"] == "coding"
    assert candidate["recommended_change"].startswith("Add modifier 25 to line 1 (99214)")
    assert (candidate["frequency_code"], candidate["payer_claim_control_number"]) == (
        "7",
        "ICN0001",
    )
    corrected = ws.out / "corrected_claims.x12"
    parsed = parse_file(corrected, file_id="corrected")
    assert parsed.errors == []
    (claim,) = parsed.tables["claims_header"]
    assert (claim["claim_frequency_code"], claim["original_payer_claim_control_number"]) == (
        "7",
        "ICN0001",
    )
    modifiers = {
        line["procedure_code"]: line["modifier_1"] for line in parsed.tables["claims_line"]
    }
    assert modifiers == {"99214": "25", "20610": None}
    isa = corrected.read_bytes().split(b"~", 1)[0].split(b"*")
    assert isa[13] == b"000000001"  # the first interchange from this sender to this receiver
    # the same inputs again: nothing new is resubmitted or logged, and the last run's file is
    # not left in place to be sent a second time; the warehouse remembers what it held
    again = ws.run("--json", reference_date="2025-03-11").json()
    assert again["x12_resubmissions"]["resubmitted"] == 0
    assert not corrected.exists()
    assert ws.query("SELECT count(*), max(attempt) FROM resubmissions") == [(1, 1)]
    assert ws.query(
        "SELECT control_number, transaction_set, claims, run_id FROM outbound_interchanges"
    ) == [(1, "837P", 1, metrics["run_id"])]


def test_pyx12_accepts_the_corrected_claim(workspace: Workspace) -> None:
    ws = workspace
    _submit_837(ws)
    ws.run(reference_date="2025-03-10")
    x12valid = Path(sys.executable).parent / "x12valid"
    proc = subprocess.run(
        [str(x12valid), str(ws.out / "corrected_claims.x12")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    # pyx12 exits 1 even on valid files: judge by the ERROR lines it logs
    errors = [line for line in (proc.stdout + proc.stderr).splitlines() if " ERROR " in line]
    assert errors == []


def test_closed_filing_window_goes_to_the_worklist(workspace: Workspace) -> None:
    ws = workspace
    _submit_837(ws)
    # date of service 2025-01-10 + 365 days is past, with the 7-day buffer, on 2026-01-05
    metrics = ws.run("--json", reference_date="2026-01-05").json()
    assert metrics["x12_resubmissions"]["by_reason"] == {"timely_filing_window_closed": 1}
    assert not (ws.out / "corrected_claims.x12").exists()
    rows = [line.split(",") for line in (ws.out / "rejection_log.csv").read_text().splitlines()[1:]]
    assert [(r[2], r[4]) for r in rows] == [("PCN1", "timely_filing_window_closed")]
    amount = ws.query("SELECT amount FROM rejection_log")
    assert amount == [(Decimal("150.00"),)]
    json.dumps(metrics)


def test_worklist_and_resubmit_commands(workspace: Workspace) -> None:
    from tests.conftest import cli

    ws = workspace
    _submit_837(ws)
    ws.run(reference_date="2026-01-05")  # window closed: goes to the worklist
    listed = cli("worklist", "--warehouse", str(ws.warehouse), "--json").json()
    assert [(r["patient_control_number"], r["reason"], r["amount"]) for r in listed] == [
        ("PCN1", "timely_filing_window_closed", "150.00")  # money: a decimal string
    ]
    # re-deciding with an earlier reference date (as a user correcting a mistaken run date)
    # reads no file and resubmits from what the warehouse holds
    again = cli(
        "resubmit", "--config", str(ws.config), "--warehouse", str(ws.warehouse),
        "--out", str(ws.root / "again"), "--reference-date", "2025-03-10", "--json",
    ).json()  # fmt: skip
    assert again["conservation"]["files_seen"] == 0
    assert again["x12_resubmissions"]["resubmitted"] == 1
    assert (ws.root / "again" / "corrected_claims.x12").exists()
    assert cli("worklist", "--warehouse", str(ws.warehouse), "--json").json() == []


def test_corrected_dental_and_institutional_claims_keep_their_teeth_and_procedures(
    tmp_path: Path,
) -> None:
    """The corrected-claim file carries what an 837D or 837I holds beyond lines and diagnoses."""
    from claimflow.config import ResubmissionPolicy
    from claimflow.denials.classifier import DenialClassifier
    from claimflow.resubmit.remits import Plan, write_corrected_claims
    from claimflow.sources.x12 import TABLES_BY_NAME
    from claimflow.warehouse.arrow import insert_dict_rows
    from claimflow.warehouse.connection import open_warehouse
    from claimflow.warehouse.parts import ensure_part
    from claimflow.x12 import parse_bytes

    base = {
        "total_charge": Decimal("300"), "claim_frequency_code": "1", "billing_npi": "1234567893",
        "billing_tin": "123456789", "payer_id": "P1", "payer_name": "ACME DENTAL",
        "member_id": "M001", "patient_dob": dt.date(1980, 1, 1), "patient_gender": "F",
        "assignment_code": "A", "benefits_assignment": "Y", "release_of_info": "Y",
        "payer_responsibility_seq": "P", "subscriber_relationship_code": "18",
        "claim_filing_indicator": "CI", "source_system": "ch",
    }  # fmt: skip
    dental = {**base, "claim_id": "d1", "patient_control_number": "DENT1", "claim_type": "dental",
              "place_of_service_code": "11"}  # fmt: skip
    inpatient = {**base, "claim_id": "i1", "patient_control_number": "INPT1",
                 "claim_type": "institutional", "bill_type_code": "111",
                 "statement_from": dt.date(2025, 1, 5), "statement_to": dt.date(2025, 1, 8),
                 "admission_date": dt.date(2025, 1, 5)}  # fmt: skip
    lines = [
        {"claim_id": "d1", "claim_line_id": "dl1", "line_number": 1, "procedure_qualifier": "AD",
         "procedure_code": "D2391", "line_charge": Decimal("300"), "units": Decimal("1"),
         "service_from": dt.date(2025, 1, 10), "service_to": dt.date(2025, 1, 10)},
        {"claim_id": "i1", "claim_line_id": "il1", "line_number": 1, "revenue_code": "0120",
         "line_charge": Decimal("300"), "unit_basis": "DA", "units": Decimal("3")},
    ]  # fmt: skip
    diagnoses = [
        {"claim_id": "d1", "sequence": 1, "qualifier": "ABK", "code": "K0252"},
        {"claim_id": "i1", "sequence": 1, "qualifier": "ABK", "code": "I214"},
    ]
    teeth = [
        {"tooth_id": "t1", "claim_id": "d1", "claim_line_id": "dl1", "sequence": 1,
         "code_qualifier": "JP", "tooth_code": "14", "surfaces": "MOD"},
    ]  # fmt: skip
    procedures = [
        {"procedure_id": "p1", "claim_id": "i1", "sequence": 1, "qualifier": "BBR",
         "code": "02703ZZ", "procedure_date": dt.date(2025, 1, 6), "is_principal": True},
    ]  # fmt: skip
    conn = open_warehouse(tmp_path / "w.duckdb")
    try:
        for table, rows in (
            ("claims_header", [dental, inpatient]), ("claims_line", lines),
            ("diagnoses", diagnoses), ("claim_line_teeth", teeth), ("procedures_icd", procedures),
        ):  # fmt: skip
            schema = TABLES_BY_NAME[table]
            target = schema.name
            if schema.partitioned:  # silver claims are views over one part per source
                target = ensure_part(conn, schema, "ch", schema.column_names)
            insert_dict_rows(conn, schema, target, rows, {})
        verdict = DenialClassifier().classify("Missing modifier")
        plans = [
            Plan({"claim_id": c, "trigger": "277ca"}, verdict, "resubmit", "eligible")
            for c in ("d1", "i1")
        ]
        target = tmp_path / "corrected_claims.x12"
        when = dt.datetime(2025, 3, 1, 9, 0)
        written = write_corrected_claims(
            conn, plans, target, published=target, when=when, policy=ResubmissionPolicy(),
            run_id="r1",
        )  # fmt: skip
        assert written == 2
    finally:
        conn.close()
    parsed = parse_bytes(target.read_bytes(), file_id="corrected")
    assert parsed.errors == []
    kinds = {h["patient_control_number"]: h["claim_type"] for h in parsed.tables["claims_header"]}
    assert kinds == {"DENT1": "dental", "INPT1": "institutional"}
    assert [(t["tooth_code"], t["surfaces"]) for t in parsed.tables["claim_line_teeth"]] == [
        ("14", "MOD")
    ]
    assert [(p["code"], p["procedure_date"]) for p in parsed.tables["procedures_icd"]] == [
        ("02703ZZ", dt.date(2025, 1, 6))
    ]
