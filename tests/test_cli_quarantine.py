"""``claimflow quarantine``: each quarantined row with its rule, field and offending value,
patient identifiers masked unless --show-phi, "top N of M", filters by rule and file."""

from __future__ import annotations

import pytest

from claimflow.schema import SILVER_TABLES, quarantine_table
from tests.cli_world import World, build_world
from tests.conftest import Workspace, cli

HEADER = "claim_id,patient_id,procedure_code,denial_reason,submitted_at,status,dob\n"
GOOD = "C1,P1,99213,Missing modifier,2025-07-01,denied,1980-01-02\n"
BAD_DATE = "C2,P2,99213,x,2025-13-45,denied,1980-01-02\n"
BAD_STATUS = "C3,P3,99213,x,2025-07-01,weird,1980-01-02\n"
BAD_DOB = "C4,P4,99213,x,2025-07-01,denied,31/31/1980\n"
BOTH = "C6,P6,99213,x,2025-13-46,denied,32/32/1981\n"  # two rules fail: a date, then the dob
NO_ID = ",P5,99213,x,2025-07-01,denied,1980-01-02\n"


@pytest.fixture
def quarantined(workspace: Workspace) -> Workspace:
    ws = workspace
    ws.put("a.csv", HEADER + GOOD + BAD_DATE + BAD_STATUS + BAD_DOB + NO_ID + BOTH)
    ws.put("b.csv", HEADER + GOOD.replace("C1", "C9"))
    source = ws.alpha_source()
    source["columns"]["patient_dob"] = "dob"
    ws.write_config([source])
    assert ws.run().exit_code == 3
    return ws


def test_each_row_has_its_rule_field_and_offending_value(quarantined: Workspace) -> None:
    ws = quarantined
    result = cli("quarantine", "--warehouse", str(ws.warehouse), "--json")
    assert result.exit_code == 0, result.stderr
    body = result.json()
    found = {(r["source_row_number"], r["dq_rule"], r["field"], r["value"]) for r in body["rows"]}
    # the rows of a.csv as written above: row 2 a bad date, 3 an unknown status, 4 a bad date
    # of birth (a patient identifier: masked), 5 no claim id (no value to show)
    assert found == {
        (2, "submission_date.date_format", "submission_date", "2025-13-45"),
        (3, "claim_status.in_set", "claim_status", "weird"),
        (4, "patient_dob.date_format", "patient_dob", "•••"),
        (5, "patient_control_number.not_null", "patient_control_number", None),
        (6, "submission_date.date_format", "submission_date", "2025-13-46"),
    }
    assert body["total"] == 5
    assert all(r["path"].endswith("a.csv") for r in body["rows"])
    dob = next(r for r in body["rows"] if r["field"] == "patient_dob")
    assert dob["dq_details"].startswith("patient_dob: •••")
    # row 6's details name both failures, the birth date's masked
    both = next(r for r in body["rows"] if r["source_row_number"] == 6)["dq_details"]
    assert '"2025-13-46"' in both and "patient_dob: •••" in both
    assert "31/31/1980" not in result.stdout and "32/32/1981" not in result.stdout
    shown = cli("quarantine", "--warehouse", str(ws.warehouse), "--json", "--show-phi").json()
    assert {r["value"] for r in shown["rows"] if r["field"] == "patient_dob"} == {"31/31/1980"}


def test_filters_and_the_count_of_what_is_not_shown(quarantined: Workspace) -> None:
    ws = quarantined
    only = cli(
        "quarantine", "--warehouse", str(ws.warehouse), "--rule", "claim_status.in_set", "--json"
    ).json()
    assert [(r["source_row_number"], r["value"]) for r in only["rows"]] == [(3, "weird")]
    by_file = cli("quarantine", "--warehouse", str(ws.warehouse), "--file", "b.csv", "--json")
    assert by_file.exit_code == 0 and by_file.json() == {"total": 0, "rows": []}
    top = cli("quarantine", "--warehouse", str(ws.warehouse), "--limit", "2")
    assert top.exit_code == 0 and "top 2 of 5" in top.stdout
    typo = cli("quarantine", "--warehouse", str(ws.warehouse), "--rule", "claim_status.inset")
    assert typo.exit_code == 2 and "did you mean 'claim_status.in_set'" in typo.stderr
    missing = cli("quarantine", "--warehouse", str(ws.warehouse), "--file", "c.csv")
    assert missing.exit_code == 2 and "no file 'c.csv' was loaded" in missing.stderr
    assert "Traceback" not in typo.stderr + missing.stderr


def test_the_table_keeps_identifiers_whole_at_80_columns(
    quarantined: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    ws = quarantined
    hashes = [h for (h,) in ws.query("SELECT lineage_hash FROM claims_header__quarantine")]
    result = cli("quarantine", "--warehouse", str(ws.warehouse))
    assert result.exit_code == 0, result.stderr
    assert "Quarantined rows: 5" in result.stdout
    assert all(h in result.stdout for h in hashes)
    assert "submission_date.date_format" in result.stdout and "2025-13-45" in result.stdout


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory)


def test_x12_rows_name_the_segment_and_element_of_their_first_error(world: World) -> None:
    total = sum(
        world.query(f"SELECT count(*) FROM {quarantine_table(t).name}")[0][0] for t in SILVER_TABLES
    )
    body = cli("quarantine", "--warehouse", str(world.warehouse), "--json", "-n", "0").json()
    assert body["total"] == len(body["rows"]) == total
    x12 = [r for r in body["rows"] if r["dq_rule"].startswith("x12.")]
    if not x12:
        pytest.skip("this world quarantined no X12 set")
    for r in x12:
        first = world.query(
            "SELECT segment_id, element_position, bad_value FROM x12_errors"
            " WHERE source_file_id = ? AND code = ? AND st_control_number = ?"
            " ORDER BY segment_index LIMIT 1",
            [r["source_file_id"], r["dq_rule"][4:], r["st_control_number"]],
        )
        if first:
            segment, element, bad = first[0]
            assert r["field"] == (f"{segment}{element:02d}" if element else segment)
            private = segment in {"NM1", "N3", "N4", "DMG", "REF", "PER"}  # names, ids, dates
            assert r["value"] == ("•••" if private and bad is not None else bad)
