"""X12 files through the pipeline: good transaction sets load, bad ones are quarantined whole."""

from __future__ import annotations

import shutil
from decimal import Decimal

from tests.conftest import REPO, Workspace

CORPUS = REPO / "tests" / "data" / "x12" / "corpus"
REMIT_835 = CORPUS / "zentist__TigerShark" / "tests__5010-835-example-1.txt"
CLAIMS_837P = CORPUS / "zentist__TigerShark" / "tests__5010-837-professional-example.txt"
ACK_277CA = CORPUS / "imsweb__x12-parser" / "src__test__resources__277_5010__x12_277CA_rejected.txt"
BAD_837 = CORPUS / "imsweb__x12-parser" / "src__test__resources__837_5010__x12_segment_errors.txt"


def _x12_source() -> dict[str, object]:
    return {"name": "clearinghouse", "source_system": "ch", "format": "x12", "pattern": "inbox/*"}


def _inbox(ws: Workspace, *files: object) -> None:
    ws.inbox.mkdir(parents=True, exist_ok=True)
    for f in files:
        shutil.copy(str(f), ws.inbox)


def test_835_837_and_277ca_load_into_the_canonical_tables(workspace: Workspace) -> None:
    ws = workspace
    _inbox(ws, REMIT_835, CLAIMS_837P, ACK_277CA)
    ws.write_config([_x12_source()])
    result = ws.run("--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    # EXPECTED_FACTS #1/#2: values the source project's tests assert for this 835
    ((paid, method, trace, payer),) = ws.query(
        "SELECT total_payment_amount, payment_method_code, trace_number, payer_name FROM payments"
    )
    assert (paid, method, trace, payer) == (
        Decimal("1790.00"),
        "CHK",
        "123456789",
        "DENTAL PAYER NAME",
    )
    assert ws.query("SELECT count(*) FROM adjudication") == [(3,)]
    assert ws.query(
        "SELECT claim_status_code FROM adjudication WHERE patient_control_number = 'PRECERTIFICATION'"
    ) == [("25",)]
    # the 837P lands in the same claims_header view as EMR claims would, typed professional
    assert ws.query("SELECT DISTINCT claim_type, source_system FROM claims_header") == [
        ("professional", "ch")
    ]
    # EXPECTED_FACTS #14: the rejected 277CA's claim status
    assert ("A7", "562", "85") in ws.query(
        "SELECT status_category_code, status_code, entity_code FROM ack_277ca"
    )
    statuses = ws.query("SELECT kind, status FROM x12_transactions ORDER BY kind")
    assert ("835", "loaded") in statuses and ("837P", "loaded") in statuses
    m = result.json()["conservation"]
    assert m["rows_read"] == m["rows_loaded"] + m["rows_quarantined"] + m["rows_duplicate"]


def test_invalid_transaction_set_is_quarantined_with_its_errors(workspace: Workspace) -> None:
    ws = workspace
    _inbox(ws, BAD_837, REMIT_835)
    ws.write_config([_x12_source()])
    result = ws.run("--json")
    assert result.exit_code == 3
    # nothing of the bad 837 in silver; its claims in quarantine with the rule and details
    assert ws.query("SELECT count(*) FROM claims_header") == [(0,)]
    rules = ws.query("SELECT DISTINCT dq_rule, dq_details FROM claims_header__quarantine")
    assert rules and all(r[0].startswith("x12.") for r in rules)
    assert any("N3" in r[1] or "HI" in r[1] for r in rules)
    # the good 835 of the same run still loads
    assert ws.query("SELECT count(*) FROM payments") == [(1,)]
    errors = ws.query(
        "SELECT segment_id, loop_id, segment_position FROM x12_errors WHERE severity = 'error'"
    )
    assert errors and all(e[2] is not None for e in errors)
    assert ws.query("SELECT status FROM x12_transactions WHERE kind = '837P'") == [("quarantined",)]


def test_a_file_that_is_not_x12_fails_with_its_reason(workspace: Workspace) -> None:
    ws = workspace
    ws.put("notes.txt", "this is not an interchange\n")
    ws.write_config([_x12_source()])
    result = ws.run("--json")
    assert result.exit_code == 3
    (f,) = result.json()["files"]
    assert f["status"] == "failed" and "X12" in f["message"]


def test_lineage_of_an_x12_row_prints_its_segments(workspace: Workspace) -> None:
    from tests.conftest import cli

    ws = workspace
    _inbox(ws, REMIT_835)
    ws.write_config([_x12_source()])
    ws.run()
    ((lineage_hash, segment_index),) = ws.query(
        "SELECT lineage_hash, segment_index FROM adjudication"
        " WHERE patient_control_number = 'PRECERTIFICATION'"
    )
    result = cli("lineage", lineage_hash[:16], "--warehouse", str(ws.warehouse), "--show-phi")
    assert result.exit_code == 0, result.stderr
    raw_lines = REMIT_835.read_text().replace("\n", "").split("~")
    clp = raw_lines[segment_index - 1].strip()  # the segment as written in the file
    assert clp.startswith("CLP*PRECERTIFICATION*25")
    assert clp in result.stdout.replace("\n", "")
    assert f"segment {segment_index}" in result.stdout
    # a changed file is refused rather than misquoted
    (ws.inbox / REMIT_835.name).write_text("ISA*changed")
    stale = cli("lineage", lineage_hash, "--warehouse", str(ws.warehouse))
    assert stale.exit_code == 1 and "changed" in stale.stderr


def test_837d_teeth_load_and_trace_back_to_their_too_segment(workspace: Workspace) -> None:
    from tests.conftest import cli

    dental = next(CORPUS.glob("kputnam__stupidedi/*X224A2*multiple-tooth-numbers.edi"))
    raw = [s.strip() for s in dental.read_text().replace("\n", "").split("~")]
    teeth = [s.split("*")[2] for s in raw if s.startswith("TOO*")]  # by hand, from the bytes
    ws = workspace
    _inbox(ws, dental)
    ws.write_config([_x12_source()])
    assert ws.run().exit_code == 0
    rows = ws.query(
        "SELECT t.tooth_code, t.segment_index, t.lineage_hash, l.procedure_code"
        " FROM claim_line_teeth AS t JOIN claims_line AS l USING (claim_line_id)"
        " ORDER BY t.segment_index"
    )
    assert [r[0] for r in rows] == teeth
    code, segment_index, lineage_hash, procedure = rows[-1]
    assert procedure and procedure.startswith("D")  # a CDT code on the same line
    result = cli("lineage", lineage_hash, "--warehouse", str(ws.warehouse), "--show-phi")
    assert result.exit_code == 0, result.stderr
    assert raw[segment_index - 1] == f"TOO*JP*{code}"
    assert raw[segment_index - 1] in result.stdout.replace("\n", "")


def test_lineage_reads_a_warehouse_written_before_a_table_existed(workspace: Workspace) -> None:
    import duckdb

    from tests.conftest import cli

    ws = workspace
    _inbox(ws, REMIT_835)
    ws.write_config([_x12_source()])
    ws.run()
    conn = duckdb.connect(str(ws.warehouse))
    try:  # as an older claimflow left it: no teeth table (migration 0004) yet
        conn.execute("DROP TABLE claim_line_teeth")
        conn.execute("DROP TABLE claim_line_teeth__quarantine")
        conn.execute("DELETE FROM schema_migrations WHERE version = 4")
        ((lineage_hash,),) = conn.execute(
            "SELECT lineage_hash FROM adjudication WHERE patient_control_number = 'PRECERTIFICATION'"
        ).fetchall()
    finally:
        conn.close()
    result = cli("lineage", lineage_hash, "--warehouse", str(ws.warehouse), "--show-phi")
    assert result.exit_code == 0, result.stderr
    assert "CLP*PRECERTIFICATION*25" in result.stdout.replace("\n", "")


def test_an_envelope_error_outside_the_sets_loads_the_sets_and_warns(workspace: Workspace) -> None:
    ws = workspace
    ws.inbox.mkdir(parents=True, exist_ok=True)
    text = REMIT_835.read_bytes()
    iea = text.rindex(b"IEA*")
    (ws.inbox / "no_iea.x12").write_bytes(text[:iea])  # the interchange never closes
    ws.write_config([_x12_source()])
    result = ws.run("--json")
    m = result.json()
    # every row of the (valid) transaction set loads, none is quarantined ...
    assert m["conservation"]["rows_quarantined"] == 0
    assert ws.query("SELECT count(*) FROM adjudication") == [(3,)]
    # ... but the run does not say "ok": it names the file and the envelope error, exit 3
    assert result.exit_code == 3, result.stdout
    assert m["status"] == "finished_with_warnings"
    (warning,) = m["warnings"]
    assert warning.startswith("no_iea.x12: 1 envelope error(s)") and "IEA" in warning
    assert ws.query("SELECT status FROM runs") == [("finished_with_warnings",)]
