"""Issue 23, the EMR side: every byte of input handled, on real files through the real CLI.

Lines a CSV reader cannot split are quarantined with their line and reason while the good rows
load; files in another Unicode encoding are read or named; a header that is not one explains
itself; and a run that found nothing to do, or a mapped column the file no longer has, says so
with a warning and exit 3 instead of "ok".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from claimflow.config import SourceDefinition
from claimflow.sources.tabular import stage_file
from tests.conftest import Workspace

HEADER = "claim_id,patient_id,procedure_code,denial_reason,submitted_at,status\n"
MB = 1_000_000


def _rows(n: int, prefix: str = "C") -> list[str]:
    return [f"{prefix}{i},P{i},99213,Missing modifier,2025-07-01,denied\n" for i in range(1, n + 1)]


def _file(ws: Workspace, name: str) -> dict[str, Any]:
    files: dict[str, dict[str, Any]] = {
        f["path"].rsplit("/", 1)[-1]: f for f in ws.metrics()[-1]["files"]
    }
    return files[name]


def _conserved(f: dict[str, Any]) -> bool:
    return bool(f["rows_read"] == f["rows_loaded"] + f["rows_quarantined"] + f["rows_duplicate"])


def _quarantine(ws: Workspace) -> list[tuple[Any, ...]]:
    return ws.query("SELECT dq_rule, dq_details FROM claims_header__quarantine ORDER BY dq_details")


def _runs(ws: Workspace) -> list[tuple[Any, ...]]:
    return ws.query("SELECT status FROM runs ORDER BY started_at")


# --- lines the reader cannot split -----------------------------------------------------------


def test_a_10mb_row_is_quarantined_with_its_line_and_the_other_rows_load(
    workspace: Workspace,
) -> None:
    ws = workspace
    rows = _rows(59)
    rows[50] = f"C51,P51,99213,{'y' * (10 * MB)},2025-07-01,denied\n"  # line 52
    ws.put("big_row.csv", HEADER + "".join(rows))
    ws.write_config([ws.alpha_source()])
    result = ws.run()
    assert result.exit_code == 3, result.stdout + result.stderr
    f = _file(ws, "big_row.csv")
    assert f["status"] == "loaded"
    assert (f["rows_read"], f["rows_loaded"], f["rows_quarantined"]) == (59, 58, 1)
    assert _conserved(f)
    ((rule, details),) = _quarantine(ws)
    assert rule == "row.parse"
    assert details.startswith("line 52: ")
    assert "10.0 MB" in details and "2 MB" in details
    # the record is in bronze whole, at its line; its text is in no message
    ((raw, line),) = ws.query(
        "SELECT raw_record, source_line FROM bronze_emr_rows WHERE disposition = 'quarantined'"
    )
    assert line == 52 and "y" * (10 * MB) in json.loads(raw)
    assert "yyyy" not in result.stdout + result.stderr + str(f["message"]) + details
    assert "line 52" in result.stdout


def test_a_byte_that_is_not_utf8_quarantines_its_line_and_the_other_rows_load(
    workspace: Workspace,
) -> None:
    ws = workspace
    rows = [r.encode() for r in _rows(8, "E")]
    rows[2] = b"E3,P3,99213,SEGUROS M\xc9DICOS,2025-07-01,denied\n"  # line 4, one Latin-1 byte
    ws.put("one_latin1_byte.csv", HEADER.encode() + b"".join(rows))
    ws.write_config([ws.alpha_source()])
    result = ws.run()
    assert result.exit_code == 3, result.stdout + result.stderr
    f = _file(ws, "one_latin1_byte.csv")
    assert f["status"] == "loaded"
    assert (f["rows_read"], f["rows_loaded"], f["rows_quarantined"]) == (8, 7, 1)
    assert _conserved(f)
    ((rule, details),) = _quarantine(ws)
    assert rule == "row.parse"
    assert details.startswith("line 4: ") and "field 'denial_reason'" in details
    assert "not valid UTF-8" in details and "`encoding`" in details
    loaded = ws.query("SELECT patient_control_number FROM claims_header ORDER BY 1")
    assert loaded == [(f"E{i}",) for i in (1, 2, 4, 5, 6, 7, 8)]
    # bronze keeps the line as the file has it, the byte written \xNN; no message holds it
    ((raw, line),) = ws.query(
        "SELECT raw_record, source_line FROM bronze_emr_rows WHERE disposition = 'quarantined'"
    )
    assert line == 4 and "SEGUROS M\\xc9DICOS" in json.loads(raw)
    assert "SEGUROS" not in result.stdout + result.stderr + str(f["message"]) + details


def test_a_header_that_is_not_utf8_fails_its_file_with_what_to_set(workspace: Workspace) -> None:
    ws = workspace
    ws.put("latin1_header.csv", "claim_id,patient_id,procédure\nC1,P1,99213\n".encode("latin-1"))
    ws.write_config([ws.alpha_source()])
    assert ws.run().exit_code == 3
    f = _file(ws, "latin1_header.csv")
    assert f["status"] == "failed"
    assert "line 1 is not valid UTF-8 at byte 24" in str(f["message"])
    assert "set `encoding` in source alpha" in str(f["message"])


def test_an_unterminated_quote_quarantines_from_its_line_and_the_lines_before_load(
    workspace: Workspace,
) -> None:
    ws = workspace
    rows = _rows(9, "D")
    rows[4] = 'D5,P5,99213,"Missing modifier,2025-07-01,denied\n'  # line 6, never closed
    ws.put("unterminated.csv", HEADER + "".join(rows))
    ws.write_config([ws.alpha_source()])
    result = ws.run()
    assert result.exit_code == 3, result.stdout + result.stderr
    f = _file(ws, "unterminated.csv")
    assert f["status"] == "loaded"
    assert (f["rows_loaded"], f["rows_quarantined"]) == (4, 1) and _conserved(f)
    ((rule, details),) = _quarantine(ws)
    assert rule == "row.parse"
    # the quoted value swallows every later line: the message says which lines and what to fix
    assert details.startswith("lines 6-10: ")
    assert "field 'denial_reason'" in details and "never closed" in details
    assert ws.query("SELECT count(*) FROM claims_header") == [(4,)]
    raw = ws.query("SELECT raw_record FROM bronze_emr_rows WHERE disposition = 'quarantined'")
    assert "D9,P9" in json.loads(raw[0][0])


def test_rejected_lines_are_numbered_as_an_editor_shows_them(workspace: Workspace) -> None:
    # DuckDB counts records; a quoted value spanning lines (and CRLF line ends after a BOM)
    # must not shift the line a user is sent to
    ws = workspace
    content = (
        "\ufeff"
        + HEADER
        + 'C1,P1,99213,"Missing\nmodifier\nper payer",2025-07-01,denied\n'  # lines 2-4
        + "C2,P2\n"  # line 5: too few fields
        + "C3,P3,99213,x,2025-07-01,denied\n"
        + "C4,P4,99213,x,2025-07-01,denied,extra\n"  # line 7: too many
    ).replace("\n", "\r\n")
    ws.put("multi.csv", content.encode("utf-8"))
    ws.write_config([ws.alpha_source()])
    assert ws.run().exit_code == 3
    f = _file(ws, "multi.csv")
    assert (f["rows_read"], f["rows_loaded"], f["rows_quarantined"]) == (4, 2, 2)
    details = [d for _, d in _quarantine(ws)]
    assert details[0].startswith("line 5: 2 fields where the header has 6")
    assert details[1].startswith("line 7: more fields than the header's 6")
    lines = ws.query("SELECT source_line FROM bronze_emr_rows WHERE source_line IS NOT NULL")
    assert sorted(r[0] for r in lines) == [5, 7]


def test_a_10mb_header_line_says_what_to_check(workspace: Workspace) -> None:
    ws = workspace
    ws.put("wide.csv", "x" * (10 * MB) + "\nC1\n")
    ws.put("good.csv", HEADER + "".join(_rows(2)))
    ws.write_config([ws.alpha_source()])
    result = ws.run()
    assert result.exit_code == 3
    f = _file(ws, "wide.csv")
    assert f["status"] == "failed"
    message = str(f["message"])
    assert "line 1" in message and "10.0 MB" in message
    assert "expected a header of column names" in message and "delimiter ','" in message
    assert "Out of Memory" not in message
    assert _file(ws, "good.csv")["status"] == "loaded"


def test_without_a_header_columns_are_named_by_position_and_bad_lines_quarantined(
    workspace: Workspace,
) -> None:
    ws = workspace
    ws.put("plain.csv", "C1,denied\nC2\nC3,approved\n")
    columns = {"patient_control_number": "column0", "claim_status": "column1"}
    ws.write_config([ws.alpha_source(columns=columns, csv={"header": False})])
    assert ws.run().exit_code == 3
    f = _file(ws, "plain.csv")
    assert (f["rows_read"], f["rows_loaded"], f["rows_quarantined"]) == (3, 2, 1)
    assert ws.query("SELECT patient_control_number FROM claims_header ORDER BY 1") == [
        ("C1",),
        ("C3",),
    ]
    ((_, details),) = _quarantine(ws)
    assert details.startswith("line 2: 1 field where line 1 has 2")


def test_an_unclosed_quote_in_the_header_says_so(workspace: Workspace) -> None:
    ws = workspace
    ws.put("q.csv", 'claim_id,"status\n' + "C1,denied\n" * 300_000)
    columns = {"patient_control_number": "claim_id", "claim_status": "status"}
    ws.write_config([ws.alpha_source(columns=columns)])
    assert ws.run().exit_code == 3
    message = str(_file(ws, "q.csv")["message"])
    assert message.startswith("line 1 opens a quoted value ('\"') that is never closed")


# --- encodings --------------------------------------------------------------------------------


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_a_file_with_a_unicode_byte_order_mark_is_read_in_its_encoding(
    workspace: Workspace, codec: str
) -> None:
    ws = workspace
    text = HEADER + "C1,P1,99213,Modificador ausente é,2025-07-01,denied\n"
    bom = {"utf-16-be": b"\xfe\xff"}.get(codec, b"")
    ws.put("export.csv", bom + text.encode(codec))  # utf-16 and utf-32 write their own BOM
    ws.write_config([ws.alpha_source()])  # no `encoding:`
    result = ws.run()
    assert result.exit_code == 0, result.stdout + result.stderr
    assert ws.query("SELECT patient_control_number, denial_reason FROM claims_header") == [
        ("C1", "Modificador ausente é")
    ]


def test_utf16_without_a_byte_order_mark_is_named_with_the_setting_to_add(
    workspace: Workspace,
) -> None:
    ws = workspace
    ws.put("export.csv", (HEADER + "".join(_rows(2))).encode("utf-16-le"))
    ws.write_config([ws.alpha_source()])
    assert ws.run().exit_code == 3
    message = str(_file(ws, "export.csv")["message"])
    assert "UTF-16" in message and "`encoding: utf-16-le`" in message and "alpha" in message


# --- silent successes -------------------------------------------------------------------------


def test_a_pattern_that_matches_no_file_warns_and_exits_3(workspace: Workspace) -> None:
    ws = workspace
    ws.put("a.csv", HEADER + "".join(_rows(1)))
    ws.write_config([ws.alpha_source(), ws.beta_source("nowhere/*.json")])
    result = ws.run()
    assert result.exit_code == 3
    expected = "source beta: pattern nowhere/*.json matched no file"
    assert expected in result.stdout
    (m,) = ws.metrics()
    assert m["status"] == "finished_with_warnings"
    assert any(w.startswith(expected) for w in m["warnings"])
    assert _runs(ws) == [("finished_with_warnings",)]


@pytest.mark.parametrize("config", ["", "sources: []\n", "sources:\n", "# nothing yet\n"])
def test_a_config_without_sources_warns_and_exits_3(workspace: Workspace, config: str) -> None:
    ws = workspace
    ws.config.write_text(config)
    result = ws.run()
    assert result.exit_code == 3, result.stdout + result.stderr
    assert "the configuration defines no sources" in result.stdout
    assert _runs(ws) == [("finished_with_warnings",)]


def test_a_renamed_optional_column_warns_with_the_closest_header_name(
    workspace: Workspace,
) -> None:
    ws = workspace
    renamed = HEADER.replace("patient_id", "patient")
    ws.put("renamed.csv", renamed + "".join(_rows(3)))
    ws.write_config([ws.alpha_source()])
    result = ws.run()
    assert result.exit_code == 3
    f = _file(ws, "renamed.csv")
    assert f["status"] == "loaded" and f["rows_loaded"] == 3
    (warning,) = f["warnings"]
    assert warning == (
        "source alpha: mapped column 'patient_id' (member_id) is not in the file, so member_id"
        " is empty in every row; did you mean 'patient'? (update `columns` if the export"
        " renamed it)"
    )
    assert "did you mean 'patient'?" in result.stdout
    assert ws.metrics()[-1]["status"] == "finished_with_warnings"


def test_a_renamed_json_key_warns_and_names_the_keys_when_none_is_close(
    workspace: Workspace,
) -> None:
    ws = workspace
    ws.put("b.json", '[{"id": "B1", "status": "denied", "zzz": "M1"}]')
    ws.write_config(
        [
            ws.beta_source(
                columns={
                    "patient_control_number": "id",
                    "claim_status": "status",
                    "member_id": "member",
                }
            )
        ]
    )
    assert ws.run().exit_code == 3
    (warning,) = _file(ws, "b.json")["warnings"]
    assert "mapped column 'member' (member_id) is not in the file" in warning
    assert "the file has: id, status, zzz" in warning


def test_a_decision_column_empty_in_every_row_warns_once_per_file(workspace: Workspace) -> None:
    ws = workspace
    ws.put(
        "blank.csv",
        HEADER + "".join(f"C{i},,99213,Missing modifier,2025-07-01,denied\n" for i in range(5)),
    )
    ws.put("some.csv", HEADER + "C9,,99213,x,2025-07-01,denied\nC8,P8,99213,x,2025-07-01,denied\n")
    # a batch without a denial has no denial texts: that is no reason to warn
    ws.put("paid.csv", HEADER + "C7,P7,99213,,2025-07-01,approved\n")
    # one record without a member id is that record's exclusion, not a column gone missing
    ws.put("single.csv", HEADER + "C6,,99213,x,2025-07-01,denied\n")
    ws.write_config([ws.alpha_source()])
    assert ws.run().exit_code == 3
    assert _file(ws, "single.csv")["warnings"] == []
    assert _file(ws, "blank.csv")["warnings"] == [
        "source alpha: member_id (column 'patient_id') has no value in any of the file's"
        " 5 rows; decisions that need it will exclude every claim"
    ]
    assert _file(ws, "some.csv")["warnings"] == []
    assert _file(ws, "paid.csv")["warnings"] == []


# --- patterns ----------------------------------------------------------------------------------


def test_an_absolute_pattern_is_globbed(workspace: Workspace) -> None:
    ws = workspace
    ws.put("a.csv", HEADER + "".join(_rows(2)))
    ws.write_config([ws.alpha_source(str(ws.inbox / "*.csv"))])
    result = ws.run()
    assert result.exit_code == 0, result.stdout + result.stderr
    assert ws.query("SELECT count(*) FROM claims_header") == [(2,)]
    assert _runs(ws) == [("ok",)]


def test_a_file_with_many_rejected_lines_is_read_to_its_end(tmp_path: Path) -> None:
    # DuckDB 2.0.1's parallel reader stopped after 360,493 of these 450,000 lines, silently,
    # having stored the rejects of what it read: every line must be a row or a rejected line
    path = tmp_path / "dense.csv"
    lines = (
        f"C{i},P{i},99213,x,2025-07-01,denied" + (",extra" if i % 2 else "") for i in range(450_000)
    )
    path.write_text(HEADER + "\n".join(lines) + "\n")
    definition = SourceDefinition(
        name="alpha",
        source_system="alpha",
        format="csv",
        pattern="*.csv",
        columns={"patient_control_number": "claim_id", "claim_status": "status"},
    )
    conn = duckdb.connect(config={"threads": 2})
    try:
        staged = stage_file(conn, path, "id", definition)
    finally:
        conn.close()
    assert (staged.rows_parsed, len(staged.rejected_lines)) == (225_000, 225_000)
    assert staged.rejected_lines[-1][0] == 450_001  # C449999's line, after the header


def test_a_file_exported_without_its_header_line_names_no_value_of_its_first_record(
    workspace: Workspace,
) -> None:
    """Its first record is read as the header: the 'required column missing' message must not
    list it (member id included) — not on the screen, in the metrics or in run_files — and
    `claimflow check` does not show it as column names either."""
    from tests.conftest import cli

    ws = workspace
    member = "MBR77Q4410"
    ws.put("no_header.csv", f"C1,{member},99213,Missing modifier,2025-07-01,denied\n")
    ws.write_config([ws.alpha_source()])
    result = ws.run()
    assert result.exit_code == 3
    f = _file(ws, "no_header.csv")
    assert f["status"] == "failed"
    assert "required column 'claim_id'" in str(f["message"])
    assert "exported without its header line" in str(f["message"])
    stored = ws.query("SELECT message FROM run_files WHERE message IS NOT NULL")
    everywhere = result.stdout + result.stderr + json.dumps(ws.metrics()) + repr(stored)
    assert member not in everywhere and "Missing modifier" not in everywhere
    check = cli("check", "--config", str(ws.config))
    assert "exported without its header line" in check.stdout
    assert member not in check.stdout + check.stderr
