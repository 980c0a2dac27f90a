"""``claimflow appeal prepare CASE_DIR``: a case loaded into a real DuckDB warehouse, read back
as the same Chart, replaced whole when prepared again, quarantine and clear errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from claimflow.appeals import store
from claimflow.appeals.case import load_case
from claimflow.appeals.store import CaseNotFoundError, read_case, read_chart, read_quarantine
from claimflow.schema.appeals import APPEAL_TABLES, CLINICAL_TABLES
from claimflow.warehouse.connection import open_warehouse
from tests.appeals.fixtures.cases import (
    LABS,
    NO_DRG_LETTER,
    NOTE_TEXT,
    text_pdf,
    write_csv_case,
    write_fhir_bundle,
)
from tests.conftest import cli

COUNTS = {  # the fixture's rows, counted by hand: 9 labs (SODIUM left out), 6 vitals, ...
    "clinical_observations": 8 + 6,
    "clinical_medications": 3,
    "clinical_diagnoses": 2,
    "clinical_notes": 1,
}


def _counts(warehouse: Path, case_id: str) -> dict[str, int]:
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {
            t.name: conn.execute(
                f"SELECT count(*) FROM {t.name} WHERE case_id = ?", [case_id]
            ).fetchone()[0]  # type: ignore[index]
            for t in APPEAL_TABLES
        }
    finally:
        conn.close()


def test_migration_0009_creates_the_declared_tables(tmp_path: Path) -> None:
    conn = open_warehouse(tmp_path / "w.duckdb")
    try:
        for table in APPEAL_TABLES:
            cols = conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_name = ? ORDER BY ordinal_position",
                [table.name],
            ).fetchall()
            assert [c[0] for c in cols] == list(table.column_names), table.name
            assert [c[1] for c in cols] == [c.sql_type for c in table.columns], table.name
    finally:
        conn.close()


def test_prepare_a_csv_case(tmp_path: Path) -> None:
    case = write_csv_case(tmp_path / "case-0001")
    warehouse = tmp_path / "w.duckdb"
    result = cli("appeal", "prepare", str(case), "--warehouse", str(warehouse))
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "Prepared case case-0001: condition sepsis" in text
    assert "account H100234567" in text and "DRG 871 → 872" in text
    assert "appeal deadline 2025-05-13" in text  # 2025-03-14 + 60 days
    assert "payer arguments: sofa_below_2, lactate_not_elevated" in text
    assert "OCR: not used" in text
    assert "14 observations, 3 medications, 2 diagnoses, 1 notes" in text
    # no PHI: not the member id, not the patient's name or the note's text
    assert "XJ4429910" not in text and "John Example" not in text
    assert _counts(warehouse, "case-0001") == {
        **COUNTS,
        "appeal_cases": 1,
        **{f"{t.name}__quarantine": 0 for t in CLINICAL_TABLES},
    }
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        row = read_case(conn, "case-0001")
        chart = read_chart(conn, "case-0001")
    finally:
        conn.close()
    assert row["condition"] == "sepsis"
    assert (row["original_drg"], row["proposed_drg"]) == ("871", "872")
    assert row["letter_date"] == dt.date(2025, 3, 14)
    assert row["appeal_deadline"] == dt.date(2025, 5, 13)
    assert row["arguments"] == ["sofa_below_2", "lactate_not_elevated"]
    assert (row["member_id"], row["claim_number"]) == ("XJ4429910", "CLM-2025-00918")
    assert (row["letter_format"], row["ocr"], row["record_format"]) == ("txt", False, "csv")
    assert row["admitted"] == dt.datetime(2025, 3, 1, 8)
    assert row["claim_id"] is None  # no claim in this warehouse
    assert sorted(row["record_files"]) == sorted(
        ["encounter.csv", "labs.csv", "vitals.csv", "medications.csv", "diagnoses.csv",
         "notes.csv"]
    )  # fmt: skip
    # the chart read back is the chart read from the files, row for row, with its sources
    assert chart == load_case(case).chart
    assert chart.notes[0].text == NOTE_TEXT


def test_prepare_again_replaces_the_case_and_a_failed_store_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = write_csv_case(tmp_path / "case-0002")
    warehouse = tmp_path / "w.duckdb"
    assert cli("appeal", "prepare", str(case), "-w", str(warehouse)).exit_code == 0
    first = _counts(warehouse, "case-0002")
    assert cli("appeal", "prepare", str(case), "-w", str(warehouse)).exit_code == 0
    assert _counts(warehouse, "case-0002") == first  # replaced, not added
    # the case changes (one lab fewer); storing fails half-way: the first preparation stays whole
    write_csv_case(case, labs=LABS[1:])
    changed = load_case(case)
    real = store._insert

    def crash(conn: duckdb.DuckDBPyConnection, table: store.Table, rows: list[dict]) -> int:  # type: ignore[type-arg]
        if table.name == "clinical_notes":
            raise OSError("disk full")
        return real(conn, table, rows)

    monkeypatch.setattr(store, "_insert", crash)
    conn = open_warehouse(warehouse)
    try:
        with pytest.raises(OSError, match="disk full"):
            store.store_case(conn, changed)
    finally:
        conn.close()
    assert _counts(warehouse, "case-0002") == first
    monkeypatch.setattr(store, "_insert", real)
    assert cli("appeal", "prepare", str(case), "-w", str(warehouse)).exit_code == 0
    after = _counts(warehouse, "case-0002")
    assert after["clinical_observations"] == first["clinical_observations"] - 1


def test_quarantined_rows_exit_3_and_are_kept_with_their_reason(tmp_path: Path) -> None:
    labs = [*LABS, ("LACTIC ACID", "3.9", "mEq/L", "2025-03-01 16:00")]  # line 11
    case = write_csv_case(tmp_path / "case-0003", labs=labs)
    warehouse = tmp_path / "w.duckdb"
    result = cli("appeal", "prepare", str(case), "-w", str(warehouse))
    assert result.exit_code == 3
    assert "quarantined: 1 rows" in result.stdout
    assert "labs.csv, line 11, RESULT_UNIT: unit 'mEq/L' is not known for lactate" in result.stdout
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        (held,) = read_quarantine(conn, "case-0003")
        raw = conn.execute(
            "SELECT param, raw_value, raw_unit, dq_severity FROM"
            " clinical_observations__quarantine WHERE case_id = 'case-0003'"
        ).fetchone()
    finally:
        conn.close()
    assert (held["table_name"], held["file"], held["position"], held["dq_rule"]) == (
        "clinical_observations",
        "labs.csv",
        "11",
        "unit.unknown",
    )
    assert held["dq_details"].startswith("RESULT_UNIT: ")
    assert raw == ("lactate", "3.9", "mEq/L", "error")


def test_json_output_a_bundle_and_a_pdf_letter(tmp_path: Path) -> None:
    case = write_fhir_bundle(tmp_path / "case-0004", letter="")
    text_pdf(case / "denial.pdf", NO_DRG_LETTER)
    result = cli("appeal", "prepare", str(case), "-w", str(tmp_path / "w.duckdb"), "--json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["case_id"] == "case-0004"
    assert (out["original_drg"], out["proposed_drg"]) == (None, None)
    assert out["appeal_deadline"] == "2025-06-01"
    assert out["letter"] == {
        "file": "denial.pdf",
        "format": "pdf",
        "ocr": False,
        "psm": None,
        "confidence": None,
    }
    assert out["record_format"] == "fhir_bundle"
    assert out["loaded"]["clinical_observations"] == 8
    assert out["condition"] == "sepsis"  # named in the letter; no DRG number to go by
    assert "no_organ_dysfunction" in out["arguments"]
    assert "member_id" not in out
    # the letter's account number differs from the record's: said, without either value
    assert any("account number differs" in w for w in out["warnings"])
    assert "55512345" not in " ".join(out["warnings"])


def test_the_matched_warehouse_claim(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    conn = open_warehouse(warehouse)
    try:
        # claims whose patient control number is the account number: an older and a newer
        # 837, and the EMR export's row of the newer one (no segment), submitted later still:
        # the newer 837 is the claim, as the 835 matcher chooses
        conn.execute(
            "CREATE OR REPLACE VIEW claims_header AS SELECT * FROM (VALUES"
            " ('C-OLD', 'H100234567', DATE '2025-03-08', 3), ('C-NEW', 'H100234567',"
            " DATE '2025-03-09', 9), ('C-EMR', 'H100234567', DATE '2025-03-11', NULL),"
            " ('C-X', 'OTHER', DATE '2025-03-10', 4))"
            " AS t(claim_id, patient_control_number, submission_date, segment_index)"
        )
        assert store.match_claim(conn, "h100234567 ", None) == "C-NEW"
        assert store.match_claim(conn, "NOPE", "CLM-1") is None
        stored = store.store_case(conn, load_case(write_csv_case(tmp_path / "case-0005")))
        assert stored.claim_id == "C-NEW"
        assert read_case(conn, "case-0005")["claim_id"] == "C-NEW"
        with pytest.raises(CaseNotFoundError, match="no prepared case 'nope'"):
            read_chart(conn, "nope")
    finally:
        conn.close()


def test_clear_errors(tmp_path: Path) -> None:
    warehouse = str(tmp_path / "w.duckdb")
    only_letter = tmp_path / "only-letter"
    only_letter.mkdir()
    (only_letter / "denial.txt").write_text(NO_DRG_LETTER)
    result = cli("appeal", "prepare", str(only_letter), "-w", warehouse)
    assert result.exit_code == 1
    assert "no clinical data" in result.stderr
    both = write_csv_case(tmp_path / "both")
    write_fhir_bundle(both)
    result = cli("appeal", "prepare", str(both), "-w", warehouse)
    assert result.exit_code == 1 and "two clinical records" in result.stderr
    no_letter = write_csv_case(tmp_path / "no-letter", letter="")
    result = cli("appeal", "prepare", str(no_letter), "-w", warehouse)
    assert result.exit_code == 1 and "no denial letter" in result.stderr
    # every row quarantined: no clinical data either, and it says how many were held
    bad = write_csv_case(tmp_path / "all-bad", labs=[("LACTIC ACID", "4", "mEq/L", "2025-03-01 09:00")],
                         vitals=[])  # fmt: skip
    for name in ("medications.csv", "diagnoses.csv", "notes.csv"):
        (bad / name).unlink()
    result = cli("appeal", "prepare", str(bad), "-w", warehouse)
    assert result.exit_code == 1
    assert "no clinical data" in result.stderr and "1 rows quarantined" in result.stderr
    config = tmp_path / "bad.yaml"
    config.write_text("parameters: {X: nothing}\n")
    result = cli("appeal", "prepare", str(no_letter), "-w", warehouse, "--config", str(config))
    assert result.exit_code == 2 and "parameters.X" in result.stderr
    # a case that cannot be read is refused before the warehouse is opened
    assert not Path(warehouse).exists()


@pytest.mark.parametrize("kind", ["csv", "bundle", "ndjson"])
def test_claimflow_lineage_finds_a_chart_row_and_its_record(tmp_path: Path, kind: str) -> None:
    import hashlib

    from tests.appeals.fixtures.cases import write_fhir_ndjson

    writer = {"csv": write_csv_case, "bundle": write_fhir_bundle, "ndjson": write_fhir_ndjson}
    case = writer[kind](tmp_path / f"case-{kind}")
    warehouse = str(tmp_path / "w.duckdb")
    assert cli("appeal", "prepare", str(case), "-w", warehouse).exit_code == 0
    chart = load_case(case).chart
    rows = [*chart.observations, *chart.medications, *chart.diagnoses, *chart.notes]
    for row in (rows[0], chart.notes[0]):  # a note's CSV record spans lines
        result = cli("lineage", row.source.lineage_hash[:16], "-w", warehouse, "--show-phi",
                     "--json")  # fmt: skip
        assert result.exit_code == 0, result.stderr
        found = json.loads(result.stdout)
        assert found["lineage_hash"] == row.source.lineage_hash
        assert found["path"] == str(case / row.source.file)
        assert found["disposition"] == "loaded"
        file_id = hashlib.sha256((case / row.source.file).read_bytes()).hexdigest()
        assert found["file_id"] == file_id
        # the record read back is the one hashed: the hash recomputes
        again = f"{file_id}:{row.source.position}:{found['raw_record']}"
        assert hashlib.sha256(again.encode()).hexdigest() == row.source.lineage_hash
    masked = json.loads(
        cli("lineage", rows[0].source.lineage_hash, "-w", warehouse, "--json").stdout
    )
    assert masked["raw_record"] == "•••"


def test_claimflow_lineage_finds_a_quarantined_row(tmp_path: Path) -> None:
    labs = [*LABS, ("LACTIC ACID", "3.9", "mEq/L", "2025-03-01 16:00")]
    case = write_csv_case(tmp_path / "case-q", labs=labs)
    warehouse = str(tmp_path / "w.duckdb")
    result = cli("appeal", "prepare", str(case), "-w", warehouse, "--json")
    (held,) = json.loads(result.stdout)["quarantined"]
    found = json.loads(cli("lineage", held["lineage_hash"], "-w", warehouse, "--json").stdout)
    assert (found["disposition"], found["line"], found["tables"]) == (
        "quarantined",
        11,
        ["clinical_observations__quarantine"],
    )
