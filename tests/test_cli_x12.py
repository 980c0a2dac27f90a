"""``claimflow x12 validate | ack | parse`` on real corpus files."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from claimflow.phi import MASK
from claimflow.x12 import ErrorKind, parse_file
from tests.conftest import REPO, cli

CORPUS = REPO / "tests" / "data" / "x12" / "corpus"
GOOD_837 = CORPUS / "zentist__TigerShark" / "tests__5010-837-professional-example.txt"
BAD_837 = CORPUS / "imsweb__x12-parser" / "src__test__resources__837_5010__x12_segment_errors.txt"
REMIT = CORPUS / "zentist__TigerShark" / "tests__5010-835-example-1.txt"
SMALL_835 = (REPO / "tests" / "data" / "x12" / "valid" / "835_small.x12").read_bytes()
SMALL_837 = (REPO / "tests" / "data" / "x12" / "valid" / "837p_small.x12").read_bytes()


def _files(stdout: str) -> list[dict[str, Any]]:
    """``x12 validate --json``: one object per file, one per line."""
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def _segments(path: Path) -> list[str]:
    """The file's segments in order (the corpus files end each with ``~``)."""
    return [s.strip() for s in path.read_text().split("~") if s.strip()]


def test_validate_exit_codes_and_coordinates() -> None:
    good = cli("x12", "validate", str(GOOD_837))
    assert good.exit_code == 0, good.stdout
    assert "valid: 1 transaction set(s)" in good.stdout and "0 error(s)" in good.stdout
    bad = cli("x12", "validate", str(BAD_837), "--json")
    assert bad.exit_code == 3
    (report,) = _files(bad.stdout)
    assert report["file"] == str(BAD_837) and report["valid"] is False
    errors = report["errors"]
    # EXPECTED_FACTS #18: N3 missing in 2010AA, HI missing in 2300, REF too many in 2010AA
    found = {(e["segment_id"], e["loop_id"]) for e in errors}
    assert {("N3", "2010AA"), ("HI", "2300"), ("REF", "2010AA")} <= found
    assert all(e["severity"] == "error" for e in errors)
    assert report["error_count"] == len(errors)
    assert all(e["segment_position"] for e in errors)
    assert all("bad_value" not in e for e in errors)
    # plain values: the error family as a word of its own, not a Python enum's repr
    assert {e["kind"] for e in errors} <= {k.value for k in ErrorKind}
    assert "ErrorKind" not in bad.stdout


def test_validate_sorts_errors_by_position_with_the_segment_text() -> None:
    checked = cli("x12", "validate", str(BAD_837), "--json")
    (report,) = _files(checked.stdout)
    issues = report["errors"] + report["warnings"]
    segments = _segments(BAD_837)
    for e in issues:
        # the text shown is the file's segment at that position, as the file holds it
        assert e["segment_text"] == segments[e["segment_index"] - 1] + "~"
    positions = [e["segment_index"] for e in report["errors"]]
    assert positions == sorted(positions)
    text = cli("x12", "validate", str(BAD_837))
    assert text.exit_code == 3
    lines = text.stdout.splitlines()
    shown = [ln.strip()[2:] for ln in lines if ln.strip().startswith("> ")]
    by_position = sorted(issues, key=lambda e: e["segment_index"])
    assert shown == [e["segment_text"] for e in by_position]
    assert "11:B:1" in text.stdout  # a composite is not read as an emoji code


def test_validate_many_files_and_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    (folder / "sub").mkdir(parents=True)
    (folder / "good.x12").write_bytes(GOOD_837.read_bytes())
    (folder / "sub" / "bad.x12").write_bytes(BAD_837.read_bytes())
    (folder / ".hidden.x12").write_bytes(b"not looked at")
    (folder / "empty.x12").write_bytes(b"")
    checked = cli("x12", "validate", str(folder), str(REMIT), "--json")
    assert checked.exit_code == 3, checked.stderr
    reports = {Path(r["file"]).name: r for r in _files(checked.stdout)}
    assert set(reports) == {"good.x12", "bad.x12", "empty.x12", REMIT.name}
    assert reports["good.x12"]["valid"] and reports["good.x12"]["errors"] == []
    assert reports["good.x12"]["transaction_sets"] == 1 and reports["good.x12"]["kinds"] == ["837P"]
    assert reports[REMIT.name]["valid"] and reports[REMIT.name]["kinds"] == ["835"]
    assert not reports["bad.x12"]["valid"] and reports["bad.x12"]["error_count"] > 0
    empty = reports["empty.x12"]
    assert not empty["valid"] and "empty file" in empty["problem"]
    text = cli("x12", "validate", str(folder))
    assert text.exit_code == 3
    assert "empty.x12: invalid: empty file (0 bytes)" in text.stdout
    assert "3 files: 1 valid, 2 invalid" in text.stdout
    only_good = cli("x12", "validate", str(folder / "good.x12"), str(REMIT))
    assert only_good.exit_code == 0 and "2 files: 2 valid, 0 invalid" in only_good.stdout
    nothing = tmp_path / "nothing"
    nothing.mkdir()
    assert cli("x12", "validate", str(nothing)).exit_code == 1
    missing = cli("x12", "validate", str(tmp_path / "absent.x12"))
    assert missing.exit_code == 2


def test_validate_masks_patient_identifiers_in_segment_texts(tmp_path: Path) -> None:
    # a subscriber name longer than NM103 allows (60): an element error in the patient's NM1
    path = tmp_path / "long_name.x12"
    long_name = "DOE" + "X" * 70
    path.write_bytes(
        SMALL_837.replace(b"NM1*IL*1*DOE*JOHN", b"NM1*IL*1*" + long_name.encode() + b"*JOHN")
    )
    checked = cli("x12", "validate", str(path), "--json")
    assert checked.exit_code == 3, checked.stdout
    (report,) = _files(checked.stdout)
    (error,) = [e for e in report["errors"] if e["segment_id"] == "NM1"]
    assert error["segment_text"] == f"NM1*IL*1*{MASK}*{MASK}****MI*{MASK}~"
    text = cli("x12", "validate", str(path))
    for shown in (checked.stdout, text.stdout):
        assert "JOHN" not in shown and "MEM001" not in shown


def test_ack_writes_a_999_that_reads_back(tmp_path: Path) -> None:
    warehouse = str(tmp_path / "w.duckdb")
    numbers = []
    for source, expected in ((GOOD_837, "A"), (BAD_837, "R"), (GOOD_837, "A")):
        target = tmp_path / f"{source.stem}.999"
        result = cli("x12", "ack", str(source), "-o", str(target), "--warehouse", warehouse)
        assert result.exit_code == 0, result.stderr
        acks = parse_file(target, file_id="ack").tables["ack_999"]
        assert [a["transaction_ack_code"] for a in acks] == [expected]
        original = parse_file(source, file_id="orig").transactions[0]
        assert acks[0]["ack_st_control_number"] == original.st02
        assert acks[0]["ack_group_control_number"] == original.gs06
        isa = target.read_text().split("~", 1)[0].split("*")
        numbers.append((isa[6].strip(), isa[8].strip(), isa[13]))
    # each 999 to the same sender takes the next number of the warehouse's counter
    pairs = {(s, r) for s, r, _ in numbers}
    for pair in pairs:
        used = [int(n) for s, r, n in numbers if (s, r) == pair]
        assert used == list(range(1, len(used) + 1)), numbers


def test_parse_writes_one_file_per_table(tmp_path: Path) -> None:
    result = cli("x12", "parse", str(REMIT), "--out", str(tmp_path), "--format", "parquet")
    assert result.exit_code == 0, result.stderr
    conn = duckdb.connect()
    payments = conn.execute(
        f"SELECT total_payment_amount, payment_date::VARCHAR FROM '{tmp_path / 'payments.parquet'}'"
    ).fetchall()
    assert payments == [(Decimal("1790.00"), "2011-09-30")]  # EXPECTED_FACTS #1
    claims = conn.execute(f"SELECT count(*) FROM '{tmp_path / 'adjudication.parquet'}'").fetchone()
    assert claims == (3,)
    nd = cli("x12", "parse", str(REMIT), "--out", str(tmp_path / "nd"), "--format", "ndjson")
    assert nd.exit_code == 0
    lines = (tmp_path / "nd" / "adjudication.ndjson").read_text().splitlines()
    assert len(lines) == 3 and json.loads(lines[0])["patient_control_number"] == "PRECERTIFICATION"


# ------------------------------------------------------------------ bytes outside X12 (issue 23)


def test_a_latin1_byte_is_reported_with_its_coordinates(tmp_path: Path) -> None:
    path = tmp_path / "latin1.835"
    path.write_bytes(SMALL_835.replace(b"N1*PR*ACME HEALTH", b"N1*PR*SEGUROS M\xc9DICOS"))
    checked = cli("x12", "validate", str(path), "--json")
    assert checked.exit_code == 3, checked.stderr
    ((report,),) = [_files(checked.stdout)]
    (error,) = report["errors"]
    assert (error["code"], error["segment_id"], error["loop_id"]) == (
        "element_invalid_character",
        "N1",
        "1000A",
    )
    assert (error["segment_position"], error["element_position"]) == (5, 2)
    assert error["element_error_code"] == "6" and "SEGUROS M\\xc9DICOS" in error["message"]
    table = cli("x12", "validate", str(path))
    assert table.exit_code == 3 and "1 error(s)" in table.stdout
    parsed = cli("x12", "parse", str(path), "--out", str(tmp_path / "out"))
    assert parsed.exit_code == 3
    message = parsed.stderr.replace("\n", " ")
    assert f"{path}: N102 holds 'SEGUROS M\\xc9DICOS'" in message
    assert "segment 5 N1, loop 1000A, element 02" in message
    conn = duckdb.connect()
    names = conn.execute(f"SELECT payer_name FROM '{tmp_path / 'out' / 'payments.parquet'}'")
    assert names.fetchall() == [("SEGUROS M\\xc9DICOS",)]
    claims = conn.execute(f"SELECT count(*) FROM '{tmp_path / 'out' / 'adjudication.parquet'}'")
    assert claims.fetchone() == (3,)


def test_a_million_digit_amount_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "amt.835"
    path.write_bytes(SMALL_835.replace(b"AMT*B6*80.00", b"AMT*B6*" + b"9" * 1_000_000))
    checked = cli("x12", "validate", str(path), "--json")
    assert checked.exit_code == 3, checked.stderr
    ((report,),) = [_files(checked.stdout)]
    (error,) = report["errors"]
    assert error["segment_text"].startswith("AMT*B6*999") and len(error["segment_text"]) < 200
    assert (error["segment_id"], error["element_position"], error["element_error_code"]) == (
        "AMT",
        2,
        "5",
    )
    assert len(checked.stdout) < 2_000  # the value is not printed whole
    parsed = cli("x12", "parse", str(path), "--out", str(tmp_path / "out"))
    assert parsed.exit_code == 3 and "Traceback" not in parsed.stderr
    assert "segment 17 AMT, loop 2110, element 02" in parsed.stderr.replace("\n", " ")


def test_values_that_look_like_markup_are_printed_as_they_are(tmp_path: Path) -> None:
    path = tmp_path / "markup.835"
    path.write_bytes(SMALL_835.replace(b"CLP*PCN001*1*", b"CLP*PCN001*[/bold]*"))
    for args in (("validate", str(path)), ("validate", str(path), "--json")):
        checked = cli("x12", *args)
        assert checked.exit_code == 3, checked.stderr
        assert "[/bold]" in checked.stdout
    parsed = cli("x12", "parse", str(path), "--out", str(tmp_path / "[red]out"))
    assert parsed.exit_code == 3 and "[red]out" in parsed.stdout


def test_an_unreadable_file_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "nothing.x12"
    path.write_bytes(b"\x00\xff not X12 at all \xc9")
    parsed = cli("x12", "parse", str(path), "--out", str(tmp_path / "out"))
    assert parsed.exit_code == 1
    assert str(path) in parsed.stderr.replace("\n", "") and "not readable as X12" in parsed.stderr
    checked = cli("x12", "validate", str(path))
    assert checked.exit_code == 3 and "0 transaction set(s)" in checked.stdout
    assert "no transaction set" in checked.stdout
