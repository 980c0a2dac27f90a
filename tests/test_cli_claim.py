"""``claimflow claim`` (a claim's lifecycle as a timeline) and ``claimflow lineage``, with
patient identifiers masked unless --show-phi."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.cli_world import World, build_world
from tests.conftest import cli


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory)


def _remitted_claim(world: World) -> str:
    """A claim number (PCN) with an 835 and a member id on its claims."""
    rows = world.query(
        "SELECT h.patient_control_number FROM claims_header h JOIN adjudication a"
        " ON a.claim_id = h.claim_id WHERE h.member_id IS NOT NULL"
        " GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    )
    assert rows, "the world has a remitted claim"
    return str(rows[0][0])


def test_claim_by_number_prints_each_remittance_on_its_date(world: World) -> None:
    pcn = _remitted_claim(world)
    remits = world.query(
        "SELECT p.payment_date, a.record_type, a.is_denied FROM adjudication a"
        " JOIN payments p ON p.payment_id = a.payment_id JOIN claims_header h"
        " ON h.claim_id = a.claim_id WHERE h.patient_control_number = ?",
        [pcn],
    )
    result = cli("claim", pcn, "--warehouse", str(world.warehouse), "--json")
    assert result.exit_code == 0, result.stderr
    events = result.json()["timeline"]
    found = sorted((e["date"], e["event"]) for e in events if e["event"].startswith("835"))
    expected = sorted(
        (
            d.isoformat(),
            "835 reversal" if kind == "reversal" else "835 denied" if denied else "835 paid",
        )
        for d, kind, denied in remits
    )
    assert found == expected
    dates = [e["date"] for e in events if e["date"] is not None]
    assert dates == sorted(dates)  # in the order they happened


def test_claim_by_internal_id_is_the_same_claim_and_masks_patient_ids(world: World) -> None:
    pcn = _remitted_claim(world)
    claims = world.query(
        "SELECT claim_id, member_id FROM claims_header WHERE patient_control_number = ?", [pcn]
    )
    by_number = cli("claim", pcn, "--warehouse", str(world.warehouse))
    assert by_number.exit_code == 0, by_number.stderr
    # an internal claim ID is one version of the claim (the EMR record, or one 837)
    for claim_id, _ in claims:
        by_id = cli("claim", claim_id, "--warehouse", str(world.warehouse), "--json").json()
        assert [c["claim_id"] for c in by_id["claims"]] == [claim_id]
        assert {c["patient_control_number"] for c in by_id["claims"]} == {pcn}
    members = {m for _, m in claims if m}
    assert members and not any(m in by_number.stdout for m in members)
    assert "•••" in by_number.stdout
    shown = cli("claim", pcn, "--warehouse", str(world.warehouse), "--show-phi")
    assert all(m in shown.stdout for m in members)
    as_json = cli("claim", pcn, "--warehouse", str(world.warehouse), "--json").json()
    assert {c["member_id"] for c in as_json["claims"] if c["member_id"]} == {"•••"}


def test_claim_at_80_columns_keeps_every_identifier_whole(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    pcn = _remitted_claim(world)
    ids = [r[0] for r in world.query(
        "SELECT claim_id FROM claims_header WHERE patient_control_number = ?", [pcn]
    )]  # fmt: skip
    result = cli("claim", pcn, "--warehouse", str(world.warehouse))
    assert result.exit_code == 0, result.stderr
    assert pcn in result.stdout
    assert all(i in result.stdout for i in ids)
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


def test_claim_timeline_names_the_resubmission(world: World) -> None:
    rows = world.query(
        "SELECT h.patient_control_number, r.attempt, r.created_at FROM resubmissions r"
        " JOIN claims_header h ON h.claim_id = r.claim_id ORDER BY 1 LIMIT 1"
    )
    if not rows:
        pytest.skip("this world resubmitted nothing")
    pcn, attempt, created = rows[0]
    events = cli("claim", pcn, "--warehouse", str(world.warehouse), "--json").json()["timeline"]
    assert {
        "date": created.date().isoformat() if isinstance(created, dt.datetime) else str(created),
        "event": f"Resubmitted (attempt {attempt})",
    }.items() <= next(e for e in events if e["event"].startswith("Resubmitted")).items()


def test_an_unknown_claim_is_one_line_exit_1(world: World) -> None:
    result = cli("claim", "NO-SUCH-CLAIM", "--warehouse", str(world.warehouse))
    assert result.exit_code == 1
    assert "no claim has this claim number (PCN) or internal claim ID" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_lineage_masks_the_raw_record_unless_asked(world: World) -> None:
    rows = world.query(
        "SELECT h.lineage_hash, h.member_id FROM claims_header h"
        " WHERE h.member_id IS NOT NULL AND h.source_row_number IS NOT NULL LIMIT 1"
    )
    lineage_hash, member = rows[0]
    masked = cli("lineage", lineage_hash, "--warehouse", str(world.warehouse))
    assert masked.exit_code == 0, masked.stderr
    assert member not in masked.stdout and "raw record:   •••" in masked.stdout
    assert (
        cli("lineage", lineage_hash, "--warehouse", str(world.warehouse), "--json").json()[
            "raw_record"
        ]
        == "•••"
    )
    shown = cli("lineage", lineage_hash, "--warehouse", str(world.warehouse), "--show-phi")
    assert member in shown.stdout


def test_claim_timeline_has_each_sla_alert_and_rejection_log_line(world: World) -> None:
    rows = world.query(
        "SELECT patient_control_number FROM sla_alerts UNION"
        " SELECT patient_control_number FROM rejection_log ORDER BY 1 LIMIT 1"
    )
    if not rows:
        pytest.skip("this world has no SLA alert and no rejection log line")
    (pcn,) = rows[0]
    alerts = world.query(
        "SELECT CAST(due_at AS DATE) FROM sla_alerts WHERE patient_control_number = ?", [pcn]
    )
    logged = world.query(
        "SELECT CAST(logged_at AS DATE) FROM rejection_log WHERE patient_control_number = ?",
        [pcn],
    )
    events = cli("claim", pcn, "--warehouse", str(world.warehouse), "--json").json()["timeline"]
    assert sorted(e["date"] for e in events if e["event"].startswith("SLA alert")) == sorted(
        d.isoformat() for (d,) in alerts
    )
    assert sorted(e["date"] for e in events if e["event"].startswith("Rejection log")) == sorted(
        d.isoformat() for (d,) in logged
    )
