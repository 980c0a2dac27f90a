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
    for source, expected in ((GOOD_837, "A"), (BAD_837, "R")):
        target = tmp_path / f"{source.stem}.999"
        result = cli("x12", "ack", str(source), "-o", str(target))
        assert result.exit_code == 0, result.stderr
        acks = parse_file(target, file_id="ack").tables["ack_999"]
        assert [a["transaction_ack_code"] for a in acks] == [expected]
        original = parse_file(source, file_id="orig").transactions[0]
        assert acks[0]["ack_st_control_number"] == original.st02
        assert acks[0]["ack_group_control_number"] == original.gs06


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
