"""Bytes outside X12's character set and numbers beyond the warehouse's range (issue 23).

Each reported case is reproduced first: a Latin-1 byte in an 835's payer name (the run and
``x12 parse`` ended in a traceback, ``x12 validate`` said "0 errors") and an AMT of a million
digits (``decimal.Overflow`` from ``parse_file``). The rule: a character outside printable ASCII
(other than the interchange's delimiters and line breaks) is an element error (IK403 6) on its
segment, shown escaped; a number too long for its column is an element error; the rest of the
file is read as usual.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest

from claimflow.sources.x12 import TABLES_BY_NAME, spool_columns, spool_parse
from claimflow.warehouse.arrow import rows_to_arrow
from claimflow.x12 import (
    ElementError,
    ErrorKind,
    ErrorLevel,
    ParseResult,
    X12ValidationError,
    iter_segments,
    parse_bytes,
    parse_file,
    write_999,
)
from claimflow.x12.tokens import escape_text

from .conftest import DATA

SMALL_835 = (DATA / "valid" / "835_small.x12").read_bytes()
SMALL_837 = (DATA / "valid" / "837p_small.x12").read_bytes()
LATIN1_835 = SMALL_835.replace(b"N1*PR*ACME HEALTH", b"N1*PR*SEGUROS M\xc9DICOS")
HUGE_AMT_835 = SMALL_835.replace(b"AMT*B6*80.00", b"AMT*B6*" + b"9" * 1_000_000)


def errors(result: ParseResult, code: str | None = None) -> list[X12ValidationError]:
    return [e for e in result.errors if code is None or e.code == code]


def as_arrow(result: ParseResult) -> None:
    """Every table the parse filled converts to the spool's Arrow types (as the loader does)."""
    for name, rows in result.tables.items():
        if rows:
            table = TABLES_BY_NAME[name]
            rows_to_arrow(table, rows, spool_columns(table))


def printable(text: str | None) -> bool:
    return text is None or (text.isascii() and text.isprintable())


# ------------------------------------------------------------------ the reported cases


def test_a_latin1_byte_is_an_element_error_on_its_segment(tmp_path: Path) -> None:
    path = tmp_path / "latin1.835"
    path.write_bytes(LATIN1_835)
    result = parse_file(path, file_id="latin1")
    (error,) = result.errors
    assert error.kind is ErrorKind.ELEMENT
    assert error.code == "element_invalid_character"
    assert (error.segment_id, error.loop_id, error.element_position) == ("N1", "1000A", 2)
    assert (error.segment_error_code, error.element_error_code) == ("8", "6")
    assert (error.isa13, error.gs06, error.st02) == ("000000002", "2", "0001")
    assert error.segment_index == 7 and error.segment_position == 5
    assert error.bad_value == "SEGUROS M\\xc9DICOS"
    assert "SEGUROS M\\xc9DICOS" in error.message and printable(error.message)
    (txn,) = result.transactions
    assert not txn.valid  # the loader quarantines the set
    # the rest of the file is read as usual, the value shown escaped, never as a surrogate
    assert result.tables["payments"][0]["payer_name"] == "SEGUROS M\\xc9DICOS"
    assert len(result.tables["adjudication"]) == 3
    as_arrow(result)
    assert b"IK4*2**6*SEGUROS M\\xc9DICOS~" in write_999(result)


def test_a_latin1_byte_no_longer_stops_the_spool(tmp_path: Path) -> None:
    path = tmp_path / "latin1.835"
    path.write_bytes(LATIN1_835)
    spooled = spool_parse(str(path), "latin1", "x12", str(tmp_path))
    try:
        assert not spooled.fast_path
        assert [e.code for e in spooled.result.errors] == ["element_invalid_character"]
        assert spooled.rows["adjudication"] == 3
    finally:
        spooled.remove()


def test_an_amount_of_a_million_digits_is_an_element_error(tmp_path: Path) -> None:
    path = tmp_path / "amt.835"
    path.write_bytes(HUGE_AMT_835)
    result = parse_file(path, file_id="amt")
    (error,) = result.errors
    assert (error.code, error.segment_id, error.element_position) == ("element_invalid", "AMT", 2)
    assert error.element_error_code == "5"  # too long: the guide allows 18 characters
    assert error.bad_value is not None and len(error.bad_value) <= 99
    assert len(error.message) < 200
    (line, _) = result.tables["adjudication_line"]
    assert line["allowed_amount"] is None
    as_arrow(result)
    with pytest.raises(ElementError):
        parse_file(path, file_id="amt", level=ErrorLevel.STRICT)


# ------------------------------------------------------------------ characters


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (b"\xc9", "\\xc9"),  # Latin-1: not UTF-8
        ("\u00c9".encode(), "\\xc3\\x89"),  # UTF-8, but outside X12's character sets
        (b"\x00", "\\x00"),
        (b"\x01", "\\x01"),
        (b"\t", "\\x09"),
        (b"\x7f", "\\x7f"),
        (b"\x1b[31m", "\\x1b[31m"),
        ("\u20ac".encode(), "\\xe2\\x82\\xac"),
    ],
)
def test_characters_outside_the_set_are_flagged_and_shown_escaped(raw: bytes, shown: str) -> None:
    data = SMALL_835.replace(b"N1*PR*ACME HEALTH", b"N1*PR*ACME" + raw + b"HEALTH")
    result = parse_bytes(data, file_id="c")
    (error,) = result.errors
    assert (error.code, error.segment_id, error.element_position) == (
        "element_invalid_character",
        "N1",
        2,
    )
    assert error.bad_value == f"ACME{shown}HEALTH"
    assert result.tables["payments"][0]["payer_name"] == f"ACME{shown}HEALTH"
    as_arrow(result)


def test_a_backslash_in_an_escaped_value_is_doubled() -> None:
    assert escape_text("A\\B\udcc9") == "A\\\\B\\xc9"
    assert escape_text("plain") == "plain"


def test_the_component_of_a_composite_is_named() -> None:
    data = SMALL_835.replace(b"SVC*HC:85025*", b"SVC*HC:850\x0125*")
    result = parse_bytes(data, file_id="c")
    (error,) = errors(result, "element_invalid_character")
    assert (error.segment_id, error.element_position, error.component_position) == ("SVC", 1, 2)
    assert error.bad_value == "HC:850\\x0125"
    # one error for the element: its value breaks no other rule worth a second one
    assert [e for e in result.errors if e.segment_index == error.segment_index] == [error]


def test_a_bad_character_in_a_code_or_number_gives_one_error_for_the_element() -> None:
    data = SMALL_835.replace(b"CAS*CO*45*20.00~", b"CAS*C\xd6*45*2\xb70.00~")
    result = parse_bytes(data, file_id="c")
    found = [(e.code, e.element_position) for e in result.errors if e.segment_id == "CAS"]
    assert found == [("element_invalid_character", 1), ("element_invalid_character", 3)]
    as_arrow(result)


def test_only_the_set_with_the_bad_byte_is_invalid() -> None:
    second = SMALL_835.split(b"ST*835*0001", 1)[1].split(b"SE*32*0001~")[0]
    second = second.replace(b"N1*PR*ACME HEALTH", b"N1*PR*SEGUROS M\xc9DICOS")
    data = SMALL_835.replace(b"GE*1*2~", b"ST*835*0002" + second + b"SE*32*0002~\nGE*2*2~")
    result = parse_bytes(data, file_id="two")
    assert [t.valid for t in result.transactions] == [True, False]
    assert [e.st02 for e in result.errors] == ["0002"]
    assert len(result.rows_for(result.transactions[0], "adjudication")) == 3


def test_delimiters_that_are_control_characters_are_not_flagged() -> None:
    data = SMALL_835.replace(b"*", b"\x1d").replace(b":", b"\x1f").replace(b"~\n", b"\x1c\n")
    assert data[103:106] == b"\x1d\x1f\x1c"
    result = parse_bytes(data, file_id="ctl")
    assert result.errors == [] and result.warnings == []
    assert len(result.tables["adjudication"]) == 3


@pytest.mark.parametrize("wrap", [b"\n", b"\r\n", b"\r"])
def test_line_breaks_inside_a_segment_are_dropped(wrap: bytes) -> None:
    # files wrapped at a fixed width: the line breaks are not data
    data = SMALL_835.replace(b"N1*PR*ACME HEALTH", b"N1*PR*ACME HE" + wrap + b"ALTH")
    result = parse_bytes(data, file_id="w")
    assert result.errors == []
    assert result.tables["payments"][0]["payer_name"] == "ACME HEALTH"
    n1 = next(els for sid, els in iter_segments(data) if sid == "N1")
    assert n1 == ["N1", "PR", "ACME HEALTH"]


def test_bytes_outside_any_segment_are_shown_escaped() -> None:
    result = parse_bytes(b"junk \xc9\x00 here\n" + SMALL_835 + b"\x00\x00\xff", file_id="j")
    assert result.errors == []
    assert [w.code for w in result.warnings] == ["junk_before_isa", "junk_after_iea"]
    assert all(printable(w.bad_value) and printable(w.message) for w in result.warnings)
    assert result.warnings[0].bad_value == "junk \\xc9\\x00 here"


def test_a_bad_byte_in_an_envelope_segment() -> None:
    data = SMALL_835.replace(b"ST*835*0001*", b"ST*835*00\xe91*").replace(
        b"SE*32*0001~", b"SE*32*00\xe91~"
    )
    result = parse_bytes(data, file_id="env")
    found = [(e.code, e.segment_id, e.segment_position, e.element_position) for e in result.errors]
    assert found == [
        ("element_invalid_character", "ST", 1, 2),
        ("element_invalid_character", "SE", 32, 2),  # inside the set it closes
    ]
    assert {e.st02 for e in result.errors} == {"00\\xe91"}
    (txn,) = result.transactions
    assert txn.st02 == "00\\xe91" and txn.error_count == 2 and not txn.valid
    as_arrow(result)


def test_a_bad_byte_in_a_segment_id_is_an_unknown_segment() -> None:
    data = SMALL_835.replace(b"DTM*405*", b"DT\xcd*405*")
    result = parse_bytes(data, file_id="sid")
    (error,) = result.errors
    assert (error.code, error.segment_error_code) == ("segment_unexpected", "1")
    assert error.segment_id == "DT\\xcd" and printable(error.message)


def test_the_iterator_shows_bad_values_escaped() -> None:
    segments = list(iter_segments(LATIN1_835))
    assert ("N1", ["N1", "PR", "SEGUROS M\\xc9DICOS"]) in segments


def test_strict_mode_raises_an_element_error() -> None:
    with pytest.raises(ElementError) as raised:
        parse_bytes(LATIN1_835, file_id="s", level=ErrorLevel.STRICT)
    assert raised.value.error.code == "element_invalid_character"
    assert "\\xc9" in str(raised.value)


def test_utf16_files_are_decoded_and_a_lone_byte_is_flagged() -> None:
    data = SMALL_835.decode().encode("utf-16")
    assert parse_bytes(data, file_id="u16").errors == []
    broken = parse_bytes(data + b"\x00", file_id="u16")
    assert all(printable(e.bad_value) for e in broken.errors + broken.warnings)


def test_the_engine_reads_the_reported_file_from_a_stream() -> None:
    result = parse_bytes(io.BytesIO(LATIN1_835).read(), file_id="s")
    assert [e.code for e in result.errors] == ["element_invalid_character"]


# ------------------------------------------------------------------ numbers


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (b"9" * 17, "5"),  # 17 digits before the point: more than DECIMAL(18,2) holds
        (b"-" + b"9" * 100_000, "5"),
        (b"1" + b"0" * 15 + b".00", None),  # 16 digits: the largest that fits
        (b"1E999999999", "6"),
        (b"-1e-999999999", "6"),
        (b"Infinity", "6"),
        (b"NaN", "6"),
        (b"1_000", "6"),
        (b"+5", "6"),
        (b" 5", "6"),
        (b"12.345", "6"),
        (b"9" * 100_000 + b"x", "6"),
        (b"000000000000000000000012.50", None),  # leading zeros are not digits of the amount
        (b"12.50000000000000000000000000000000000000", None),
    ],
)
def test_amounts_in_range_or_an_element_error(value: bytes, code: str | None) -> None:
    # AMT02 has no length rule in the spec: the amount's own bounds apply
    data = SMALL_835.replace(b"AMT*B6*80.00~", b"AMT*B6*" + value + b"~")
    result = parse_bytes(data, file_id="n")
    amount = result.tables["adjudication_line"][0]["allowed_amount"]
    if code is None:
        assert result.errors == []
        assert isinstance(amount, Decimal) and amount == Decimal(value.decode())
        assert amount.as_tuple().exponent == -2  # as DECIMAL(18,2) keeps it
    else:
        (error,) = result.errors
        assert (error.segment_id, error.element_position) == ("AMT", 2)
        assert error.element_error_code == code
        assert len(error.message) < 200 and len(error.bad_value or "") <= 99
        assert amount is None
    as_arrow(result)


def test_a_rule_and_the_amount_give_one_error_for_one_element() -> None:
    data = SMALL_835.replace(b"CLP*PCN003*22*-50.00*", b"CLP*PCN003*22*1E999999999*")
    result = parse_bytes(data, file_id="clp")
    found = [e for e in result.errors if e.segment_id == "CLP" and e.element_position == 3]
    assert [e.element_error_code for e in found] == ["6"]
    assert result.tables["adjudication"][2]["total_charge"] is None


@pytest.mark.parametrize("value", [b"9" * 19, b"9" * 5000, b"1" + b"0" * 40])
def test_quantities_out_of_range_are_element_errors(value: bytes) -> None:
    data = SMALL_835.replace(
        b"SVC*HC:85025*50.00*30.00**1~", b"SVC*HC:85025*50.00*30.00**" + value + b"~"
    )
    result = parse_bytes(data, file_id="q")
    (error,) = result.errors
    assert (error.segment_id, error.element_position, error.element_error_code) == ("SVC", 5, "5")
    assert result.tables["adjudication_line"][1]["units_paid"] is None
    as_arrow(result)


@pytest.mark.parametrize("value", [b"9" * 19, b"9" * 5000])
def test_integers_out_of_range_are_element_errors(value: bytes) -> None:
    # LX01 (the line number) and SV107 (diagnosis pointers) land in BIGINT columns
    data = SMALL_837.replace(b"LX*1~", b"LX*" + value + b"~")
    sv1 = data.index(b"SV1*")
    end = data.index(b"~", sv1)
    fields = data[sv1:end].split(b"*")
    fields[7] = value
    data = data[:sv1] + b"*".join(fields) + data[end:]
    result = parse_bytes(data, file_id="i")
    found = {(e.segment_id, e.element_position) for e in result.errors}
    assert {("LX", 1), ("SV1", 7)} <= found
    line = result.tables["claims_line"][0]
    assert line["line_number"] is None and line["dx_pointer_1"] is None
    as_arrow(result)


def test_a_huge_number_in_a_999_position_does_not_stop_the_parse() -> None:
    ack = (DATA / "corpus").rglob("*X231A1*999*pass*containing-3-837s.edi")
    path = next(iter(ack))
    data = path.read_bytes()
    start = data.index(b"IK4*") + 4
    end = data.index(b"*", start)
    huge = data[:start] + b"9" * 5000 + data[end:]
    result = parse_bytes(huge, file_id="ack")
    assert any(e.segment_id == "IK4" for e in result.errors)
    assert result.tables["ack_999_errors"][0]["element_position"] is None
    as_arrow(result)


# ------------------------------------------------------------------ errors no set holds


def test_errors_outside_sets_are_the_interchanges_own() -> None:
    isa_byte = SMALL_835.replace(b"*ZZ*PAYER          *", b"*ZZ*PAYER\xc9         *")
    result = parse_bytes(isa_byte, file_id="isa")
    (error,) = result.errors
    assert (error.code, error.segment_id, error.element_position) == (
        "element_invalid_character",
        "ISA",
        6,
    )
    assert result.transactions[0].valid  # no set holds it: the loader would load every row
    assert result.errors_outside_sets() == [error]
    truncated = parse_bytes(SMALL_835.replace(b"IEA*1*000000002~\n", b""), file_id="t")
    assert [e.code for e in truncated.errors_outside_sets()] == ["iea_missing"]
    assert truncated.transactions[0].valid
    inside = parse_bytes(LATIN1_835, file_id="l")
    assert inside.errors_outside_sets() == []
    # two interchanges reusing ISA13/GS06/ST02: the second's IEA error is outside its set
    twice = SMALL_835 + SMALL_835.replace(b"IEA*1*000000002", b"IEA*2*000000002")
    both = parse_bytes(twice, file_id="2")
    assert [e.code for e in both.errors_outside_sets()] == ["iea_count"]
    assert [t.valid for t in both.transactions] == [True, True]
