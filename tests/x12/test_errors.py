"""Each error kind on a small broken file under tests/data/x12/broken/.

The broken files are ``tests/data/x12/valid/837p_small.x12`` or ``835_small.x12`` with one
change each. Positions below were counted by hand on those files: in the 837P the CLM is the
21st segment of the file and the 19th of its transaction set (ST = 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from claimflow.x12 import (
    BalancingError,
    ElementError,
    EnvelopeError,
    ErrorKind,
    ErrorLevel,
    StructureError,
    X12Error,
    X12SyntaxError,
    X12ValidationFailed,
    parse_bytes,
    parse_file,
)

from .conftest import BROKEN, DATA


@dataclass(frozen=True)
class Case:
    file: str
    code: str
    kind: ErrorKind
    exception: type[X12Error]
    segment_id: str
    loop_id: str | None = None
    element: int | None = None
    value: str | None = None
    ik304: str | None = None
    ik403: str | None = None
    ik502: str | None = None
    ak905: str | None = None
    ta105: str | None = None
    segment_index: int | None = None
    segment_position: int | None = None


CASES = [
    Case(
        "837p_se_count",
        "se_count",
        ErrorKind.ENVELOPE,
        EnvelopeError,
        "SE",
        None,
        1,
        "31",
        ik502="4",
        segment_index=32,
        segment_position=30,
    ),
    Case(
        "837p_se_control",
        "se_control",
        ErrorKind.ENVELOPE,
        EnvelopeError,
        "SE",
        None,
        2,
        "0002",
        ik502="3",
    ),
    Case(
        "837p_ge_count",
        "ge_count",
        ErrorKind.ENVELOPE,
        EnvelopeError,
        "GE",
        None,
        1,
        "2",
        ak905="5",
        segment_index=33,
    ),
    Case(
        "837p_ge_control",
        "ge_control",
        ErrorKind.ENVELOPE,
        EnvelopeError,
        "GE",
        None,
        2,
        "9",
        ak905="4",
    ),
    Case(
        "837p_iea_count",
        "iea_count",
        ErrorKind.ENVELOPE,
        EnvelopeError,
        "IEA",
        None,
        1,
        "2",
        ta105="021",
    ),
    Case(
        "837p_iea_control",
        "iea_control",
        ErrorKind.ENVELOPE,
        EnvelopeError,
        "IEA",
        None,
        2,
        "000000009",
        ta105="001",
    ),
    Case("837p_no_isa", "isa_missing", ErrorKind.ENVELOPE, EnvelopeError, "ISA", ta105="024"),
    Case(
        "837p_unknown_segment",
        "segment_unexpected",
        ErrorKind.STRUCTURE,
        StructureError,
        "ZZZ",
        "2300",
        ik304="6",
        segment_index=23,
        segment_position=21,
    ),
    Case(
        "837p_missing_segment",
        "segment_missing",
        ErrorKind.STRUCTURE,
        StructureError,
        "N3",
        "2010AA",
        ik304="3",
    ),
    Case(
        "837p_segment_order",
        "segment_order",
        ErrorKind.STRUCTURE,
        StructureError,
        "N3",
        "2010AA",
        ik304="7",
        segment_index=12,
        segment_position=10,
    ),
    Case(
        "837p_max_use",
        "segment_max_use",
        ErrorKind.STRUCTURE,
        StructureError,
        "REF",
        "2010AA",
        ik304="5",
        segment_index=14,
    ),
    Case(
        "837p_loop_repeat",
        "loop_repeat",
        ErrorKind.STRUCTURE,
        StructureError,
        "NM1",
        "2010AA",
        ik304="4",
        segment_index=14,
    ),
    Case(
        "837p_missing_loop",
        "loop_missing",
        ErrorKind.STRUCTURE,
        StructureError,
        "NM1",
        "2010BB",
        ik304="3",
    ),
    Case(
        "837p_element_missing",
        "element_missing",
        ErrorKind.ELEMENT,
        ElementError,
        "CLM",
        "2300",
        1,
        "",
        ik304="8",
        ik403="1",
        segment_index=21,
        segment_position=19,
    ),
    Case(
        "837p_bad_code",
        "element_invalid",
        ErrorKind.ELEMENT,
        ElementError,
        "CLM",
        "2300",
        5,
        "9",
        ik304="8",
        ik403="7",
        segment_index=21,
        segment_position=19,
    ),
    Case(
        "837p_bad_date",
        "element_invalid",
        ErrorKind.ELEMENT,
        ElementError,
        "DTP",
        "2400",
        3,
        "20240231",
        ik304="8",
        ik403="8",
        segment_index=31,
        segment_position=29,
    ),
    Case(
        "837p_bad_number",
        "element_invalid",
        ErrorKind.ELEMENT,
        ElementError,
        "SV1",
        "2400",
        2,
        "5O.00",
        ik304="8",
        ik403="6",
        segment_index=30,
        segment_position=28,
    ),
    Case(
        "837p_too_long",
        "element_invalid",
        ErrorKind.ELEMENT,
        ElementError,
        "CLM",
        "2300",
        1,
        "P" * 39,
        ik304="8",
        ik403="5",
    ),
    Case(
        "837p_unbalanced",
        "claim_charge_balance",
        ErrorKind.BALANCING,
        BalancingError,
        "CLM",
        "2300",
        2,
        "160.00",
        segment_index=21,
        segment_position=19,
    ),
    Case(
        "835_claim_unbalanced",
        "claim_balance",
        ErrorKind.BALANCING,
        BalancingError,
        "CLP",
        "2100",
        4,
        "0",
    ),
    Case(
        "835_line_unbalanced",
        "line_balance",
        ErrorKind.BALANCING,
        BalancingError,
        "SVC",
        "2110",
        3,
        "30.00",
    ),
    Case(
        "835_payment_unbalanced",
        "payment_balance",
        ErrorKind.BALANCING,
        BalancingError,
        "BPR",
        None,
        2,
        "75.00",
        segment_index=4,
        segment_position=2,
    ),
]


def _path(name: str) -> Path:
    return BROKEN / f"{name}.x12"


@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
def test_error_is_collected_with_coordinates(case: Case) -> None:
    result = parse_file(_path(case.file), file_id=case.file)
    matching = [e for e in result.errors if e.code == case.code]
    assert matching, [e.code for e in result.errors]
    error = matching[0]
    assert error.kind is case.kind
    assert error.file_id == case.file
    assert error.segment_id == case.segment_id
    assert error.loop_id == case.loop_id
    if case.element is not None:
        assert error.element_position == case.element
    if case.value is not None:
        assert error.bad_value == case.value
    assert error.segment_error_code == case.ik304 or case.kind is ErrorKind.BALANCING
    assert error.element_error_code == case.ik403 or case.kind is ErrorKind.BALANCING
    assert error.transaction_error_code == case.ik502
    assert error.group_error_code == case.ak905
    assert error.interchange_error_code == case.ta105
    if case.segment_index is not None:
        assert error.segment_index == case.segment_index
    if case.segment_position is not None:
        assert error.segment_position == case.segment_position
    assert error.message.endswith(".")
    if case.file.startswith("837") and case.code != "isa_missing":
        assert (error.isa13, error.gs06) == ("000000001", "1")


@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
def test_strict_raises_the_matching_exception(case: Case) -> None:
    with pytest.raises(case.exception) as raised:
        parse_file(_path(case.file), file_id=case.file, level=ErrorLevel.STRICT)
    assert isinstance(raised.value, X12ValidationFailed)
    assert raised.value.error.code == case.code
    assert case.file in str(raised.value)


@pytest.mark.parametrize("name", ["837p_small", "835_small"])
def test_valid_files_have_no_errors(name: str) -> None:
    result = parse_file(DATA / "valid" / f"{name}.x12", file_id=name, level=ErrorLevel.STRICT)
    assert result.errors == []
    assert all(t.valid for t in result.transactions)


def test_claim_context_on_errors_inside_a_claim() -> None:
    result = parse_file(_path("837p_bad_code"), file_id="f")
    assert result.errors[0].context == "PCN001"


def test_truncated_file_reports_every_missing_trailer() -> None:
    result = parse_file(_path("837p_truncated"), file_id="f")
    codes = [e.code for e in result.errors]
    assert codes.index("se_missing") < codes.index("ge_missing") < codes.index("iea_missing")
    iea = next(e for e in result.errors if e.code == "iea_missing")
    assert iea.interchange_error_code == "023"  # TA1: premature end of file
    (txn,) = result.transactions
    assert not txn.valid
    # the one complete claim line before the cut still comes out
    assert [r["procedure_code"] for r in result.tables["claims_line"]] == ["99213"]


def test_bad_transaction_is_quarantined_alone() -> None:
    good = (DATA / "valid" / "837p_small.x12").read_bytes()
    bad = _path("837p_bad_code").read_bytes()
    bad = bad.replace(b"000000001", b"000000002").replace(b"ST*837*0001", b"ST*837*0002")
    bad = bad.replace(b"SE*30*0001", b"SE*30*0002")

    result = parse_bytes(good + bad, file_id="two")
    assert [(t.isa13, t.valid) for t in result.transactions] == [
        ("000000001", True),
        ("000000002", False),
    ]
    good_rows = result.rows_for(result.transactions[0], "claims_header")
    assert [r["patient_control_number"] for r in good_rows] == ["PCN001"]
    assert all(e.isa13 == "000000002" for e in result.errors)


def test_balancing_errors_name_their_claim() -> None:
    result = parse_file(_path("837p_unbalanced"), file_id="f")
    assert [e.context for e in result.errors] == ["PCN001"]
    result = parse_file(_path("835_claim_unbalanced"), file_id="f")
    assert [e.context for e in result.errors] == ["PCN002"]


def test_segment_indexes_stay_right_when_an_837_guide_is_inferred() -> None:
    text = (DATA / "valid" / "837p_small.x12").read_text()
    data = text.replace("*005010X222A1", "*005010").encode()
    result = parse_bytes(data, file_id="f", keep_segments=True)
    assert [t.kind for t in result.transactions] == ["837P"]
    indexes = [s["segment_index"] for s in result.tables["x12_segments"]]
    assert indexes == list(range(1, len(indexes) + 1))
    assert result.tables["claims_header"][0]["segment_index"] == 21


def test_broken_isa_is_a_syntax_error() -> None:
    data = b"ISA*00*short~GS*HC*A*B*20240101*1200*1*X*005010X222A1~"
    result = parse_bytes(data, file_id="f")
    assert result.errors[0].code == "isa_delimiters"
    assert result.errors[0].kind is ErrorKind.SYNTAX
    assert result.errors[0].interchange_error_code == "026"
    with pytest.raises(X12SyntaxError):
        parse_bytes(data, file_id="f", level=ErrorLevel.STRICT)


def test_strict_stops_at_the_first_of_several_errors() -> None:
    # the bad CLM05-3 (segment 21) comes before the wrong SE01 (segment 32)
    text = _path("837p_bad_code").read_text().replace("SE*30*0001", "SE*31*0001")
    result = parse_bytes(text.encode(), file_id="f")
    assert [e.code for e in result.errors] == ["element_invalid", "se_count"]
    with pytest.raises(ElementError):
        parse_bytes(text.encode(), file_id="f", level=ErrorLevel.STRICT)
