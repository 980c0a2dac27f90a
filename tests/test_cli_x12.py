"""``claimflow x12 validate | ack | parse`` on real corpus files."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb

from claimflow.x12 import parse_file
from tests.conftest import REPO, cli

CORPUS = REPO / "tests" / "data" / "x12" / "corpus"
GOOD_837 = CORPUS / "zentist__TigerShark" / "tests__5010-837-professional-example.txt"
BAD_837 = CORPUS / "imsweb__x12-parser" / "src__test__resources__837_5010__x12_segment_errors.txt"
REMIT = CORPUS / "zentist__TigerShark" / "tests__5010-835-example-1.txt"


def test_validate_exit_codes_and_coordinates() -> None:
    good = cli("x12", "validate", str(GOOD_837))
    assert good.exit_code == 0, good.stdout
    assert "0 error(s)" in good.stdout
    bad = cli("x12", "validate", str(BAD_837), "--json")
    assert bad.exit_code == 3
    errors = [json.loads(line) for line in bad.stdout.splitlines() if line.strip()]
    # EXPECTED_FACTS #18: N3 missing in 2010AA, HI missing in 2300, REF too many in 2010AA
    found = {(e["segment_id"], e["loop_id"]) for e in errors if e["severity"] == "error"}
    assert {("N3", "2010AA"), ("HI", "2300"), ("REF", "2010AA")} <= found
    assert all(e["segment_position"] for e in errors)
    assert all("bad_value" not in e for e in errors)


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

SMALL_835 = (REPO / "tests" / "data" / "x12" / "valid" / "835_small.x12").read_bytes()


def test_a_latin1_byte_is_reported_with_its_coordinates(tmp_path: Path) -> None:
    path = tmp_path / "latin1.835"
    path.write_bytes(SMALL_835.replace(b"N1*PR*ACME HEALTH", b"N1*PR*SEGUROS M\xc9DICOS"))
    checked = cli("x12", "validate", str(path), "--json")
    assert checked.exit_code == 3, checked.stderr
    (error,) = [json.loads(line) for line in checked.stdout.splitlines() if line.strip()]
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
    (error,) = [json.loads(line) for line in checked.stdout.splitlines() if line.strip()]
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
