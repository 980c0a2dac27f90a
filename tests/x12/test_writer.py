"""Writers: the 999 for an inbound 837, and 837 read → write → read round trips."""

from __future__ import annotations

import pytest

from claimflow.x12 import (
    ErrorKind,
    ParseResult,
    X12WriteError,
    parse_bytes,
    parse_file,
    write_837,
    write_999,
)

from .conftest import BROKEN, CORPUS, DATA, LINEAGE, WHEN, manifest


def canonical(result: ParseResult, table: str) -> list[dict[str, object]]:
    """Rows without keys and lineage (which depend on positions), in a stable order."""
    rows = [{k: v for k, v in r.items() if k not in LINEAGE} for r in result.tables[table]]
    return sorted(rows, key=lambda r: repr(sorted(r.items())))


# ------------------------------------------------------------------------------ 999


def test_999_for_a_clean_837_accepts_it() -> None:
    inbound = parse_file(DATA / "valid" / "837p_small.x12", file_id="in")
    ack = parse_bytes(write_999(inbound, when=WHEN), file_id="ack")
    assert ack.errors == []
    (row,) = ack.tables["ack_999"]
    assert row["ack_group_control_number"] == "1"  # GS06 of 837p_small.x12
    assert row["ack_st_control_number"] == "0001"  # its ST02
    assert row["implementation_ref"] == "005010X222A1"
    assert row["transaction_ack_code"] == "A"
    assert (row["group_ack_code"], row["ts_included"], row["ts_accepted"]) == ("A", 1, 1)
    # the 999 goes back the other way: our receiver is the 837's sender
    assert ack.groups[0].isa_receiver_id == "SUBMITTER"
    assert ack.groups[0].version == "005010X231A1"


def test_999_reports_element_error_with_ik3_ik4_and_ctx() -> None:
    inbound = parse_file(BROKEN / "837p_bad_code.x12", file_id="in")
    ack = parse_bytes(write_999(inbound, when=WHEN), file_id="ack")
    assert ack.errors == []
    (row,) = ack.tables["ack_999"]
    assert (row["transaction_ack_code"], row["transaction_error_codes"]) == ("R", "5")
    assert row["group_ack_code"] == "R"
    (error,) = ack.tables["ack_999_errors"]
    # CLM is segment 19 of the set; CLM05-3 holds the bad frequency code 9
    assert (error["segment_id"], error["segment_position"], error["loop_id"]) == ("CLM", 19, "2300")
    assert error["segment_error_code"] == "8"
    assert (error["element_position"], error["component_position"]) == (5, 3)
    assert (error["element_error_code"], error["bad_value"]) == ("7", "9")
    assert error["context"] == "CLM01:PCN001"


def test_999_reports_structure_and_envelope_errors() -> None:
    missing = parse_file(BROKEN / "837p_missing_segment.x12", file_id="in")
    ack = parse_bytes(write_999(missing, when=WHEN), file_id="ack")
    (error,) = ack.tables["ack_999_errors"]
    assert (error["segment_id"], error["loop_id"], error["segment_error_code"]) == (
        "N3",
        "2010AA",
        "3",
    )
    count = parse_file(BROKEN / "837p_se_count.x12", file_id="in")
    ack = parse_bytes(write_999(count, when=WHEN), file_id="ack")
    (row,) = ack.tables["ack_999"]
    assert (row["transaction_ack_code"], row["transaction_error_codes"]) == ("R", "4")
    assert ack.tables["ack_999_errors"] == []


def test_999_partial_acceptance_over_several_sets() -> None:
    text = (DATA / "valid" / "837p_small.x12").read_text()
    head, _, rest = text.partition("ST*837")
    body, _, tail = ("ST*837" + rest).partition("GE*1*1")
    bad = body.replace("0001", "0002").replace("11:B:1", "11:B:9")
    data = (head + body + bad + "GE*2*1" + tail).encode()
    ack = parse_bytes(write_999(parse_bytes(data, file_id="in"), when=WHEN), file_id="ack")
    codes = [(r["ack_st_control_number"], r["transaction_ack_code"]) for r in ack.tables["ack_999"]]
    assert codes == [("0001", "A"), ("0002", "R")]
    assert {r["group_ack_code"] for r in ack.tables["ack_999"]} == {"P"}


def test_999_needs_a_group() -> None:
    with pytest.raises(X12WriteError):
        write_999(parse_bytes(b"not x12", file_id="x"))


# ------------------------------------------------------------------------------ 837


def _round_trip(result: ParseResult) -> ParseResult:
    claim_type = str(result.tables["claims_header"][0]["claim_type"])
    written = write_837(
        result.tables["claims_header"],
        result.tables["claims_line"],
        result.tables["diagnoses"],
        claim_type=claim_type,
        when=WHEN,
    )
    return parse_bytes(written, file_id="again")


CLEAN_837 = [
    r["file"]
    for r in manifest()
    if r["transaction_set"] in ("837P", "837I")
    and not any(
        e.kind in (ErrorKind.STRUCTURE, ErrorKind.ELEMENT)
        for e in parse_file(CORPUS / r["file"], file_id="f").errors
    )
]


def test_enough_clean_837_files_to_round_trip() -> None:
    assert len(CLEAN_837) >= 20


@pytest.mark.parametrize("name", CLEAN_837, ids=[n.split("/")[-1][-50:] for n in CLEAN_837])
def test_837_read_write_read_gives_the_same_rows(name: str) -> None:
    first = parse_file(CORPUS / name, file_id="first")
    if not first.tables["claims_header"]:
        pytest.skip("no claims in this file")
    second = _round_trip(first)
    for table in ("claims_header", "claims_line", "diagnoses"):
        assert canonical(second, table) == canonical(first, table), table
    assert not [e for e in second.errors if e.kind in (ErrorKind.STRUCTURE, ErrorKind.ELEMENT)]


def test_837_writer_emits_corrected_claim() -> None:
    first = parse_file(DATA / "valid" / "837p_small.x12", file_id="first")
    header = dict(first.tables["claims_header"][0])
    header["claim_frequency_code"] = "7"
    header["original_payer_claim_control_number"] = "ICN0001"
    written = write_837([header], first.tables["claims_line"], first.tables["diagnoses"], when=WHEN)
    assert b"CLM*PCN001*150.00***11:B:7*Y*A*Y*Y~" in written
    assert b"REF*F8*ICN0001~" in written
    again = parse_bytes(written, file_id="again")
    assert again.errors == []
    (claim,) = again.tables["claims_header"]
    assert claim["original_payer_claim_control_number"] == "ICN0001"


def test_837_writer_rejects_unknown_claim_type() -> None:
    expected = "claim type 'vision'; expected one of professional, institutional, dental"
    with pytest.raises(X12WriteError, match=expected):
        write_837([], [], [], claim_type="vision")


def test_999_tells_apart_interchanges_that_reuse_control_numbers() -> None:
    # 312 interchanges, all with ISA13 000000905, GS06 1 and ST02 987654
    name = "imsweb__x12-parser/src__test__resources__837_5010__x12_multiple_transactions.txt"
    inbound = parse_file(CORPUS / name, file_id="in")
    ack = parse_bytes(write_999(inbound, when=WHEN), file_id="ack")
    assert ack.errors == []
    assert len(ack.tables["ack_999"]) == 312
    # per set: the wrong SE01 goes to IK502; its two unbalanced claims give one IK3 each
    assert len(ack.tables["ack_999_errors"]) == 312 * 2
    first = inbound.transactions[0]
    assert len(inbound.errors_for(first)) == 3
    assert len(inbound.rows_for(first, "claims_header")) == 2


def test_999_skips_an_unreadable_segment_id_but_still_rejects() -> None:
    name = "imsweb__x12-parser/src__test__resources__837_5010__x12_bad_segment_identifier.txt"
    ack = parse_bytes(write_999(parse_file(CORPUS / name, file_id="in"), when=WHEN), file_id="a")
    assert ack.errors == []
    assert ack.tables["ack_999"][0]["transaction_ack_code"] == "R"
    assert "" not in {e["segment_id"] for e in ack.tables["ack_999_errors"]}


ALL_FILES = [r["file"] for r in manifest()]


@pytest.mark.parametrize("name", ALL_FILES, ids=[n.split("/")[-1][-50:] for n in ALL_FILES])
def test_999_for_every_corpus_file_is_itself_valid(name: str) -> None:
    inbound = parse_file(CORPUS / name, file_id="in")
    if not inbound.groups:
        pytest.skip("no functional group to acknowledge")
    ack = parse_bytes(write_999(inbound, when=WHEN), file_id="ack")
    assert ack.errors == []
    assert len(ack.tables["ack_999"]) == len(inbound.transactions)
