"""Reference code sets: shipped files load completely, refreshes never forget a code."""

from __future__ import annotations

from pathlib import Path

from claimflow.denials.reference import ensure_reference
from claimflow.warehouse.connection import open_warehouse
from tests.conftest import cli


def test_shipped_sets_load_with_the_counts_their_manifest_states(tmp_path: Path) -> None:
    conn = open_warehouse(tmp_path / "w.duckdb")
    try:
        assert ensure_reference(conn) is True
        assert ensure_reference(conn) is False  # same shipped version: nothing to do
        counts = dict(
            conn.execute(
                "SELECT code_set || ':' || status, count(*) FROM ref_codes GROUP BY 1"
            ).fetchall()
        )
        # MANIFEST.md: CARC 407 (297 current, 110 deactivated); RARC 1216 (1137, 79)
        assert counts["carc:current"] == 297 and counts["carc:deactivated"] == 110
        assert counts["rarc:current"] == 1137 and counts["rarc:deactivated"] == 79
        assert counts["group_code:current"] == 5
        assert counts["clp02:current"] == 10
        assert counts["place_of_service:current"] == 99
        # MANIFEST: 129 CARCs in the reviewed category map, all translated
        categories = dict(conn.execute("SELECT carc, category FROM ref_carc_category").fetchall())
        assert len(categories) == 129
        assert (categories["18"], categories["29"], categories["45"]) == (
            "duplicate",
            "timely_filing",
            "contractual",
        )
        assert categories["197"] == "authorization" and categories["50"] == "medical_necessity"
    finally:
        conn.close()


def test_refresh_updates_and_keeps_codes_it_no_longer_lists(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    newer = tmp_path / "carc_2027.csv"
    newer.write_text(
        "code,description,status\n"
        "45,Charge exceeds fee schedule (reworded 2027),current\n"
        "999,A brand new reason,current\n"
    )
    result = cli("reference", "refresh", "carc", str(newer), "-w", str(warehouse))
    assert result.exit_code == 0, result.stderr
    reworded = cli("reference", "lookup", "carc", "45", "-w", str(warehouse), "--json").json()
    assert reworded["description"] == "Charge exceeds fee schedule (reworded 2027)"
    assert reworded["in_latest"] is True
    new = cli("reference", "lookup", "carc", "999", "-w", str(warehouse), "--json").json()
    assert new["status"] == "current"
    # CARC 1 is not in the newer file: still known, marked as not in the latest list
    old = cli("reference", "lookup", "carc", "1", "-w", str(warehouse), "--json").json()
    assert old["description"] == "Deductible Amount" and old["in_latest"] is False
    # a later run (which ensures the shipped sets) does not undo the user's refresh
    conn = open_warehouse(warehouse)
    conn.execute("DELETE FROM ref_sets WHERE code_set = '_shipped'")  # as after an upgrade
    assert ensure_reference(conn) is True
    (desc,) = conn.execute(
        "SELECT description FROM ref_codes WHERE code_set='carc' AND code='45'"
    ).fetchone()
    conn.close()
    assert desc.endswith("(reworded 2027)")


def test_refresh_with_a_wrong_file_names_the_columns(tmp_path: Path) -> None:
    bad = tmp_path / "rarc.csv"
    bad.write_text("id,text\nN1,x\n")
    result = cli("reference", "refresh", "rarc", str(bad), "-w", str(tmp_path / "w.duckdb"))
    assert result.exit_code == 1
    assert "code" in result.stderr and "id, text" in result.stderr
