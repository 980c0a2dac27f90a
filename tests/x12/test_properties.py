"""Property-based tests: generated claims round-trip; corrupt input raises only our errors."""

from __future__ import annotations

import contextlib
import datetime
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claimflow.x12 import ErrorLevel, X12Error, parse_bytes, write_837

from .conftest import DATA

WHEN = datetime.datetime(2024, 3, 1, 9, 30)
VALID = [
    (DATA / "valid" / "837p_small.x12").read_bytes(),
    (DATA / "valid" / "835_small.x12").read_bytes(),
]

codes = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=3, max_size=7)
cents = st.integers(min_value=1, max_value=999_999).map(lambda c: Decimal(c).scaleb(-2))
days = st.dates(min_value=datetime.date(2015, 1, 1), max_value=datetime.date(2030, 12, 31))


@st.composite
def claims(draw: st.DrawFn) -> tuple[dict[str, object], list[dict[str, object]], list[str]]:
    lines = []
    for number in range(1, draw(st.integers(1, 6)) + 1):
        day = draw(days)
        lines.append(
            {
                "claim_id": "c",
                "line_number": number,
                "procedure_qualifier": "HC",
                "procedure_code": draw(codes),
                "modifier_1": draw(st.sampled_from([None, "25", "59", "LT"])),
                "line_charge": draw(cents),
                "unit_basis": "UN",
                "units": Decimal(draw(st.integers(1, 99))),
                "place_of_service_code": draw(st.sampled_from(["11", "21", "22"])),
                "dx_pointer_1": 1,
                "service_from": day,
                "service_to": day,
                "line_item_control_number": draw(st.none() | codes),
            }
        )
    header: dict[str, object] = {
        "claim_id": "c",
        "patient_control_number": draw(codes),
        "claim_type": "professional",
        "total_charge": sum(
            (x["line_charge"] for x in lines if isinstance(x["line_charge"], Decimal)), Decimal(0)
        ),
        "place_of_service_code": "11",
        "claim_frequency_code": draw(st.sampled_from(["1", "7", "8"])),
        "assignment_code": draw(st.sampled_from(["A", "B", "C"])),
        "benefits_assignment": draw(st.sampled_from(["N", "W", "Y"])),
        "release_of_info": draw(st.sampled_from(["I", "Y"])),
        "billing_npi": draw(st.from_regex(r"\A[0-9]{10}\Z")),
        "member_id": draw(codes),
        "payer_id": draw(codes),
        "payer_name": "PAYER",
        "payer_responsibility_seq": "P",
        "subscriber_relationship_code": "18",
        "claim_filing_indicator": "CI",
        "patient_dob": draw(days),
        "patient_gender": draw(st.sampled_from(["M", "F", "U"])),
        "prior_auth_number": draw(st.none() | codes),
    }
    dx = draw(st.lists(codes, min_size=1, max_size=8, unique=True))
    return header, lines, dx


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claims())
def test_generated_claims_round_trip(
    claim: tuple[dict[str, object], list[dict[str, object]], list[str]],
) -> None:
    header, lines, dx = claim
    diagnoses: list[dict[str, object]] = [
        {"claim_id": "c", "sequence": i, "qualifier": "ABK" if i == 1 else "ABF", "code": code}
        for i, code in enumerate(dx, 1)
    ]
    written = write_837([header], lines, diagnoses, when=WHEN)
    result = parse_bytes(written, file_id="gen", level=ErrorLevel.STRICT)
    (back,) = result.tables["claims_header"]
    for column, value in header.items():
        if column != "claim_id":
            assert back[column] == value, column
    got_lines = result.tables["claims_line"]
    assert len(got_lines) == len(lines)
    for want, got in zip(lines, got_lines, strict=True):
        for column, value in want.items():
            if column != "claim_id":
                assert got[column] == value, column
    assert [d["code"] for d in result.tables["diagnoses"]] == dx
    assert back["statement_from"] == min(x["service_from"] for x in lines)  # type: ignore[type-var]


corruptions = st.sampled_from(["truncate", "delete", "duplicate", "delimiter", "bytes", "swap"])


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(VALID), corruptions, st.data())
def test_random_corruption_raises_only_our_errors(
    data: bytes, how: str, draw: st.DataObject
) -> None:
    segments = data.split(b"~\n")
    if how == "truncate":
        corrupt = data[: draw.draw(st.integers(0, len(data)))]
    elif how == "delete":
        i = draw.draw(st.integers(0, len(segments) - 1))
        corrupt = b"~\n".join(segments[:i] + segments[i + 1 :])
    elif how == "duplicate":
        i = draw.draw(st.integers(0, len(segments) - 1))
        corrupt = b"~\n".join(segments[: i + 1] + segments[i:])
    elif how == "delimiter":
        old = draw.draw(st.sampled_from([b"*", b":", b"~", b"^"]))
        new = draw.draw(st.sampled_from([b"|", b"*", b"~", b"", b"\n", b">"]))
        corrupt = data.replace(old, new)
    elif how == "swap":
        i = draw.draw(st.integers(0, len(segments) - 2))
        segments[i], segments[i + 1] = segments[i + 1], segments[i]
        corrupt = b"~\n".join(segments)
    else:
        at = draw.draw(st.integers(0, len(data)))
        junk = draw.draw(st.binary(min_size=1, max_size=40))
        corrupt = data[:at] + junk + data[at:]
    result = parse_bytes(corrupt, file_id="c")  # collect mode never raises
    for error in result.errors:
        assert error.message
    with contextlib.suppress(X12Error):
        parse_bytes(corrupt, file_id="c", level=ErrorLevel.STRICT)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_raise_only_our_errors(data: bytes) -> None:
    parse_bytes(data, file_id="r")
    with contextlib.suppress(X12Error):
        parse_bytes(b"ISA*00*" + data, file_id="r", level=ErrorLevel.STRICT)
