"""The tabular adapter on real files: every shape it accepts and every way input goes wrong."""

from __future__ import annotations

import json

import duckdb

from tests.conftest import Workspace

HEADER = "claim_id,patient_id,procedure_code,denial_reason,submitted_at,status\n"
JSON_COLUMNS = {"patient_control_number": "id", "claim_status": "status"}


def _files(ws: Workspace) -> dict[str, dict[str, object]]:
    (m,) = ws.metrics()[-1:]
    return {f["path"].rsplit("/", 1)[-1]: f for f in m["files"]}


def test_missing_required_column_rejects_file_naming_column_and_columns(
    workspace: Workspace,
) -> None:
    ws = workspace
    ws.put("a_good.csv", HEADER + "C1,P1,99213,Missing modifier,2025-07-01,denied\n")
    ws.put("b_nostatus.csv", "claim_id,patient_id,submitted_at\nC2,P2,2025-07-01\n")
    ws.write_config([ws.alpha_source()])
    result = ws.run()
    assert result.exit_code == 3
    files = _files(ws)
    bad = files["b_nostatus.csv"]
    assert bad["status"] == "failed"
    message = str(bad["message"])
    assert "'status'" in message and "claim_status" in message
    assert "claim_id, patient_id, submitted_at" in message
    assert files["a_good.csv"]["status"] == "loaded"
    assert ws.query("SELECT patient_control_number FROM claims_header") == [("C1",)]
    registry = ws.query("SELECT status, message FROM source_files ORDER BY path")
    assert [r[0] for r in registry] == ["loaded", "failed"]
    assert "claim_status" in str(registry[1][1])


def test_unreadable_files_are_registered_failed_and_others_still_run(workspace: Workspace) -> None:
    ws = workspace
    ws.put("good.csv", HEADER + "C1,P1,99213,Missing modifier,2025-07-01,denied\n")
    ws.put("empty.csv", b"")
    ws.put("binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01")
    ws.put(
        "latin1.csv",
        (HEADER + "C9,P9,99213,Modificador ausente é,2025-07-01,denied\n").encode("latin-1"),
    )
    ws.write_config([ws.alpha_source()])
    result = ws.run()
    assert result.exit_code == 3
    files = _files(ws)
    assert files["good.csv"]["status"] == "loaded"
    assert files["empty.csv"]["status"] == "failed"
    assert "empty" in str(files["empty.csv"]["message"])
    assert files["binary.csv"]["status"] == "failed"
    assert "binary" in str(files["binary.csv"]["message"])
    # a UTF-8 source's line that is not UTF-8 is quarantined, the file's other lines load
    assert files["latin1.csv"]["status"] == "loaded"
    assert files["latin1.csv"]["rows_quarantined"] == 1
    assert ws.query("SELECT count(*) FROM claims_header") == [(1,)]
    failed = ws.query("SELECT count(*) FROM source_files WHERE status = 'failed'")
    assert failed == [(2,)]


def test_declared_encoding_is_honoured(workspace: Workspace) -> None:
    ws = workspace
    ws.put(
        "latin1.csv",
        (HEADER + "C9,P9,99213,Modificador ausente é,2025-07-01,denied\n").encode("latin-1"),
    )
    ws.write_config([ws.alpha_source(encoding="latin-1")])
    assert ws.run().exit_code == 0
    assert ws.query("SELECT denial_reason FROM claims_header") == [("Modificador ausente é",)]


def test_broken_json_fails_the_file(workspace: Workspace) -> None:
    ws = workspace
    ws.put("broken.json", '[{"id": "B1", "status": "denied"}, {"id": "B2", "status": ')
    ws.put("fine.json", '[{"id": "B3", "status": "denied"}]')
    ws.write_config([ws.beta_source(columns=JSON_COLUMNS)])
    assert ws.run().exit_code == 3
    files = _files(ws)
    assert files["broken.json"]["status"] == "failed"
    assert "cannot read as json" in str(files["broken.json"]["message"])
    assert files["fine.json"]["status"] == "loaded"


def test_json_values_that_are_not_objects_fail_the_file(workspace: Workspace) -> None:
    # records must be objects; an array or NDJSON file holding other values fails whole, with
    # how many there are (a pretty-printed object spanning lines is an object all the same)
    ws = workspace
    ws.put("mixed.json", '[{"id": "B1", "status": "denied"}, 7, ["B2"], "B3", null, true]')
    ws.put("mixed.ndjson", '{"id": "B4", "status": "denied"}\n[1]\n')
    ws.put("pretty.json", '[\n  {\n    "id": "B5",\n    "status": "denied"\n  }\n]\n')
    ws.write_config([ws.beta_source("inbox/*json", columns=JSON_COLUMNS)])
    assert ws.run().exit_code == 3
    files = _files(ws)
    assert files["mixed.json"]["status"] == "failed"
    assert "5 JSON value(s) are not objects" in str(files["mixed.json"]["message"])
    assert "the first is value 2, a number" in str(files["mixed.json"]["message"])
    assert files["mixed.ndjson"]["status"] == "failed"
    assert "1 JSON value(s) are not objects" in str(files["mixed.ndjson"]["message"])
    assert "the first is value 2, an array" in str(files["mixed.ndjson"]["message"])
    assert files["pretty.json"]["status"] == "loaded"
    assert ws.query("SELECT patient_control_number FROM claims_header") == [("B5",)]


def test_rows_breaking_rules_go_to_quarantine_with_rule_and_value(workspace: Workspace) -> None:
    ws = workspace
    ws.put(
        "rows.csv",
        HEADER
        + "C1,P1,99213,Missing modifier,2025-07-01,denied\n"
        + ",P2,99213,Missing modifier,2025-07-01,denied\n"  # no claim id
        + "C3,P3,99213,Missing modifier,2025-31-31,denied\n"  # bad date
        + "C4,P4,99213,Missing modifier,2025-07-01,rejectified\n"  # unknown status
        + "N/A,P5,99213,Missing modifier,2025-07-01,denied\n",  # null token claim id
    )
    ws.write_config([ws.alpha_source()])
    result = ws.run()
    assert result.exit_code == 3
    rows = ws.query(
        "SELECT source_row_number, dq_rule, dq_details, dq_severity"
        " FROM claims_header__quarantine ORDER BY source_row_number"
    )
    assert [(r[0], r[1]) for r in rows] == [
        (2, "patient_control_number.not_null"),
        (3, "submission_date.date_format"),
        (4, "claim_status.in_set"),
        (5, "patient_control_number.not_null"),
    ]
    assert '"2025-31-31"' in rows[1][2] and "%Y-%m-%d" in rows[1][2]
    assert '"rejectified"' in rows[2][2]
    assert all(r[3] == "error" for r in rows)
    assert ws.query("SELECT patient_control_number FROM claims_header") == [("C1",)]
    # the long rule-results table counts each rule
    dq = dict(ws.query("SELECT rule, failed_rows FROM dq_results WHERE severity = 'error'"))
    assert dq == {
        "patient_control_number.not_null": 2,
        "submission_date.date_format": 1,
        "claim_status.in_set": 1,
    }


def test_undeclared_date_format_is_never_silently_null(workspace: Workspace) -> None:
    ws = workspace
    ws.put("d.csv", HEADER + "C1,P1,99213,x,01.07.2025,denied\nC2,P2,99213,x,,denied\n")
    ws.write_config([ws.alpha_source(date_formats=["%Y-%m-%d"])])
    ws.run()
    loaded = ws.query("SELECT patient_control_number, submission_date FROM claims_header")
    assert loaded == [("C2", None)]  # truly missing stays missing (an exclusion reason later)
    q = ws.query("SELECT patient_control_number, dq_rule FROM claims_header__quarantine")
    assert q == [("C1", "submission_date.date_format")]  # the raw value is kept in bronze
    raw = ws.query("SELECT raw_record FROM bronze_emr_rows WHERE disposition = 'quarantined'")
    assert "01.07.2025" in raw[0][0]


def test_tolerant_dates_nulls_value_maps_and_case(workspace: Workspace) -> None:
    ws = workspace
    ws.put(
        "t.csv",
        HEADER
        + "C1,P1,99213,x,2025 -07-01,DENY\n"
        + "C2, none ,99213,x,07/02/2025, Approve \n"
        + "C3,NaN,99213,x,2025-07-03T10:00:00Z,Denied\n"
        + "C4,P4,99213,x,20250704,paid\n",
    )
    ws.write_config([ws.alpha_source()])
    assert ws.run().exit_code == 0
    rows = ws.query(
        "SELECT patient_control_number, member_id, strftime(submission_date, '%Y-%m-%d'),"
        " claim_status FROM claims_header ORDER BY 1"
    )
    assert rows == [
        ("C1", "P1", "2025-07-01", "denied"),
        ("C2", None, "2025-07-02", "approved"),
        ("C3", None, "2025-07-03", "denied"),
        ("C4", "P4", "2025-07-04", "approved"),
    ]


def test_quoted_fields_other_delimiters_and_bom(workspace: Workspace) -> None:
    ws = workspace
    content = (
        "\ufeffclaim_id;patient_id;procedure_code;denial_reason;submitted_at;status\n"
        'C1;P1;99213;"Missing modifier; see ""note""";2025-07-01;denied\n'
    )
    ws.put("semi.csv", content)
    ws.write_config([ws.alpha_source(csv={"delimiter": ";"})])
    assert ws.run().exit_code == 0
    assert ws.query("SELECT denial_reason FROM claims_header") == [
        ('Missing modifier; see "note"',)
    ]


def test_unsplittable_csv_line_is_quarantined_not_dropped(workspace: Workspace) -> None:
    ws = workspace
    ws.put(
        "r.csv",
        HEADER + "C1,P1,99213,x,2025-07-01,denied\nC2,P2\nC3,P3,99213,x,2025-07-01,denied\n",
    )
    ws.write_config([ws.alpha_source()])
    assert ws.run().exit_code == 3
    (f,) = ws.metrics()[-1]["files"]
    assert (f["rows_read"], f["rows_loaded"], f["rows_quarantined"]) == (3, 2, 1)
    q = ws.query("SELECT dq_rule, dq_details FROM claims_header__quarantine")
    assert q[0][0] == "row.parse" and "line 3" in q[0][1]
    raw = ws.query(
        "SELECT raw_record, source_line FROM bronze_emr_rows WHERE disposition = 'quarantined'"
    )
    assert raw == [('"C2,P2"', 3)]


def test_ndjson_and_parquet_sources(workspace: Workspace) -> None:
    ws = workspace
    ws.put(
        "n.ndjson",
        '{"id": "N1", "st": "denied", "d": "2025-07-01"}\n{"id": "N2", "st": "approved"}\n',
    )
    parquet = ws.inbox / "p.parquet"
    conn = duckdb.connect()
    conn.execute(
        "COPY (SELECT 'Q1' AS claim, DATE '2025-07-02' AS sent, 'denied' AS state,"
        " 12.5::DECIMAL(10,2) AS charge) TO ? (FORMAT PARQUET)",
        [str(parquet)],
    )
    conn.close()
    ws.write_config(
        [
            {
                "name": "n",
                "source_system": "gamma",
                "format": "ndjson",
                "pattern": "inbox/*.ndjson",
                "columns": {
                    "patient_control_number": "id",
                    "claim_status": "st",
                    "submission_date": "d",
                },
            },
            {
                "name": "p",
                "source_system": "delta",
                "format": "parquet",
                "pattern": "inbox/*.parquet",
                "columns": {
                    "patient_control_number": "claim",
                    "claim_status": "state",
                    "submission_date": "sent",
                    "total_charge": "charge",
                },
            },
        ]
    )
    assert ws.run().exit_code == 0
    rows = ws.query(
        "SELECT source_system, patient_control_number, claim_status, submission_date::VARCHAR,"
        " total_charge FROM claims_header ORDER BY 2"
    )
    from decimal import Decimal

    assert rows == [
        ("gamma", "N1", "denied", "2025-07-01", None),
        ("gamma", "N2", "approved", None, None),
        ("delta", "Q1", "denied", "2025-07-02", Decimal("12.50")),
    ]
    raw = ws.query("SELECT raw_record FROM bronze_emr_rows WHERE source_system = 'delta'")
    assert json.loads(raw[0][0])["claim"] == "Q1"


def test_config_errors_are_clear_and_exit_1(workspace: Workspace) -> None:
    ws = workspace
    ws.write_config([ws.alpha_source(columns={"patient_control_number": "id", "colour": "c"})])
    result = ws.run()
    assert result.exit_code == 1
    assert "colour" in result.stderr and "Traceback" not in result.stderr
