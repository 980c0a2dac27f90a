"""The 837D (005010X224A2) writer: dental claims read → written → read give the same rows.

The source rows are the corpus's clean 837D files (stupidedi's X224A2 "pass" fixtures). pyx12
4.0.0 ships no X224 map (it stops with "Map not found ... vriic=005010X224A2"), so the written
files are checked by our validator here and compared with the guide's own examples by hand.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claimflow.x12 import (
    ErrorLevel,
    ParseResult,
    X12WriteError,
    parse_bytes,
    parse_file,
    write_837,
)

from .conftest import CORPUS, LINEAGE, WHEN, manifest

TABLES = ("claims_header", "claims_line", "diagnoses")
DENTAL = [r["file"] for r in manifest() if r["transaction_set"] == "837D"]
FIXTURE = "kputnam__stupidedi/spec__fixtures__005010__X224A2_HC837_Health_Care_Claim_Dental__pass__"


def canonical(result: ParseResult, table: str) -> list[dict[str, object]]:
    """Rows without keys and lineage (which depend on positions), in a stable order."""
    rows = [{k: v for k, v in r.items() if k not in LINEAGE} for r in result.tables[table]]
    return sorted(rows, key=lambda r: repr(sorted(r.items())))


def write_dental(result: ParseResult) -> bytes:
    return write_837(
        result.tables["claims_header"],
        result.tables["claims_line"],
        result.tables["diagnoses"],
        claim_type="dental",
        when=WHEN,
        tooth_rows=result.tables["claim_line_teeth"],
    )


def segments(data: bytes) -> list[str]:
    return [s.strip() for s in data.decode().split("~") if s.strip()]


def test_the_corpus_has_the_dental_fixtures() -> None:
    # eight X224A2 "pass" fixtures of stupidedi (MANIFEST.tsv)
    assert len(DENTAL) == 8


@pytest.mark.parametrize("name", DENTAL, ids=[n.split("__")[-1][:40] for n in DENTAL])
def test_837d_read_write_read_gives_the_same_rows(name: str) -> None:
    first = parse_file(CORPUS / name, file_id="first")
    assert first.errors == []
    assert first.tables["claims_header"]
    written = write_dental(first)
    second = parse_bytes(written, file_id="again")
    # valid under our validator: no error, no new warning (the corpus's made-up NPIs fail the
    # check digit in both), one supported 837D set
    assert second.errors == []
    assert [(w.code, w.bad_value) for w in second.warnings] == [
        (w.code, w.bad_value) for w in first.warnings
    ]
    assert [(t.kind, t.guide, t.valid) for t in second.transactions] == [
        ("837D", "005010X224A2", True)
    ]
    for table in TABLES:
        assert canonical(second, table) == canonical(first, table), table
    assert {r["claim_type"] for r in second.tables["claims_header"]} == {"dental"}


def test_837d_claim_as_written_segment_by_segment() -> None:
    # claim-multi-quantity-single-line.edi holds (from CLM on):
    #   CLM*22*44***11:B:1*Y*C*Y*Y  DTP*472*D8*20140303  REF*D9*0001958960000001  HI*BK:5273
    #   NM1*82*1*RENDERLAST*RENDERFIRST****XX*1234567893  PRV*PE*PXC*1223G0001X  REF*0B*321654
    #   LX*1  SV3*AD:D0230*44***I*4  REF*6R*123456-01
    first = parse_file(CORPUS / (FIXTURE + "claim-multi-quantity-single-line.edi"), file_id="f")
    out = segments(write_dental(first))
    assert out[1] == "GS*HC*CLAIMFLOW*RECEIVER*20240301*0930*1*X*005010X224A2"
    assert out[2] == "ST*837*0001*005010X224A2"
    assert out[out.index("HL*2*1*22*0") + 1] == "SBR*P*18*12345687******CI"
    claim = out[out.index("CLM*22*44***11:B:1*Y*C*Y*Y") :]
    assert claim == [
        "CLM*22*44***11:B:1*Y*C*Y*Y",
        # the lines carry no date, so the claim's service date stays on the claim (2300)
        "DTP*472*D8*20140303",
        "REF*D9*0001958960000001",
        "HI*BK:5273",
        "NM1*82*1*PROVIDER*****XX*1234567893",
        "LX*1",
        # SV303 place of service and SV304/SV305 are empty; SV306 is the procedure count
        "SV3*AD:D0230*44****4",
        "REF*6R*123456-01",
        "SE*24*0001",
        "GE*1*1",
        "IEA*1*000000001",
    ]


def _dental_rows() -> tuple[dict[str, object], list[dict[str, object]], list[dict[str, object]]]:
    """A two-line dental claim built by hand (no corpus file behind it)."""
    header: dict[str, object] = {
        "claim_id": "k1",
        "patient_control_number": "DENT-001",
        "claim_type": "dental",
        "total_charge": Decimal("325.50"),
        "place_of_service_code": "11",
        "claim_frequency_code": "1",
        "assignment_code": "A",
        "benefits_assignment": "Y",
        "release_of_info": "Y",
        "payer_responsibility_seq": "P",
        "subscriber_relationship_code": "18",
        "claim_filing_indicator": "CI",
        "member_id": "M0001",
        "payer_id": "PAYER1",
        "payer_name": "DENTAL PAYER",
        "billing_npi": "1234567893",
        "billing_tin": "111222333",
        "rendering_npi": "1245319599",
        "statement_from": datetime.date(2024, 2, 5),
        "statement_to": datetime.date(2024, 2, 9),
        "prior_auth_number": "PA77",
        "batch_id": "B1",
        "submission_date": datetime.date(2024, 2, 10),
    }
    lines: list[dict[str, object]] = [
        {
            "claim_id": "k1",
            "line_number": 1,
            "procedure_qualifier": "AD",
            "procedure_code": "D2391",
            "line_charge": Decimal("200.50"),
            "place_of_service_code": "11",
            "units": Decimal("1"),
            "service_from": datetime.date(2024, 2, 5),
            "service_to": datetime.date(2024, 2, 5),
            "dx_pointer_1": 1,
            "dx_pointer_2": 2,
        },
        {
            "claim_id": "k1",
            "line_number": 2,
            "procedure_qualifier": "AD",
            "procedure_code": "D0120",
            "line_charge": Decimal("125.00"),
            "units": Decimal("2"),
            "service_from": datetime.date(2024, 2, 9),
            "service_to": datetime.date(2024, 2, 9),
            "rendering_npi": "1679576722",
        },
    ]
    dxs: list[dict[str, object]] = [
        {"claim_id": "k1", "sequence": 1, "qualifier": "ABK", "code": "K0252"},
        {"claim_id": "k1", "sequence": 2, "qualifier": "ABF", "code": "K029"},
    ]
    return header, lines, dxs


def test_hand_built_dental_claim_is_written_as_the_guide_lays_it_out() -> None:
    header, lines, dxs = _dental_rows()
    out = segments(write_837([header], lines, dxs, claim_type="dental", when=WHEN))
    claim = out[out.index("CLM*DENT-001*325.50***11:B:1*Y*A*Y*Y") :]
    assert claim == [
        "CLM*DENT-001*325.50***11:B:1*Y*A*Y*Y",
        # 5 to 9 February is what the lines give, so no claim-level DTP*472 is needed
        "REF*G1*PA77",
        "HI*ABK:K0252*ABF:K029",
        "NM1*82*1*PROVIDER*****XX*1245319599",
        "LX*1",
        "SV3*AD:D2391*200.50*11***1*****1:2",  # SV311: diagnosis pointers 1 and 2
        "DTP*472*D8*20240205",
        "LX*2",
        "SV3*AD:D0120*125.00****2",
        "DTP*472*D8*20240209",
        "NM1*82*1*PROVIDER*****XX*1679576722",  # 2420A: this line's own rendering dentist
        "SE*26*0001",
        "GE*1*1",
        "IEA*1*000000001",
    ]


def test_hand_built_dental_claim_reads_back() -> None:
    header, lines, dxs = _dental_rows()
    again = parse_bytes(
        write_837([header], lines, dxs, claim_type="dental", when=WHEN), file_id="a"
    )
    assert again.errors == []
    (claim,) = again.tables["claims_header"]
    for column in ("patient_control_number", "total_charge", "place_of_service_code"):
        assert claim[column] == header[column]
    assert (claim["statement_from"], claim["statement_to"]) == (
        datetime.date(2024, 2, 5),
        datetime.date(2024, 2, 9),
    )
    assert claim["claim_type"] == "dental"
    assert claim["prior_auth_number"] == "PA77"
    got = sorted(again.tables["claims_line"], key=lambda r: str(r["line_number"]))
    assert [(r["procedure_code"], r["line_charge"], r["units"]) for r in got] == [
        ("D2391", Decimal("200.50"), Decimal("1")),
        ("D0120", Decimal("125.00"), Decimal("2")),
    ]
    assert [r["place_of_service_code"] for r in got] == ["11", None]
    assert [r["rendering_npi"] for r in got] == ["1245319599", "1679576722"]
    # SV311: line 1 points at diagnoses 1 and 2, line 2 at none
    pointers = [[r[f"dx_pointer_{i}"] for i in range(1, 5)] for r in got]
    assert pointers == [[1, 2, None, None], [None, None, None, None]]
    codes = [(d["qualifier"], d["code"], d["is_principal"]) for d in again.tables["diagnoses"]]
    assert codes == [("ABK", "K0252", True), ("ABF", "K029", False)]


def test_claim_service_dates_the_lines_do_not_give_go_on_the_claim() -> None:
    header, lines, dxs = _dental_rows()
    header = {**header, "statement_from": datetime.date(2024, 2, 1)}  # earlier than any line
    out = segments(write_837([header], lines, dxs, claim_type="dental", when=WHEN))
    assert out[out.index("CLM*DENT-001*325.50***11:B:1*Y*A*Y*Y") + 1] == (
        "DTP*472*RD8*20240201-20240209"
    )
    again = parse_bytes(
        write_837([header], lines, dxs, claim_type="dental", when=WHEN), file_id="a"
    )
    (claim,) = again.tables["claims_header"]
    assert (claim["statement_from"], claim["statement_to"]) == (
        datetime.date(2024, 2, 1),
        datetime.date(2024, 2, 9),
    )


def test_more_diagnoses_than_an_837d_carries_is_refused() -> None:
    header, lines, _ = _dental_rows()
    dxs = [
        {"claim_id": "k1", "sequence": n, "qualifier": "ABF" if n > 1 else "ABK", "code": f"K0{n}"}
        for n in range(1, 6)
    ]
    with pytest.raises(X12WriteError, match="DENT-001 has 5 diagnosis codes; an 837D carries"):
        write_837([header], lines, dxs, claim_type="dental", when=WHEN)
    assert write_837([header], lines, dxs[:4], claim_type="dental", when=WHEN)


# ------------------------------------------------------------------------------ generated claims

Claim = tuple[dict[str, object], list[dict[str, object]], list[dict[str, object]]]
cents = st.integers(min_value=1, max_value=999_999).map(lambda c: Decimal(c).scaleb(-2))
days = st.dates(min_value=datetime.date(2015, 1, 1), max_value=datetime.date(2030, 12, 31))
cdt = st.integers(min_value=0, max_value=9999).map(lambda n: f"D{n:04d}")
ids = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=3, max_size=12)


@st.composite
def dental_claims(draw: st.DrawFn) -> Claim:
    lines: list[dict[str, object]] = []
    for number in range(1, draw(st.integers(1, 8)) + 1):
        first = draw(st.none() | days)
        lines.append(
            {
                "claim_id": "g",
                "line_number": number,
                "procedure_qualifier": "AD",
                "procedure_code": draw(cdt),
                "line_charge": draw(cents),
                "units": draw(st.none() | st.integers(1, 32).map(Decimal)),
                "place_of_service_code": draw(st.sampled_from([None, "11", "22"])),
                "service_from": first,
                "service_to": first,
                "line_item_control_number": draw(st.none() | ids),
            }
        )
    header: dict[str, object] = {
        "claim_id": "g",
        "patient_control_number": draw(ids),
        "claim_type": "dental",
        "total_charge": sum((Decimal(str(x["line_charge"])) for x in lines), Decimal(0)),
        "place_of_service_code": draw(st.sampled_from(["11", "12", "22"])),
        "claim_frequency_code": draw(st.sampled_from(["1", "7", "8"])),
        "assignment_code": draw(st.sampled_from(["A", "B", "C"])),
        "benefits_assignment": draw(st.sampled_from(["N", "W", "Y"])),
        "release_of_info": draw(st.sampled_from(["I", "Y"])),
        "billing_npi": draw(st.from_regex(r"\A[0-9]{10}\Z")),
        "rendering_npi": draw(st.none() | st.from_regex(r"\A[0-9]{10}\Z")),
        "member_id": draw(ids),
        "payer_id": draw(ids),
        "payer_responsibility_seq": draw(st.sampled_from(["P", "S", "T"])),
        "claim_filing_indicator": draw(st.sampled_from(["CI", "MC", "HM"])),
        "patient_dob": draw(days),
        "patient_gender": draw(st.sampled_from(["M", "F", "U"])),
        # a service date of the claim's own, or none (the reader then takes the lines' span)
        "statement_from": draw(st.none() | days),
    }
    header["statement_to"] = header["statement_from"]
    codes = draw(st.lists(ids, min_size=0, max_size=4, unique=True))
    dxs: list[dict[str, object]] = [
        {"claim_id": "g", "sequence": i, "qualifier": "ABK" if i == 1 else "ABF", "code": c}
        for i, c in enumerate(codes, 1)
    ]
    return header, lines, dxs


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dental_claims())
def test_generated_dental_claims_round_trip(claim: Claim) -> None:
    header, lines, dxs = claim
    written = write_837([header], lines, dxs, claim_type="dental", when=WHEN)
    result = parse_bytes(written, file_id="gen", level=ErrorLevel.STRICT)  # raises on any error
    (back,) = result.tables["claims_header"]
    for column, value in header.items():
        if column not in ("claim_id", "statement_from", "statement_to"):
            assert back[column] == value, column
    dates = [x["service_from"] for x in lines if isinstance(x["service_from"], datetime.date)]
    expected = header["statement_from"] or (min(dates) if dates else None)
    assert back["statement_from"] == expected
    got = sorted(result.tables["claims_line"], key=lambda r: str(r["line_number"]).zfill(3))
    assert len(got) == len(lines)
    for want, row in zip(lines, got, strict=True):
        for column, value in want.items():
            if column != "claim_id":
                assert row[column] == value, column
        assert row["rendering_npi"] == header["rendering_npi"]  # lines inherit the claim's
    assert [(d["qualifier"], d["code"]) for d in result.tables["diagnoses"]] == [
        (d["qualifier"], d["code"]) for d in dxs
    ]


def test_tooth_numbers_and_surfaces_come_out_per_line() -> None:
    # read the TOO segments straight from the file, by hand: (line number, tooth, surfaces)
    name = next(n for n in DENTAL if n.endswith("multiple-tooth-numbers.edi"))
    expected = []
    line = 0
    for segment in (CORPUS / name).read_text().replace("\n", "").split("~"):
        els = segment.strip().split("*")
        if els[0] == "LX":
            line = int(els[1])
        elif els[0] == "TOO":
            surfaces = "".join(els[3].split(":")) if len(els) > 3 else None
            expected.append((line, els[1], els[2], surfaces))
    assert len(expected) >= 3  # the fixture's point: several teeth on one line
    result = parse_file(CORPUS / name, file_id="teeth")
    assert result.errors == []
    line_of = {r["claim_line_id"]: r["line_number"] for r in result.tables["claims_line"]}
    got = [
        (line_of[t["claim_line_id"]], t["code_qualifier"], t["tooth_code"], t["surfaces"])
        for t in sorted(
            result.tables["claim_line_teeth"], key=lambda t: (t["segment_index"], t["sequence"])
        )
    ]
    assert got == expected
    sequences = [t["sequence"] for t in result.tables["claim_line_teeth"]]
    assert sequences == list(range(1, len(sequences) + 1))  # all on one line here


def test_tooth_surface_outside_the_code_list_is_an_error() -> None:
    name = next(n for n in DENTAL if n.endswith("commercial-health-insurance.edi"))
    data = (CORPUS / name).read_bytes().replace(b"TOO*JP*12*M:O", b"TOO*JP*12*M:Q")
    assert b"M:Q" in data
    result = parse_bytes(data, file_id="bad")
    assert [(e.segment_id, e.element_position, e.bad_value) for e in result.errors] == [
        ("TOO", 3, "Q")
    ]
