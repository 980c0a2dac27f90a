"""``claimflow check --config FILE``: each source's files, the columns no mapping uses, the
mapped columns a file lacks (with "did you mean"), five rows as a run would load them, and for
X12 the transaction sets; nothing written anywhere."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO, Workspace, cli

# the export renamed patient_id to patient_ids and added a column no mapping uses
HEADER = "claim_id,patient_ids,procedure_code,denial_reason,submitted_at,status,notes\n"
ROWS = [
    ("C1", "P100", "99213", "Missing modifier", "2025-07-01", "denied", "a"),
    ("C2", "P200", "99214", "", "07/02/2025", "approved", "b"),
    ("C3", "P300", "99215", "", "2025-13-45", "approved", "c"),
    ("C4", "P400", "99213", "x", "2025-07-04", "weird", "d"),
    ("C5", "P500", "99213", "", "2025-07-05", "approve", "e"),
    ("C6", "P600", "99213", "", "2025-07-06", "approved", "f"),
]


def _tree(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


@pytest.fixture
def onboarding(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    ws = workspace
    ws.put("export.csv", HEADER + "".join(",".join(r) + "\n" for r in ROWS))
    ws.put("x12/claims.x12", (REPO / "tests/data/x12/valid/837p_small.x12").read_bytes())
    shutil.copy(REPO / "tests/data/x12/valid/835_small.x12", ws.inbox / "x12" / "remit.x12")
    x12 = {"name": "x12", "source_system": "clearinghouse", "format": "x12",
           "pattern": "inbox/x12/*.x12"}  # fmt: skip
    ws.write_config([ws.alpha_source(), x12])
    monkeypatch.chdir(ws.root)  # anything written to the working folder would show
    return ws


def test_check_reports_columns_rows_and_transaction_sets(onboarding: Workspace) -> None:
    ws = onboarding
    before = _tree(ws.root)
    result = cli("check", "--config", str(ws.config), "--json")
    assert result.exit_code == 3, result.stderr  # a mapped column is missing
    assert _tree(ws.root) == before  # nothing written: no warehouse, no out folder, no spill
    assert not ws.warehouse.exists() and not ws.out.exists()
    alpha, x12 = result.json()["sources"]
    (export,) = alpha["files"]
    assert Path(export["path"]).name == "export.csv"
    assert export["rows"] == len(ROWS)
    assert export["unused"] == ["patient_ids", "notes"]
    assert export["missing"] == [
        {"canonical": "member_id", "mapped_to": "patient_id", "did_you_mean": "patient_ids",
         "required": False},
    ]  # fmt: skip
    sample = export["sample"]
    assert [r["row"] for r in sample] == [1, 2, 3, 4, 5]  # five rows, in file order
    assert [r["patient_control_number"] for r in sample] == [r[0] for r in ROWS[:5]]
    # typed as a run types them: both date formats, 'approve' through the default value map
    assert [r["submission_date"] for r in sample] == [
        "2025-07-01", "2025-07-02", None, "2025-07-04", "2025-07-05"
    ]  # fmt: skip
    assert [r["claim_status"] for r in sample] == [
        "denied", "approved", "approved", "weird", "approved"
    ]  # fmt: skip
    assert [r["would_be"] for r in sample] == [
        "loaded", "loaded", "quarantined: submission_date.date_format",
        "quarantined: claim_status.in_set", "loaded",
    ]  # fmt: skip
    assert {Path(f["path"]).name: f["transactions"] for f in x12["files"]} == {
        "claims.x12": {"837 005010X222A1": 1},
        "remit.x12": {"835 005010X221A1": 1},
    }


def test_check_prints_what_to_fix_and_masks_patient_ids(
    onboarding: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    ws = onboarding
    source = ws.alpha_source()
    source["columns"]["member_id"] = "patient_ids"  # fixed
    ws.write_config([source])
    result = cli("check", "--config", str(ws.config))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "The first 5 rows of export.csv, as mapped" in result.stdout
    assert all(f"│ {r[0]} " in result.stdout for r in ROWS[:5]) and "•••" in result.stdout
    assert not any(r[1] in result.stdout for r in ROWS)  # member ids
    shown = cli("check", "--config", str(ws.config), "--show-phi", "--json").json()
    assert [r["member_id"] for r in shown["sources"][0]["files"][0]["sample"]] == [
        r[1] for r in ROWS[:5]
    ]
    ws.write_config([ws.alpha_source()])
    broken = cli("check", "--config", str(ws.config))
    assert broken.exit_code == 3
    assert "member_id ← 'patient_id', optional: empty in every row (did you mean" in broken.stdout
    assert "columns no mapping uses: patient_ids, notes" in broken.stdout


def test_a_missing_required_column_and_an_unreadable_file(onboarding: Workspace) -> None:
    ws = onboarding
    ws.put("export.csv", HEADER.replace("claim_id", "claim_no") + ",".join(ROWS[0]) + "\n")
    ws.put("empty.csv", "")
    ws.write_config([ws.alpha_source()])
    result = cli("check", "--config", str(ws.config), "--json")
    assert result.exit_code == 3
    files = {Path(f["path"]).name: f for f in result.json()["sources"][0]["files"]}
    assert files["empty.csv"]["problem"] == "empty file (0 bytes)"
    missing = {m["canonical"]: m for m in files["export.csv"]["missing"]}
    assert missing["patient_control_number"]["required"] is True
    assert missing["patient_control_number"]["did_you_mean"] == "claim_no"
    assert files["export.csv"]["sample"] == []
    text = cli("check", "--config", str(ws.config))
    assert "would fail: required column patient_control_number missing" in text.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the configuration file"),
        ("sources: [\n", "not valid YAML"),
        ("sources:\n- name: a\n  format: csv\n", "invalid configuration"),
    ],
)
def test_a_bad_configuration_is_one_error_without_traceback(
    tmp_path: Path, content: str | None, message: str
) -> None:
    config = tmp_path / "c.yaml"
    if content is not None:
        config.write_text(content)
    result = cli("check", "--config", str(config))
    assert result.exit_code == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert sorted(os.listdir(tmp_path)) == (["c.yaml"] if content is not None else [])


def test_a_pattern_that_matches_nothing_is_a_warning(workspace: Workspace) -> None:
    ws = workspace
    ws.write_config([ws.alpha_source(pattern="nowhere/*.csv")])
    result = cli("check", "--config", str(ws.config))
    assert result.exit_code == 3
    assert "Source alpha (csv): 0 files" in result.stdout
    assert "pattern nowhere/*.csv matched no file" in result.stderr
