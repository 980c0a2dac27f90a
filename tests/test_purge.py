"""Retention: `claimflow purge --older-than DAYS` on a real run of a small synthetic world.

Two runs load the world: the first one half of the EMR files (then made 400 days old, as if
it had run then: its ``runs.started_at`` is moved back), the second the rest. A purge with a
365-day retention must remove the first run's raw values and nothing of the second's.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from claimflow.synth import generate_world
from tests.conftest import Result, cli

REFERENCE = "2025-03-20"
TODAY = dt.datetime.now(dt.UTC).date().isoformat()


def _query(warehouse: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        return conn.execute(sql, params or []).fetchall()
    finally:
        conn.close()


def _run(root: Path, config: Path) -> Result:
    return cli(
        "run", "--config", str(config), "--warehouse", str(root / "claimflow.duckdb"),
        "--out", str(root / "out"), "--reference-date", REFERENCE,
    )  # fmt: skip


QUARANTINE_SQL = (
    "SELECT lineage_hash, member_id, dq_details, run_id FROM claims_header__quarantine"
    " ORDER BY lineage_hash"
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("purge_world")
    inbox = root / "inbox"
    summary = generate_world(
        inbox, claims=120, seed=11, start=dt.date(2025, 1, 1), months=2, workers=1
    )
    held = root / "held"
    held.mkdir()
    later = [sorted((inbox / "emr").glob(f"{s}_*"))[-1] for s in ("alpha", "beta", "gamma")]
    for path in later:
        shutil.move(path, held / path.name)
    first = _run(root, summary.config)
    assert first.exit_code in (0, 3), first.stderr
    warehouse = root / "claimflow.duckdb"
    conn = duckdb.connect(str(warehouse))
    (old_run,) = conn.execute("SELECT run_id FROM runs").fetchone() or ("",)
    conn.execute(
        "UPDATE runs SET started_at = started_at - INTERVAL 400 DAY,"
        " ended_at = ended_at - INTERVAL 400 DAY"
    )
    conn.close()
    for path in later:
        shutil.move(held / path.name, inbox / "emr" / path.name)
    second = _run(root, summary.config)
    assert second.exit_code in (0, 3), second.stderr
    (new_run,) = _query(warehouse, "SELECT run_id FROM runs WHERE run_id <> ?", [old_run])[0]
    before = {
        "bronze": _query(
            warehouse,
            "SELECT lineage_hash, raw_record, run_id FROM bronze_emr_rows ORDER BY lineage_hash",
        ),
        "quarantine": _query(warehouse, QUARANTINE_SQL),
        "counts": _query(warehouse, "SELECT * FROM runs ORDER BY run_id"),
        "run_files": _query(warehouse, "SELECT * FROM run_files ORDER BY run_id, file_id"),
    }
    dry = cli("purge", "--older-than", "365", "--warehouse", str(warehouse), "--dry-run", "--json")
    after_dry = _query(warehouse, "SELECT lineage_hash, raw_record, run_id FROM bronze_emr_rows")
    purged = cli("purge", "--older-than", "365", "--warehouse", str(warehouse), "--json")
    return {
        "root": root,
        "warehouse": warehouse,
        "old": old_run,
        "new": new_run,
        "before": before,
        "dry": dry,
        "after_dry": after_dry,
        "purged": purged,
    }


def test_dry_run_counts_and_changes_nothing(world: dict[str, Any]) -> None:
    dry = world["dry"]
    assert dry.exit_code == 0, dry.stderr
    report = dry.json()
    assert report["dry_run"] is True
    old_rows = [r for r in world["before"]["bronze"] if r[2] == world["old"]]
    assert report["rows"]["bronze_emr_raw"] == len(old_rows) > 0
    assert sorted(world["after_dry"]) == sorted(world["before"]["bronze"])


def test_old_raw_records_are_gone_hashes_kept_new_untouched(world: dict[str, Any]) -> None:
    assert world["purged"].exit_code == 0, world["purged"].stderr
    after = _query(
        world["warehouse"],
        "SELECT lineage_hash, raw_record, run_id FROM bronze_emr_rows ORDER BY lineage_hash",
    )
    before = world["before"]["bronze"]
    assert [r[0] for r in after] == [r[0] for r in before]  # every hash kept, none changed
    for (h, raw, run), (_, raw_before, _) in zip(after, before, strict=True):
        assert h is not None
        if run == world["old"]:
            assert raw is None
        else:
            assert raw == raw_before and raw is not None
    assert world["purged"].json()["rows"]["bronze_emr_raw"] == sum(
        r[2] == world["old"] for r in before
    )


def test_quarantine_offending_values_and_ids_removed(world: dict[str, Any]) -> None:
    before = world["before"]["quarantine"]
    after = _query(world["warehouse"], QUARANTINE_SQL)
    assert any(r[3] == world["old"] for r in before), "the world quarantines no old row"
    assert [r[0] for r in after] == [r[0] for r in before]
    for (_, member, details, run), old in zip(after, before, strict=True):
        if run == world["old"]:
            assert member is None and details is None
        else:
            assert (member, details) == (old[1], old[2])


def test_counts_and_runs_kept(world: dict[str, Any]) -> None:
    wh = world["warehouse"]
    assert _query(wh, "SELECT * FROM runs ORDER BY run_id") == world["before"]["counts"]
    assert (
        _query(wh, "SELECT * FROM run_files ORDER BY run_id, file_id")
        == world["before"]["run_files"]
    )


def test_purge_recorded(world: dict[str, Any]) -> None:
    rows = _query(
        world["warehouse"],
        "SELECT purge_id, purged_by, older_than_days, table_name, rows_purged, cutoff"
        " FROM retention_purges",
    )
    assert len({r[0] for r in rows}) == 1
    by_table = {r[3]: r[4] for r in rows}
    assert by_table["bronze_emr_raw"] > 0
    assert by_table["claims_header__quarantine"] > 0
    assert {r[2] for r in rows} == {365}


def test_lineage_says_purged_on_the_date(world: dict[str, Any]) -> None:
    wh = str(world["warehouse"])
    old_hash = next(r[0] for r in world["before"]["bronze"] if r[2] == world["old"])
    new_hash = next(r[0] for r in world["before"]["bronze"] if r[2] == world["new"])
    shown = cli("lineage", old_hash, "--warehouse", wh, "--show-phi")
    assert shown.exit_code == 0, shown.stderr
    assert f"raw record:   purged on {TODAY}" in shown.stdout
    as_json = cli("lineage", old_hash, "--warehouse", wh, "--json").json()
    assert as_json["purged_on"] == TODAY and as_json["raw_record"] is None
    kept = cli("lineage", new_hash, "--warehouse", wh, "--show-phi")
    assert "purged" not in kept.stdout
    raw = next(r[1] for r in world["before"]["bronze"] if r[0] == new_hash)
    assert raw.split('"')[3] in kept.stdout.replace("\n", "")


def test_second_purge_changes_nothing(world: dict[str, Any]) -> None:
    wh = world["warehouse"]
    snapshot = _query(wh, "SELECT * FROM bronze_emr_rows ORDER BY lineage_hash")
    quarantine = _query(wh, QUARANTINE_SQL)
    again = cli("purge", "--older-than", "365", "--warehouse", str(wh), "--json")
    assert again.exit_code == 0, again.stderr
    assert again.json()["total_rows"] == 0
    assert _query(wh, "SELECT * FROM bronze_emr_rows ORDER BY lineage_hash") == snapshot
    assert _query(wh, QUARANTINE_SQL) == quarantine
    # the first purge's date is still the one lineage gives
    assert _query(wh, "SELECT count(DISTINCT purge_id) FROM retention_purges")[0][0] == 2


def test_negative_period_is_a_usage_error(world: dict[str, Any]) -> None:
    bad = cli("purge", "--older-than", "-1", "--warehouse", str(world["warehouse"]))
    assert bad.exit_code == 2
    assert "number of days" in bad.stderr


def test_appeal_letters_and_clinical_notes_of_old_cases(tmp_path: Path) -> None:
    """Appeal cases came in when they were prepared: an old case's letter and notes go, a new
    case's stay, hashes stay (the tables as migrated; rows as `appeal prepare` stores them)."""
    from claimflow.warehouse.connection import open_warehouse
    from claimflow.warehouse.purge import purge

    now = dt.datetime(2026, 6, 1, 12, 0)
    conn = open_warehouse(tmp_path / "claimflow.duckdb")
    try:
        for case, age in (("old-case", 800), ("new-case", 10)):
            conn.execute(
                "INSERT INTO appeal_cases (case_id, member_id, letter_text, prepared_at)"
                " VALUES (?, 'W000037868', 'Dear provider, member W000037868 ...', ?)",
                [case, now - dt.timedelta(days=age)],
            )
            for table in ("clinical_notes", "clinical_notes__quarantine"):
                conn.execute(
                    f"INSERT INTO {table} (case_id, note_type, note_text, lineage_hash)"
                    " VALUES (?, 'Discharge Summary', 'JOHN SMITH, 64, septic shock', ?)",
                    [case, f"{case}-{table}-hash"],
                )
        done = purge(conn, 365, now=now, purged_by="tester")
        assert done.rows["appeal_cases"] == 1
        assert done.rows["clinical_notes"] == done.rows["clinical_notes__quarantine"] == 1
        letters = conn.execute(
            "SELECT case_id, letter_text IS NULL FROM appeal_cases ORDER BY case_id"
        ).fetchall()
        assert letters == [("new-case", False), ("old-case", True)]
        for table in ("clinical_notes", "clinical_notes__quarantine"):
            notes = conn.execute(
                f"SELECT case_id, note_text IS NULL, lineage_hash FROM {table} ORDER BY case_id"
            ).fetchall()
            assert notes == [
                ("new-case", False, f"new-case-{table}-hash"),
                ("old-case", True, f"old-case-{table}-hash"),
            ]
        assert purge(conn, 365, now=now).rows["appeal_cases"] == 0
        recorded = conn.execute(
            "SELECT purged_by, rows_purged FROM retention_purges"
            " WHERE table_name = 'appeal_cases' ORDER BY purged_at, rows_purged DESC"
        ).fetchall()
        assert recorded[0] == ("tester", 1)
    finally:
        conn.close()
