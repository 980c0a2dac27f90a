"""Extraction values, read by hand off the raw X12 of small files."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

from claimflow.x12 import ParseResult, parse_file

from .conftest import CORPUS, DATA

D = Decimal


def small(name: str) -> ParseResult:
    return parse_file(DATA / "valid" / name, file_id=name)


def test_837p_header_line_and_diagnoses() -> None:
    result = small("837p_small.x12")
    (claim,) = result.tables["claims_header"]
    assert claim["patient_control_number"] == "PCN001"  # CLM01
    assert claim["claim_type"] == "professional"
    assert claim["total_charge"] == D("150.00")  # CLM02
    assert (claim["place_of_service_code"], claim["claim_frequency_code"]) == ("11", "1")
    assert claim["bill_type_code"] is None
    assert (claim["billing_npi"], claim["billing_tin"]) == ("1234567893", "123456789")
    assert claim["billing_taxonomy"] == "207Q00000X"  # PRV03
    assert (claim["member_id"], claim["payer_id"], claim["payer_name"]) == (
        "MEM001",
        "PAYER01",
        "ACME HEALTH",
    )
    assert (claim["payer_responsibility_seq"], claim["subscriber_relationship_code"]) == ("P", "18")
    assert (claim["group_number"], claim["claim_filing_indicator"]) == ("GRP100", "CI")
    assert claim["patient_dob"] == datetime.date(1980, 1, 15)
    assert claim["patient_gender"] == "M"
    assert claim["prior_auth_number"] == "AUTH77"  # REF*G1
    assert claim["rendering_npi"] == "1987654321"  # 2310B NM1*82
    # 837P statement dates are the min/max of the line DTP*472 dates
    assert claim["statement_from"] == datetime.date(2024, 1, 2)
    assert claim["statement_to"] == datetime.date(2024, 1, 3)
    assert (claim["submission_date"], claim["batch_id"]) == (datetime.date(2024, 1, 1), "BATCH1")
    assert (claim["isa_control_number"], claim["group_control_number"]) == ("000000001", "1")
    assert claim["st_control_number"] == "0001"
    assert claim["segment_index"] == 21  # the CLM is the 21st segment of the file
    first, second = result.tables["claims_line"]
    assert first["claim_id"] == second["claim_id"] == claim["claim_id"]
    assert (first["line_number"], first["procedure_code"], first["modifier_1"]) == (
        1,
        "99213",
        "25",
    )
    assert (first["line_charge"], first["units"], first["unit_basis"]) == (D("100.00"), D(1), "UN")
    assert (first["dx_pointer_1"], first["dx_pointer_2"], first["dx_pointer_3"]) == (1, 2, None)
    assert first["line_item_control_number"] == "LINE001"  # REF*6R
    assert first["rendering_npi"] == "1987654321"  # inherited from the claim
    assert second["place_of_service_code"] == "11"  # SV105 empty: CLM05-1
    assert second["service_from"] == datetime.date(2024, 1, 3)
    dx = result.tables["diagnoses"]
    assert [(d["sequence"], d["qualifier"], d["code"], d["is_principal"]) for d in dx] == [
        (1, "ABK", "J069", True),
        (2, "ABF", "R05", False),
    ]


def test_835_every_table() -> None:
    result = small("835_small.x12")
    (payment,) = result.tables["payments"]
    assert payment["total_payment_amount"] == D("70.00")
    assert payment["payment_date"] == datetime.date(2024, 2, 5)
    assert (payment["trace_number"], payment["trace_originator_id"]) == ("TRACE001", "1512345678")
    assert (payment["sender_account_last4"], payment["receiver_account_last4"]) == ("6789", "4321")
    assert (payment["payer_id"], payment["payee_id"], payment["payee_tin"]) == (
        "PAYER01",
        "1234567893",
        "123456789",
    )
    assert payment["production_date"] == datetime.date(2024, 2, 1)
    claims = result.tables["adjudication"]
    assert [c["patient_control_number"] for c in claims] == ["PCN001", "PCN002", "PCN003"]
    first, denied, reversal = claims
    assert (first["paid_amount"], first["patient_responsibility"]) == (D("110.00"), D("5.00"))
    assert first["statement_from"] == datetime.date(2024, 1, 2)
    assert first["patient_member_id"] == "MEM001"
    assert (denied["is_denied"], denied["record_type"]) == (True, "original")
    assert reversal["record_type"] == "reversal"
    assert (reversal["total_charge"], reversal["paid_amount"]) == (D("-50.00"), D("-30.00"))
    lines = result.tables["adjudication_line"]
    assert [(x["procedure_code"], x["line_charge"], x["line_paid"]) for x in lines] == [
        ("99213", D("100.00"), D("80.00")),
        ("85025", D("50.00"), D("30.00")),
    ]
    assert (lines[0]["allowed_amount"], lines[0]["line_item_control_number"]) == (
        D("80.00"),
        "LINE001",
    )
    adjustments = result.tables["adjustments"]
    summary = [(a["level"], a["group_code"], a["reason_code"], a["amount"]) for a in adjustments]
    assert summary == [
        ("line", "CO", "45", D("20.00")),
        ("line", "CO", "45", D("15.00")),
        ("line", "PR", "2", D("5.00")),
        ("claim", "CO", "50", D("80.00")),
        ("claim", "CO", "45", D("-20.00")),
    ]
    assert adjustments[2]["quantity"] == D(1)
    assert adjustments[2]["is_patient_responsibility"] is True
    assert adjustments[3]["adjudication_line_id"] is None
    remarks = [
        (r["level"], r["source_segment"], r["remark_code"]) for r in result.tables["remarks"]
    ]
    assert remarks == [("line", "LQ", "N130"), ("claim", "MOA", "MA130")]
    (plb,) = result.tables["provider_adjustments"]
    assert (plb["reason_code"], plb["reference_id"], plb["amount"]) == ("WO", "ICN0009", D("10.00"))
    assert plb["fiscal_period_date"] == datetime.date(2024, 12, 31)


def test_keys_are_deterministic_and_lineage_differs_per_row() -> None:
    a, b = small("835_small.x12"), small("835_small.x12")
    assert a.tables == b.tables
    hashes = [r["lineage_hash"] for rows in a.tables.values() for r in rows]
    assert len(hashes) == len(set(hashes))
    assert all(isinstance(h, str) and len(h) == 64 for h in hashes)
    other = parse_file(DATA / "valid" / "835_small.x12", file_id="another")
    assert other.tables["payments"][0]["payment_id"] != a.tables["payments"][0]["payment_id"]


def test_837_cob_adjustments_from_svd_loop() -> None:
    name = (
        "kputnam__stupidedi/spec__fixtures__005010__X222A1_HC837_Health_Care_Claim_Professional"
        "__pass__medicare-secondary-payer-COB.edi"
    )
    result = parse_file(CORPUS / name, file_id="cob")
    rows = result.tables["adjustments"]
    # the file's 2430 loop: SVD*59999*80*HC:99203:25**1 then CAS*CO*42*25 and CAS*PR*2*15
    assert [(r["group_code"], r["reason_code"], r["amount"]) for r in rows] == [
        ("CO", "42", D("25")),
        ("PR", "2", D("15")),
    ]
    assert {(r["source"], r["level"]) for r in rows} == {("837_cob", "line")}
    (line,) = result.tables["claims_line"]
    assert {r["claim_line_id"] for r in rows} == {line["claim_line_id"]}


def test_837i_bill_type_and_icd_procedures() -> None:
    name = (
        "Inteligenz__X12Parser/tests__OopFactory.X12.Hipaa.Tests.Unit__Claims__TestData__"
        "InstitutionalClaim5010.txt"
    )
    result = parse_file(CORPUS / name, file_id="i")
    (claim,) = result.tables["claims_header"]
    assert claim["claim_type"] == "institutional"
    assert claim["bill_type_code"] == "141"  # CLM05 14:A:1
    assert claim["drg_code"] == "123"  # HI*DR
    procedures = result.tables["procedures_icd"]
    assert [(p["qualifier"], p["code"], p["procedure_date"]) for p in procedures] == [
        ("BBR", "0B110F5", datetime.date(2005, 3, 21)),
        ("BBQ", "02139Y3", datetime.date(2005, 3, 21)),
        ("BBQ", "4A025N8", datetime.date(2005, 3, 10)),
    ]


def test_999_rows_with_ctx() -> None:
    result = parse_file(
        CORPUS / "xlate__staedi/src__test__resources__x12__simple999.edi", file_id="a"
    )
    acks = result.tables["ack_999"]
    assert [(a["ack_st_control_number"], a["transaction_ack_code"]) for a in acks] == [
        ("0001", "A"),
        ("0002", "R"),
        ("0003", "R"),
    ]
    assert {a["ack_group_control_number"] for a in acks} == {"17456"}
    assert {(a["group_ack_code"], a["ts_included"], a["ts_accepted"]) for a in acks} == {
        ("P", 3, 1)
    }
    first, second = result.tables["ack_999_errors"]
    assert (first["segment_id"], first["segment_position"], first["segment_error_code"]) == (
        "CLM",
        22,
        "8",
    )
    assert (first["element_position"], first["element_ref"], first["element_error_code"]) == (
        2,
        "782",
        "1",
    )
    assert first["context"] == "CLM01:123456789"
    assert (second["segment_id"], second["segment_error_code"]) == ("REF", "3")
    assert second["context"] == "CLM01:987654321"


def test_277ca_levels() -> None:
    name = "imsweb__x12-parser/src__test__resources__277_5010__x12_277CA_accepted.txt"
    rows = parse_file(CORPUS / name, file_id="c").tables["ack_277ca"]
    assert [r["level"] for r in rows] == ["receiver", "claim"]
    receiver, claim = rows
    assert (receiver["status_category_code"], receiver["total_charge"]) == ("A1", D("125.0"))
    assert claim["patient_control_number"] == "5781"  # 2200D TRN02
    assert claim["billing_npi"] == "1234567890"  # 2100C NM109
    assert claim["patient_member_id"] == "LL99999X"  # 2100D NM109
    assert claim["bht_reference"] == "000000674"


def test_277ca_batch_summary() -> None:
    name = "imsweb__x12-parser/src__test__resources__277_5010__x12_277CA_accepted.txt"
    rows = parse_file(CORPUS / name, file_id="c").tables["ack_277ca_summary"]
    receiver = rows[0]
    # 2200B: TRN*2*000000674, QTY*90*1, AMT*YU*125.0
    assert (receiver["level"], receiver["trace_number"]) == ("receiver", "000000674")
    assert (receiver["accepted_quantity"], receiver["accepted_amount"]) == (D(1), D("125.0"))
    assert receiver["rejected_quantity"] is None


def test_an_npi_that_fails_the_check_digit_is_a_warning_with_its_coordinates() -> None:
    from claimflow.x12 import parse_bytes

    small = (DATA / "valid" / "837p_small.x12").read_bytes()
    # 1234567893 is valid: Luhn over 80840123456789 → 24 + (9+8+5+6+1+4+6+2+2) = 67 → 3
    assert b"NM1*85*2*BILLING CLINIC*****XX*1234567893~" in small
    clean = parse_bytes(small, file_id="ok")
    assert not [w for w in clean.warnings if w.bad_value == "1234567893"]
    broken = parse_bytes(small.replace(b"XX*1234567893~", b"XX*1234567890~"), file_id="bad")
    warnings = [w for w in broken.warnings if w.bad_value == "1234567890"]
    assert len(warnings) == 1
    w = warnings[0]
    assert (w.segment_id, w.loop_id, w.element_position) == ("NM1", "2010AA", 9)
    assert "should be 3" in w.message
    # a warning: the set stays valid and loads, the claim keeps the NPI as sent
    assert broken.errors == [] and all(t.valid for t in broken.transactions)
    assert broken.tables["claims_header"][0]["billing_npi"] == "1234567890"


def test_an_amount_past_the_cents_is_reported_not_rounded_and_a_weight_is_kept(
    tmp_path: Path,
) -> None:
    # the tables keep money as DECIMAL(18,2): CLP03 = 150.005 cannot be stored without
    # rounding, so it is an error at CLP03; a DRG weight (CLP12) keeps its four decimals
    text = (DATA / "valid" / "835_small.x12").read_text()
    clp = "CLP*PCN001*1*150.00*110.00*5.00*12*ICN0001*11*1"
    assert clp in text
    path = tmp_path / "cents.x12"
    path.write_text(text.replace(clp, "CLP*PCN001*1*150.005*110.00*5.00*12*ICN0001*11*1***1.2345"))
    result = parse_file(path, file_id="cents")
    (error,) = [e for e in result.errors if e.code == "element_invalid"]
    assert (error.segment_id, error.element_position, error.bad_value) == ("CLP", 3, "150.005")
    assert "dollars and cents" in error.message
    claim = result.tables["adjudication"][0]
    assert claim["total_charge"] is None
    assert claim["drg_weight"] == D("1.2345")
