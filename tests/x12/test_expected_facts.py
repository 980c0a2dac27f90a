"""EXPECTED_FACTS.md as tests: the values other projects assert must come out of our tables.

Each test names the fact number of ``tests/data/x12/corpus/EXPECTED_FACTS.md``. Expected values
are copied from that file (or read off the raw X12 by hand where the fact is a count).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from claimflow.x12 import ErrorKind, ParseResult, iter_segments, parse_file

from .conftest import CORPUS

TIGER = "zentist__TigerShark/"
KEIRON = "keironstoddart__edi-835-parser/tests__test_edi_835_files__"
IMS = "imsweb__x12-parser/src__test__resources__"


def parse(name: str, keep_segments: bool = False) -> ParseResult:
    return parse_file(CORPUS / name, file_id=name, keep_segments=keep_segments)


def elements(
    result: ParseResult, segment_id: str | None = None, loop_id: str | None = None
) -> list[list[str]]:
    """Element lists (without the id) of the kept segments matching id and loop."""
    found = []
    for row in result.tables["x12_segments"]:
        if segment_id is not None and row["segment_id"] != segment_id:
            continue
        if loop_id is not None and row["loop_id"] != loop_id:
            continue
        values = row["elements"]
        assert isinstance(values, list)
        found.append([str(v) for v in values])
    return found


def rows(result: ParseResult, table: str, **where: object) -> list[dict[str, object]]:
    return [r for r in result.tables[table] if all(r[k] == v for k, v in where.items())]


# ---------------------------------------------------------------- facts 1-4: TigerShark 835


def test_fact_1_payment_header() -> None:
    result = parse(TIGER + "tests__5010-835-example-1.txt")
    (payment,) = result.tables["payments"]
    assert payment["total_payment_amount"] == Decimal("1790.00")
    assert payment["credit_debit_flag"] == "C"
    assert payment["payment_method_code"] == "CHK"
    assert payment["payment_date"] == datetime.date(2011, 9, 30)
    assert payment["trace_number"] == "123456789"
    assert payment["trace_originator_id"] == "1123456789"
    assert payment["payer_name"] == "DENTAL PAYER NAME"
    assert payment["payee_tin"] == "123456789"


def test_fact_2_claims_lines_and_pipe_component_separator() -> None:
    result = parse(TIGER + "tests__5010-835-example-1.txt")
    claims = result.tables["adjudication"]
    assert len(claims) == 3
    first = claims[0]
    assert first["patient_control_number"] == "PRECERTIFICATION"
    assert first["claim_status_code"] == "25"
    assert first["payer_received_date"] == datetime.date(2011, 9, 8)
    lines = rows(result, "adjudication_line", adjudication_id=first["adjudication_id"])
    assert len(lines) == 7
    line = lines[0]
    assert (line["procedure_qualifier"], line["procedure_code"]) == ("AD", "D1110")
    assert line["line_charge"] == Decimal("90")
    assert line["line_paid"] == Decimal("80")
    assert line["allowed_amount"] == Decimal("80")
    adjustments = rows(result, "adjustments", adjudication_line_id=line["adjudication_line_id"])

    def total(group: str) -> Decimal:
        amounts = [a["amount"] for a in adjustments if a["group_code"] == group]
        return sum((a for a in amounts if isinstance(a, Decimal)), Decimal(0))

    # TigerShark sums adjustments per group; a group with no CAS sums to zero.
    assert total("CO") == Decimal("10.0")
    assert total("PR") == Decimal("0.0")


def test_fact_3_revenue_code_line() -> None:
    result = parse(TIGER + "tests__5010-835-example-2.txt")
    (payment,) = result.tables["payments"]
    assert payment["total_payment_amount"] == Decimal("100.00")
    assert payment["payer_name"] == "PAYER NAME"
    claims = result.tables["adjudication"]
    assert len(claims) == 2
    (line,) = rows(result, "adjudication_line", adjudication_id=claims[0]["adjudication_id"])
    assert (line["procedure_qualifier"], line["procedure_code"]) == ("NU", "0450")
    assert (line["line_charge"], line["line_paid"]) == (Decimal("2083"), Decimal("100"))
    assert line["allowed_amount"] == Decimal("100")


def test_fact_4_zero_paid_claim() -> None:
    result = parse(TIGER + "tests__5010-835-example-3.txt")
    assert result.tables["payments"][0]["total_payment_amount"] == Decimal("57.44")
    claims = result.tables["adjudication"]
    assert len(claims) == 2
    assert claims[0]["claim_status_code"] == "1"
    assert claims[0]["paid_amount"] == Decimal("0")
    (line,) = rows(result, "adjudication_line", adjudication_id=claims[0]["adjudication_id"])
    assert line["line_charge"] == Decimal("1088")
    assert line["line_paid"] == Decimal("0")
    # TigerShark reports allowed 0 for a line without AMT*B6; we keep what the file says.
    assert line["allowed_amount"] is None


# ---------------------------------------------------------------- facts 5-6: segment streams


@pytest.mark.parametrize(
    ("name", "count", "second", "first_nm1"),
    [
        (
            "tests__5010-837-institutional-example.txt",
            92,
            "GS*HC*XXXXXXX*XXXXX*20170617*1741*101*X*005010X223A2",
            "NM1*41*2*JONES HOSPITAL*****46*12345",
        ),
        (
            "tests__5010-837-professional-example.txt",
            45,
            None,
            "NM1*41*2*SUBMITTER*****46*ABC123",
        ),
    ],
)
def test_facts_5_6_segment_stream(
    name: str, count: int, second: str | None, first_nm1: str
) -> None:
    with (CORPUS / TIGER / name).open("rb") as stream:
        segments = ["*".join(els) for _, els in iter_segments(stream)]
    assert len(segments) == count
    if second is not None:
        assert segments[1] == second
    assert next(s for s in segments if s.startswith("NM1")) == first_nm1


def test_fact_6_guide_of_professional_example() -> None:
    result = parse(TIGER + "tests__5010-837-professional-example.txt")
    assert [t.guide for t in result.transactions] == ["005010X222A1"]
    assert result.groups[0].version == "005010X222A1"
    assert [t.kind for t in result.transactions] == ["837P"]


# ---------------------------------------------------------------- facts 7-10: edi-835-parser


def _paid(result: ParseResult) -> Decimal:
    paid = [r["line_paid"] for r in result.tables["adjudication_line"]]
    return sum((p for p in paid if isinstance(p, Decimal)), Decimal(0))


def test_fact_7_blue_cross_without_envelope() -> None:
    result = parse(KEIRON + "blue_cross_nc_sample.txt")
    assert len(result.tables["adjudication"]) == 1
    assert len({r["patient_member_id"] for r in result.tables["adjudication"]}) == 1
    lines = result.tables["adjudication_line"]
    assert len(lines) == 3
    (payment,) = result.tables["payments"]
    assert _paid(result) == Decimal("1922.86") == payment["total_payment_amount"]
    assert payment["payer_name"] == "BLUE CROSS AND BLUE SHIELD OF NORTH CAROLINA"
    line = lines[0]
    assert (line["procedure_qualifier"], line["procedure_code"]) == ("HC", "59430")
    assert line["line_charge"] == Decimal("1210.00")
    assert line["allowed_amount"] == Decimal("1175.40")
    assert line["line_paid"] == Decimal("1057.86")
    adjustments = rows(result, "adjustments", adjudication_line_id=line["adjudication_line_id"])
    found = {(a["group_code"], a["reason_code"]): a["amount"] for a in adjustments}
    assert found == {("CO", "42"): Decimal("34.60"), ("PR", "2"): Decimal("117.54")}
    assert "isa_missing" in {e.code for e in result.errors}


def test_fact_8_united_healthcare() -> None:
    result = parse(KEIRON + "united_healthcare_legacy_sample.txt")
    assert len(result.tables["adjudication"]) == 2
    lines = result.tables["adjudication_line"]
    assert len(lines) == 5
    payment = result.tables["payments"][0]
    assert _paid(result) == Decimal("349.99") == payment["total_payment_amount"]
    assert payment["payer_name"] == "UNITED HEALTHCARE INSURANCE COMPANY"
    line = lines[0]
    assert (line["procedure_qualifier"], line["procedure_code"]) == ("HC", "B4152")
    assert line["units_paid"] == Decimal("234")
    assert line["line_charge"] == Decimal("156.42")
    assert line["allowed_amount"] == Decimal("88.92")
    assert line["line_paid"] == Decimal("88.92")
    adjustments = rows(result, "adjustments", adjudication_line_id=line["adjudication_line_id"])
    assert [(a["group_code"], a["reason_code"], a["amount"]) for a in adjustments] == [
        ("CO", "45", Decimal("67.50"))
    ]


def test_fact_9_emedny_denials_and_remarks() -> None:
    result = parse(KEIRON + "emedny_sample.txt")
    assert len(result.tables["adjudication"]) == 3
    assert len(result.tables["adjudication_line"]) == 10
    payment = result.tables["payments"][0]
    assert _paid(result) == Decimal("45.75") == payment["total_payment_amount"]
    assert payment["payer_name"] == "NYSDOH"
    co29 = {a["amount"] for a in rows(result, "adjustments", group_code="CO", reason_code="29")}
    assert {Decimal("12.00"), Decimal("22.00")} <= co29
    assert rows(result, "adjustments", group_code="CO", reason_code="251")
    assert rows(result, "remarks", remark_code="N206", level="line", source_segment="LQ")


def test_fact_10_six_claims_in_total() -> None:
    names = ("blue_cross_nc_sample.txt", "united_healthcare_legacy_sample.txt", "emedny_sample.txt")
    results = [parse(KEIRON + n) for n in names]
    assert sum(len(r.tables["adjudication"]) for r in results) == 6
    patients = {
        (r.file_id, c["patient_member_id"]) for r in results for c in r.tables["adjudication"]
    }
    assert len(patients) == 6


# ---------------------------------------------------------------- facts 11-19: imsweb


def test_fact_11_many_claims() -> None:
    result = parse(IMS + "837_5010__x12_many_claims.txt", keep_segments=True)
    isa = elements(result, "ISA")[0]
    assert (isa[0], isa[8]) == ("00", "030101")
    gs = elements(result, "GS")[0]
    assert (gs[0], gs[3]) == ("HC", "19991231")
    assert [t.st02 for t in result.transactions] == ["987654"]
    assert elements(result, "SE") == [["25", "987654"]]
    assert elements(result, "IEA") == [["1", "000000905"]]
    assert len(elements(result, "HL", "2000A")) == 410
    # SE01 is wrong on purpose: that is the one envelope error; nothing is fatal.
    assert {e.code for e in result.errors if e.kind is ErrorKind.ENVELOPE} == {"se_count"}


def test_fact_12_many_interchanges() -> None:
    result = parse(IMS + "837_5010__x12_multiple_transactions.txt", keep_segments=True)
    isas = elements(result, "ISA")
    assert len(isas) == 312
    assert all(isa[8] == "030101" for isa in isas)
    assert all(g.functional_id == "HC" for g in result.groups)
    assert all(iea[1] == "000000905" for iea in elements(result, "IEA"))


def test_fact_13_277ca_accepted() -> None:
    result = parse(IMS + "277_5010__x12_277CA_accepted.txt")
    (claim,) = rows(result, "ack_277ca", level="claim")
    assert claim["payer_claim_control_number"] == "1107000000014420"
    assert (claim["status_category_code"], claim["status_code"]) == ("A2", "20")


def test_fact_14_277ca_rejected_pipe_separator() -> None:
    result = parse(IMS + "277_5010__x12_277CA_rejected.txt")
    (claim,) = rows(result, "ack_277ca", level="claim")
    status = (claim["status_category_code"], claim["status_code"], claim["entity_code"])
    assert status == ("A7", "562", "85")


@pytest.mark.parametrize(("name", "code"), [("accepted", "A"), ("rejected", "R")])
def test_fact_15_999_ik501(name: str, code: str) -> None:
    result = parse(IMS + f"837_5010__x12_999_{name}.txt")
    assert [a["transaction_ack_code"] for a in result.tables["ack_999"]] == [code]


def test_fact_16_valid_837() -> None:
    result = parse(IMS + "837_5010__x12_valid.txt", keep_segments=True)
    assert {nm1[8] for nm1 in elements(result, "NM1", "2010BA")} == {"123456"}
    assert {c["member_id"] for c in result.tables["claims_header"]} == {"123456"}
    assert elements(result, "HL", "2000B")[1][1] == "3"
    assert elements(result, "PER", "2010AA")[0][2] == "TE"
    assert result.transactions[0].guide == "005010X222A1"
    bad = [e for e in result.errors if e.kind in (ErrorKind.STRUCTURE, ErrorKind.ELEMENT)]
    assert bad == []


def test_fact_17_repeated_2320() -> None:
    result = parse(IMS + "837_5010__x223-test.txt", keep_segments=True)
    assert result.transactions[0].kind == "837I"
    assert [sbr[0] for sbr in elements(result, "SBR", "2320")] == ["S", "T"]
    assert [nm1[3] for nm1 in elements(result, "NM1", "2330A")] == ["JOHN", "JANE"]
    assert [nm1[2] for nm1 in elements(result, "NM1", "2330B")] == ["AETNA", "ANOTHER NAME"]
    assert len(elements(result, "HL", "2000B")) == 1


def _codes(result: ParseResult) -> list[tuple[str, str | None, str | None]]:
    return [(e.code, e.segment_id, e.loop_id) for e in result.errors]


def test_fact_18_segment_errors() -> None:
    found = _codes(parse(IMS + "837_5010__x12_segment_errors.txt"))
    assert ("segment_missing", "N3", "2010AA") in found
    assert ("segment_missing", "HI", "2300") in found
    assert ("segment_max_use", "REF", "2010AA") in found


def test_fact_18_missing_elements() -> None:
    result = parse(IMS + "837_5010__x12_missing_elements.txt")
    missing = [
        (e.segment_id, e.loop_id, e.element_position)
        for e in result.errors
        if e.code == "element_missing"
    ]
    assert ("NM1", "1000B", 2) in missing
    assert ("CLM", "2300", 5) in missing


def test_fact_18_out_of_order() -> None:
    found = _codes(parse(IMS + "837_5010__x12_segments_out_of_order.txt"))
    assert [c for c in found if c[0] == "segment_order"] == [
        ("segment_order", "N4", "2010AA"),
        ("segment_order", "N3", "2010AB"),
    ]


def test_fact_18_bad_segment_identifiers_and_codes() -> None:
    ids = parse(IMS + "837_5010__x12_bad_segment_identifier.txt")
    unexpected = {e.segment_id for e in ids.errors if e.code == "segment_unexpected"}
    assert {"Nd4", "NM31"} <= unexpected
    codes = parse(IMS + "837_5010__x12_bad_valid_code.txt")
    first = next(e for e in codes.errors if e.code == "segment_unexpected")
    assert (first.segment_id, first.segment_error_code) == ("NM1", "2")


def test_fact_18_loop_repeats() -> None:
    found = _codes(parse(IMS + "837_5010__x12_loop_errors1_exceeds_max_1_parent.txt"))
    assert ("loop_repeat", "NM1", "2010AA") in found


@pytest.mark.parametrize(
    ("name", "code"),
    [("bad_first_line", "isa_length"), ("no_isa_line", "isa_missing")],
)
def test_fact_19_bad_interchange_header(name: str, code: str) -> None:
    result = parse(IMS + f"837_5010__x12_{name}.txt")
    assert [e.code for e in result.errors if e.code.startswith("isa")] == [code]


# ---------------------------------------------------------------- fact 20: LinuxForHealth


LFH = sorted(p.name for p in (CORPUS / "LinuxForHealth__x12").glob("src__tests__resources__*"))


@pytest.mark.parametrize("name", LFH)
def test_fact_20_segments_reserialise(name: str) -> None:
    raw = (CORPUS / "LinuxForHealth__x12" / name).read_text(encoding="utf-8")
    with (CORPUS / "LinuxForHealth__x12" / name).open("rb") as stream:
        segments = [els for _, els in iter_segments(stream)]
    assert [s[0] for s in segments[:2]] == ["ISA", "GS"]
    assert [s[0] for s in segments[-2:]] == ["GE", "IEA"]
    assert sum(s[0] == "ISA" for s in segments) == 1
    assert "".join("*".join(s) + "~" for s in segments) == raw.replace("\n", "")
