"""The streaming tokenizer: delimiters from each ISA, any line endings, encodings, chunking."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claimflow.x12 import Delimiters, iter_segments, parse_bytes
from claimflow.x12.tokens import SegmentReader, parse_isa

from .conftest import DATA

SMALL = (DATA / "valid" / "837p_small.x12").read_bytes()
SEGMENTS = [line.rstrip("~") for line in SMALL.decode().splitlines()]


def ids(data: bytes, chunk_size: int = 1 << 20) -> list[str]:
    return [sid for sid, _ in iter_segments(io.BytesIO(data), chunk_size)]


def test_delimiters_from_isa() -> None:
    isa = SEGMENTS[0]
    delims, length = parse_isa(isa + "~")  # type: ignore[misc]
    assert delims == Delimiters("*", ":", "^", "~")
    assert length == 105


def test_repetition_code_u_means_no_repetition_separator() -> None:
    isa = SEGMENTS[0].replace("*^*00501", "*U*00401")
    parsed = parse_isa(isa + "~")
    assert parsed is not None
    assert parsed[0].repetition is None


@pytest.mark.parametrize("ending", ["", "\n", "\r\n", "\r"])
def test_any_line_ending_or_none(ending: str) -> None:
    data = "".join(s + "~" + ending for s in SEGMENTS).encode()
    assert ids(data) == [s.split("*")[0] for s in SEGMENTS]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_newline_as_segment_terminator_with_indentation(newline: str) -> None:
    isa = SEGMENTS[0]
    lines = [isa] + ["   " + s for s in SEGMENTS[1:]]
    data = newline.join(lines).encode() + newline.encode()
    assert ids(data) == [s.split("*")[0] for s in SEGMENTS]
    result = parse_bytes(data, file_id="nl")
    assert result.errors == []


def test_utf8_bom_and_leading_whitespace() -> None:
    data = b"\xef\xbb\xbf \r\n  " + SMALL
    assert ids(data)[0] == "ISA"
    assert parse_bytes(data, file_id="bom").errors == []


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_input(encoding: str) -> None:
    data = SMALL.decode().encode(encoding)
    result = parse_bytes(data, file_id="u16")
    assert result.errors == []
    assert [r["patient_control_number"] for r in result.tables["claims_header"]] == ["PCN001"]


def test_several_interchanges_each_with_its_own_delimiters() -> None:
    other = (
        SMALL.decode()
        .replace("*", "|")
        .replace("~\n", "'")
        .replace(":", ">")
        .replace("000000001", "000000007")
    )
    result = parse_bytes(SMALL + other.encode() + SMALL, file_id="mixed")
    assert result.errors == []
    assert [t.isa13 for t in result.transactions] == ["000000001", "000000007", "000000001"]
    procs = [r["procedure_code"] for r in result.tables["claims_line"]]
    assert procs == ["99213", "85025"] * 3
    modifiers = {r["modifier_1"] for r in result.tables["claims_line"]}
    assert modifiers == {"25", None}


def test_several_groups_and_sets_per_interchange() -> None:
    text = SMALL.decode()
    head, _, rest = text.partition("GS*")
    group, _, _tail = ("GS*" + rest).partition("IEA*")
    two_sets = group.replace("GE*1*1", "").rstrip("~\n")
    body = two_sets[two_sets.index("ST*") :]
    group2 = (
        two_sets.replace("*1*X*", "*2*X*") + "~\n" + body.replace("0001", "0002") + "~\nGE*2*2~\n"
    )
    data = (head + group + group2 + "IEA*2*000000001~\n").encode()
    result = parse_bytes(data, file_id="groups")
    assert [(t.gs06, t.st02) for t in result.transactions] == [
        ("1", "0001"),
        ("2", "0001"),
        ("2", "0002"),
    ]
    assert result.errors == []


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=400))
def test_chunk_size_does_not_change_segments(chunk_size: int) -> None:
    data = SMALL.replace(b"\n", b"\r\n") + SMALL
    assert ids(data, chunk_size) == ids(data)


def test_reader_streams_without_reading_everything_first() -> None:
    class CountingStream(io.BytesIO):
        reads = 0

        def read(self, size: int | None = -1) -> bytes:
            CountingStream.reads += 1
            return super().read(size)

    stream = CountingStream(SMALL * 200)
    reader = SegmentReader(stream, chunk_size=512)
    delims, first = next(reader.batches())
    assert delims.element == "*"
    assert first[0].startswith("ISA")
    assert stream.tell() < len(SMALL) * 2
    assert CountingStream.reads < 10


def test_prose_before_isa_is_a_warning() -> None:
    result = parse_bytes(b"Scenario 1: some guide prose.\r\n\r\n" + SMALL, file_id="prose")
    assert result.errors == []
    assert [w.code for w in result.warnings if w.code != "npi_check_digit"] == ["junk_before_isa"]


def test_truncated_utf16_is_read_with_errors_not_an_exception() -> None:
    # odd length: the last "~" is cut in half, so the IEA is damaged
    data = SMALL.decode().rstrip("\n").encode("utf-16-le")[:-1]
    result = parse_bytes(data, file_id="u16")
    assert [r["patient_control_number"] for r in result.tables["claims_header"]] == ["PCN001"]
    assert "iea_control" in {e.code for e in result.errors}
