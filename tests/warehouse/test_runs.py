"""Run records, conservation, idempotence, duplicates, lineage and migrations."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb

from claimflow import schema
from claimflow.warehouse.connection import open_warehouse
from tests.conftest import HEADER_ALPHA, Workspace, cli

ROW = "{id},P{id},99213,Missing modifier,2025-07-01,denied\n"


def test_rerun_adds_nothing_and_says_so(workspace: Workspace) -> None:
    ws = workspace
    ws.copy_seed()
    ws.write_config([ws.alpha_source(pattern="inbox/*.csv"), ws.beta_source()])
    first = ws.run()
    assert first.exit_code == 0
    records = ("runs", "run_files", "run_outputs")  # what each run adds about itself
    tables = [t.name for t in schema.all_tables() if t.name not in records]
    before = {t: ws.query(f"SELECT count(*) FROM {t}")[0][0] for t in tables}
    log_before = (ws.out / "rejection_log.csv").read_bytes()
    candidates_before = ws.candidates()
    second = ws.run()
    assert second.exit_code == 0
    assert "Nothing new" in second.stdout
    after = {t: ws.query(f"SELECT count(*) FROM {t}")[0][0] for t in tables}
    assert after == before
    assert (ws.out / "rejection_log.csv").read_bytes() == log_before
    # the same candidates, each naming the run that wrote it
    candidates_after = ws.candidates()
    (second_run,) = ws.query("SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1")[0]
    assert {c.pop("run_id") for c in candidates_after} == {second_run}
    assert candidates_after == [
        {k: v for k, v in c.items() if k != "run_id"} for c in candidates_before
    ]
    runs = ws.query("SELECT status, files_skipped, rows_read FROM runs ORDER BY started_at")
    assert runs == [("ok", 0, 9), ("ok", 2, 0)]


def test_changed_file_is_a_new_file_and_duplicates_are_counted(workspace: Workspace) -> None:
    ws = workspace
    ws.put("day1.csv", HEADER_ALPHA + ROW.format(id="C1") + ROW.format(id="C2"))
    ws.write_config([ws.alpha_source()])
    ws.run()
    # the next export repeats C2, adds C3 twice, and C1 again
    ws.put(
        "day2.csv",
        HEADER_ALPHA
        + ROW.format(id="C2")
        + ROW.format(id="C3")
        + ROW.format(id="C3")
        + ROW.format(id="C1"),
    )
    result = ws.run("--json")
    assert result.exit_code == 0
    m = result.json()
    (day2,) = [f for f in m["files"] if f["path"].endswith("day2.csv")]
    assert (day2["rows_read"], day2["rows_loaded"], day2["rows_duplicate"]) == (4, 1, 3)
    assert ws.query("SELECT patient_control_number FROM claims_header ORDER BY 1") == [
        ("C1",),
        ("C2",),
        ("C3",),
    ]
    dispositions = ws.query(
        "SELECT b.source_row_number, b.disposition FROM bronze_emr_rows b JOIN source_files f"
        " ON f.file_id = b.source_file_id WHERE f.path LIKE '%day2.csv' ORDER BY 1"
    )
    assert dispositions == [(1, "duplicate"), (2, "loaded"), (3, "duplicate"), (4, "duplicate")]


def test_conservation_holds_for_every_file_of_every_run(workspace: Workspace) -> None:
    ws = workspace
    ws.put(
        "mixed.csv",
        HEADER_ALPHA
        + ROW.format(id="C1")
        + ROW.format(id="C1")
        + ",P9,99213,x,2025-07-01,denied\n"
        + "C4,P4\n",
    )
    ws.write_config([ws.alpha_source()])
    ws.run()
    ws.put("more.csv", HEADER_ALPHA + ROW.format(id="C5"))
    ws.run()
    per_file = ws.query(
        "SELECT run_id, path, rows_read, rows_loaded, rows_quarantined, rows_duplicate"
        " FROM run_files WHERE status = 'loaded'"
    )
    assert len(per_file) == 2
    for _, _, read, loaded, quarantined, dup in per_file:
        assert read == loaded + quarantined + dup
    # and the bronze layer agrees: every record read has exactly one disposition
    bronze = ws.query("SELECT disposition, count(*) FROM bronze_emr_rows GROUP BY 1 ORDER BY 1")
    assert bronze == [("duplicate", 1), ("loaded", 2), ("quarantined", 2)]
    total_read = sum(r[2] for r in per_file)
    assert total_read == sum(n for _, n in bronze) == 5


def test_lineage_prints_file_position_and_raw_record(workspace: Workspace) -> None:
    ws = workspace
    path = ws.put("l.csv", HEADER_ALPHA + ROW.format(id="C1") + ROW.format(id="C2"))
    ws.write_config([ws.alpha_source()])
    ws.run()
    ((lineage_hash,),) = ws.query(
        "SELECT lineage_hash FROM claims_header WHERE patient_control_number = 'C2'"
    )
    result = cli("lineage", lineage_hash[:12], "--warehouse", str(ws.warehouse), "--show-phi")
    assert result.exit_code == 0, result.stderr
    assert str(path.name) in result.stdout
    assert "record 2" in result.stdout
    assert '"claim_id":"C2"' in result.stdout.replace(" ", "")
    as_json = cli(
        "lineage", lineage_hash, "--warehouse", str(ws.warehouse), "--json", "--show-phi"
    ).json()
    assert json.loads(as_json["raw_record"])["patient_id"] == "PC2"
    import hashlib

    assert as_json["file_id"] == hashlib.sha256(path.read_bytes()).hexdigest()
    missing = cli("lineage", "deadbeefdeadbeef", "--warehouse", str(ws.warehouse))
    assert missing.exit_code == 1 and "no row" in missing.stderr


def _bronze_hashes(path: Path) -> dict[str, tuple[str, int]]:
    """Each record of an alpha CSV file by its lineage hash, computed here from the file alone:
    a parsed record's (its fields as a JSON object, numbered among the parsed records) and an
    unsplittable line's (its text, by line number)."""
    file_id = hashlib.sha256(path.read_bytes()).hexdigest()
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    expected: dict[str, tuple[str, int]] = {}
    row = 0
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split(",")
        if len(fields) != len(header):
            text = f"{file_id}:line:{number}:{line}"
            expected[hashlib.sha256(text.encode()).hexdigest()] = ("line", number)
            continue
        row += 1
        raw = json.dumps(dict(zip(header, fields, strict=True)), separators=(",", ":"))
        expected[hashlib.sha256(f"{file_id}:{row}:{raw}".encode()).hexdigest()] = ("record", row)
    return expected


def test_lineage_finds_every_record_loaded_quarantined_duplicate_or_unsplittable(
    workspace: Workspace,
) -> None:
    ws = workspace
    path = ws.put(
        "l.csv",
        HEADER_ALPHA
        + ROW.format(id="C1")  # loaded
        + ROW.format(id="C1").replace("PC1", "PX")  # duplicate of C1
        + ROW.format(id="C3").replace("denied", "n/a")  # quarantined: no status
        + "C4,P4\n"  # the reader cannot split it
        + ROW.format(id="C5"),  # loaded
    )
    ws.write_config([ws.alpha_source()])
    assert ws.run().exit_code == 3
    expected = _bronze_hashes(path)
    assert len(expected) == 5
    bronze = ws.query("SELECT lineage_hash, disposition FROM bronze_emr_rows")
    assert {h for h, _ in bronze} == set(expected)
    dispositions = dict(bronze)
    assert sorted(dispositions.values()) == [
        "duplicate", "loaded", "loaded", "quarantined", "quarantined"
    ]  # fmt: skip
    for lineage_hash, (kind, number) in expected.items():
        found = cli("lineage", lineage_hash[:16], "--warehouse", str(ws.warehouse), "--json")
        assert found.exit_code == 0, found.stderr
        record = found.json()
        assert record["lineage_hash"] == lineage_hash
        assert record["disposition"] == dispositions[lineage_hash]
        assert record["row_number" if kind == "record" else "line"] == number


def test_a_run_shares_a_warehouse_this_process_already_holds_open(workspace: Workspace) -> None:
    ws = workspace
    path = ws.put("l.csv", HEADER_ALPHA + ROW.format(id="C1") + ROW.format(id="C2"))
    ws.write_config([ws.alpha_source()])
    ws.warehouse.parent.mkdir(parents=True, exist_ok=True)
    held = duckdb.connect(str(ws.warehouse))  # e.g. a notebook's, with DuckDB's defaults
    try:
        result = ws.run()
        assert result.exit_code == 0, result.stderr
        stored = held.execute("SELECT lineage_hash FROM claims_header").fetchall()
    finally:
        held.close()
    # without the compiled hash (it cannot be loaded into that instance): the same hashes
    assert {h for (h,) in stored} == set(_bronze_hashes(path))


def _undo_0005(conn: duckdb.DuckDBPyConnection) -> None:
    """Store bronze as before migration 0005: one table, every record's hash in it."""
    conn.execute("CREATE TABLE bronze_old AS SELECT * FROM bronze_emr_rows")
    conn.execute("DROP VIEW bronze_emr_rows")
    conn.execute("DROP TABLE bronze_emr_raw")
    conn.execute("ALTER TABLE bronze_old RENAME TO bronze_emr_rows")


def test_lineage_reads_a_warehouse_that_stored_every_bronze_hash(workspace: Workspace) -> None:
    ws = workspace
    path = ws.put("l.csv", HEADER_ALPHA + ROW.format(id="C1") + ROW.format(id="C1"))
    ws.write_config([ws.alpha_source()])
    ws.run()
    conn = duckdb.connect(str(ws.warehouse))
    try:  # as a claimflow before migration 0005 left it: the hash stored in a bronze table
        _undo_0005(conn)
        conn.execute("DELETE FROM schema_migrations WHERE version >= 5")
    finally:
        conn.close()
    ((duplicate, _),) = [(h, k) for h, k in _bronze_hashes(path).items() if k == ("record", 2)]
    found = cli("lineage", duplicate, "--warehouse", str(ws.warehouse), "--json")
    assert found.exit_code == 0, found.stderr
    assert found.json()["disposition"] == "duplicate"


def test_migrated_warehouse_matches_schema_definitions(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    conn = open_warehouse(tmp_path / "w.duckdb")
    try:
        for table in schema.all_tables():
            cols = conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_name = ? ORDER BY ordinal_position",
                [table.name],
            ).fetchall()
            assert [c[0] for c in cols] == list(table.column_names), table.name
            assert [c[1] for c in cols] == [c.sql_type for c in table.columns], table.name
        # migrating again applies nothing
        from claimflow.warehouse.connection import migrate

        assert migrate(conn) == []
    finally:
        conn.close()
    assert duckdb.connect(str(tmp_path / "w.duckdb")).execute(
        "SELECT count(*) FROM schema_migrations"
    ).fetchone() == (
        len(list((Path(schema.__file__).parents[1] / "warehouse" / "migrations").glob("0*.sql"))),
    )


def test_data_model_doc_is_generated_from_schema() -> None:
    from tests.conftest import REPO

    doc = (REPO / "docs" / "data-model.md").read_text()
    assert doc == schema.markdown(), "stale: rewrite docs/data-model.md from schema.markdown()"


def test_a_source_mapping_more_columns_widens_its_part(workspace: Workspace) -> None:
    ws = workspace
    ws.put("a.csv", HEADER_ALPHA + ROW.format(id="C1"))
    ws.write_config([ws.alpha_source()])
    ws.run()
    ws.put("b.csv", "claim_id,status,payer\nC9,denied,ACME\n")
    columns = {"patient_control_number": "claim_id", "claim_status": "status", "payer_id": "payer"}
    ws.write_config([ws.alpha_source(pattern="inbox/b.csv", columns=columns)])
    assert ws.run().exit_code == 0
    rows = ws.query(
        "SELECT patient_control_number, payer_id, member_id FROM claims_header ORDER BY 1"
    )
    assert rows == [("C1", None, "PC1"), ("C9", "ACME", None)]


def test_an_older_warehouse_is_named_as_such_when_read_and_updated_by_a_run(
    workspace: Workspace,
) -> None:
    ws = workspace
    ws.put("day1.csv", HEADER_ALPHA + ROW.format(id="C1"))
    ws.write_config([ws.alpha_source()])
    assert ws.run().exit_code == 0
    conn = duckdb.connect(str(ws.warehouse))
    try:  # as claimflow left it before migration 0002: no recommended fix, no teeth table
        _undo_0005(conn)
        conn.execute("ALTER TABLE rejection_log DROP COLUMN recommended_fix")
        conn.execute("DROP TABLE claim_line_teeth")
        conn.execute("DROP TABLE claim_line_teeth__quarantine")
        for table in ("run_outputs", "control_numbers", "outbound_interchanges"):  # 0006
            conn.execute(f"DROP TABLE {table}")
        for table in ("risk_features", "risk_history"):  # 0007
            conn.execute(f"DROP TABLE {table}")
        for table in ("risk_models", "risk_scores", "risk_monitoring"):  # 0008
            conn.execute(f"DROP TABLE {table}")
        conn.execute("DELETE FROM schema_migrations WHERE version >= 2")
    finally:
        conn.close()
    # an older claimflow published no serving snapshot: readers read the warehouse itself
    (ws.warehouse.parent / f"{ws.warehouse.stem}.serving{ws.warehouse.suffix}").unlink()
    old = cli("worklist", "--warehouse", str(ws.warehouse))
    assert old.exit_code == 1
    assert "written by an older claimflow (schema version 1" in old.stderr
    assert "run `claimflow run` on it once" in old.stderr and "Traceback" not in old.stderr
    assert ws.run().exit_code == 0  # migrates 0002 onwards, then nothing new to load
    assert cli("worklist", "--warehouse", str(ws.warehouse)).exit_code == 0
