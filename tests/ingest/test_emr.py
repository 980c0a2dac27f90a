"""Loading EMR files: lines derived from headers, duplicates, lineage hashes, JSON extraction.

Expected values are computed here with hashlib and by hand, never by the loader.
"""

from __future__ import annotations

import hashlib
import json

from claimflow.schema import CLAIMS_LINE
from claimflow.warehouse.connection import open_warehouse
from claimflow.warehouse.parts import ensure_part
from tests.conftest import HEADER_ALPHA, Workspace


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def _claim_id(source_system: str, pcn: str) -> str:
    return _md5(f"{source_system}\x1f{pcn}")


def test_emr_lines_are_a_view_over_the_header_part(workspace: Workspace) -> None:
    ws = workspace
    ws.put(
        "a.csv",
        HEADER_ALPHA
        + "C1,P1,99213,Missing modifier,2025-07-01,denied\n"
        + "C2,P2,99214,,2025-07-02,approved\n",
    )
    ws.write_config([ws.alpha_source()])
    assert ws.run().exit_code == 0
    lines = ws.query(
        "SELECT claim_line_id, claim_id, line_number, procedure_code, source_row_number,"
        " lineage_hash FROM claims_line ORDER BY source_row_number"
    )
    headers = ws.query(
        "SELECT claim_id, lineage_hash FROM claims_header ORDER BY source_row_number"
    )
    c1, c2 = _claim_id("alpha", "C1"), _claim_id("alpha", "C2")
    assert [h[0] for h in headers] == [c1, c2]
    assert lines == [
        (_md5(f"{c1}\x1f1"), c1, 1, "99213", 1, headers[0][1]),
        (_md5(f"{c2}\x1f1"), c2, 1, "99214", 2, headers[1][1]),
    ]
    kinds = dict(
        ws.query(
            "SELECT table_name, table_type FROM information_schema.tables"
            " WHERE table_name LIKE 'claims_%__part__emr_alpha'"
        )
    )
    assert kinds == {
        "claims_header__part__emr_alpha": "BASE TABLE",
        "claims_line__part__emr_alpha": "VIEW",
    }
    # the canonical view still shows only claims_header's columns
    columns = [r[0] for r in ws.query("DESCRIBE claims_header")]
    assert "procedure_code" not in columns


def test_line_numbers_from_the_export_make_the_line_id(workspace: Workspace) -> None:
    ws = workspace
    ws.put("l.csv", "claim_id,status,line,code\nC1,denied,2,99213\nC2,denied,,99214\n")
    columns = {
        "patient_control_number": "claim_id",
        "claim_status": "status",
        "line_number": "line",
        "procedure_code": "code",
    }
    ws.write_config([ws.alpha_source(columns=columns)])
    assert ws.run().exit_code == 0
    c1, c2 = _claim_id("alpha", "C1"), _claim_id("alpha", "C2")
    assert ws.query("SELECT claim_line_id, line_number FROM claims_line ORDER BY 1") == sorted(
        [(_md5(f"{c1}\x1f2"), 2), (_md5(f"{c2}\x1f1"), 1)]
    )


def test_a_warehouse_with_stored_emr_lines_keeps_filling_them(workspace: Workspace) -> None:
    ws = workspace
    ws.warehouse.parent.mkdir(parents=True)
    conn = open_warehouse(ws.warehouse)
    try:  # as a warehouse made before lines were derived has it
        ensure_part(
            conn,
            CLAIMS_LINE,
            "emr_alpha",
            ["claim_line_id", "claim_id", "line_number", "procedure_code", "source_system",
             "data_source", "source_file_id", "source_row_number", "lineage_hash", "run_id",
             "ingested_at"],
        )  # fmt: skip
    finally:
        conn.close()
    ws.put("a.csv", HEADER_ALPHA + "C1,P1,99213,Missing modifier,2025-07-01,denied\n")
    ws.write_config([ws.alpha_source()])
    assert ws.run().exit_code == 0
    c1 = _claim_id("alpha", "C1")
    assert ws.query("SELECT claim_line_id, procedure_code FROM claims_line__part__emr_alpha") == [
        (_md5(f"{c1}\x1f1"), "99213")
    ]
    assert ws.query("SELECT count(*) FROM claims_line") == [(1,)]
    assert ws.query(
        "SELECT table_type FROM information_schema.tables"
        " WHERE table_name = 'claims_line__part__emr_alpha'"
    ) == [("BASE TABLE",)]


def test_first_valid_record_of_a_claim_id_wins(workspace: Workspace) -> None:
    ws = workspace
    ws.put(
        "a.csv",
        HEADER_ALPHA
        + "C1,P1,99213,,not a date,denied\n"  # 1 quarantined: does not take the id
        + "C1,P2,99213,,2025-07-02,denied\n"  # 2 loaded: first valid C1
        + "C2,P3,99213,,2025-07-03,denied\n"  # 3 loaded
        + "C1,P4,99213,,2025-07-04,denied\n"  # 4 duplicate of 2
        + "C2,P5,99213,,2025-07-05,approved\n",  # 5 duplicate of 3
    )
    ws.write_config([ws.alpha_source()])
    assert ws.run().exit_code == 3
    assert ws.query("SELECT source_row_number, disposition FROM bronze_emr_rows ORDER BY 1") == [
        (1, "quarantined"),
        (2, "loaded"),
        (3, "loaded"),
        (4, "duplicate"),
        (5, "duplicate"),
    ]
    assert ws.query("SELECT patient_control_number, member_id FROM claims_header ORDER BY 1") == [
        ("C1", "P2"),
        ("C2", "P3"),
    ]
    # a later file: C2 is taken by the warehouse, C3 is new
    ws.put("b.csv", HEADER_ALPHA + "C2,P6,99213,,2025-07-06,denied\nC3,P7,99213,,2025-07-07,paid\n")
    ws.write_config([ws.alpha_source(pattern="inbox/b.csv")])
    ws.run()
    (b,) = [f for f in ws.metrics()[-1]["files"] if f["path"].endswith("b.csv")]
    assert (b["rows_read"], b["rows_loaded"], b["rows_duplicate"], b["rows_quarantined"]) == (
        2,
        1,
        1,
        0,
    )
    assert ws.query("SELECT count(*) FROM claims_line") == [(3,)]


def test_lineage_hash_is_sha256_of_file_position_and_raw_record(workspace: Workspace) -> None:
    ws = workspace
    csv_path = ws.put("a.csv", HEADER_ALPHA + "C1,P1,99213,,2025-07-01,denied\n")
    obj = '{"id": "B1", "member": 42, "error_msg": {"code": "M1"}, "status": "Denied"}'
    json_path = ws.put("b.json", "[\n" + obj + "\n]\n")
    beta = {
        "name": "beta",
        "source_system": "beta",
        "format": "json",
        "pattern": "inbox/*.json",
        "columns": {
            "patient_control_number": "id",
            "member_id": "member",
            "denial_reason": "error_msg",
            "claim_status": "status",
        },
    }
    ws.write_config([ws.alpha_source(), beta])
    assert ws.run().exit_code == 0
    csv_id = hashlib.sha256(csv_path.read_bytes()).hexdigest()
    json_id = hashlib.sha256(json_path.read_bytes()).hexdigest()
    csv_raw = json.dumps(
        {
            "claim_id": "C1",
            "patient_id": "P1",
            "procedure_code": "99213",
            "denial_reason": None,
            "submitted_at": "2025-07-01",
            "status": "denied",
        },
        separators=(",", ":"),
    )
    rows = ws.query(
        "SELECT source_system, raw_record, lineage_hash FROM bronze_emr_rows ORDER BY 1"
    )
    assert rows == [
        ("alpha", csv_raw, hashlib.sha256(f"{csv_id}:1:{csv_raw}".encode()).hexdigest()),
        ("beta", obj, hashlib.sha256(f"{json_id}:1:{obj}".encode()).hexdigest()),
    ]
    # JSON values that are not strings arrive as their text
    assert ws.query(
        "SELECT member_id, denial_reason, claim_status FROM claims_header"
        " WHERE source_system = 'beta'"
    ) == [("42", '{"code":"M1"}', "denied")]


def test_only_records_of_files_that_map_a_line_field_have_a_line(workspace: Workspace) -> None:
    ws = workspace
    ws.put("a.csv", HEADER_ALPHA + "C1,P1,99213,Missing modifier,2025-07-01,denied\n")
    ws.write_config([ws.alpha_source()])
    ws.run()
    ws.put("b.csv", "claim_id,status\nC9,denied\n")
    columns = {"patient_control_number": "claim_id", "claim_status": "status"}
    ws.write_config([ws.alpha_source(pattern="inbox/b.csv", columns=columns)])
    assert ws.run().exit_code == 0
    assert ws.query("SELECT patient_control_number FROM claims_header ORDER BY 1") == [
        ("C1",),
        ("C9",),
    ]
    assert ws.query("SELECT claim_id FROM claims_line") == [(_claim_id("alpha", "C1"),)]
