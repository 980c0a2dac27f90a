"""Appeal outcomes from a later 835: a synthetic world run through the real CLI, three appeal
cases on three of its institutional claims, then an 835 the test writes (dated after the
denials, each claim answered differently) run in, and the outcomes recorded from it."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import duckdb

from claimflow.appeals.case import load_case
from claimflow.appeals.outcomes import record_835_outcomes
from claimflow.appeals.store import read_case, store_case
from claimflow.warehouse.connection import open_warehouse
from tests.appeals.case_dir import ACCOUNT, DENIAL, write_case
from tests.conftest import cli

ANSWERED = dt.date(2025, 4, 20)  # the denials are of 2025-03-14


def _claims(warehouse: Path) -> list[tuple[str, Decimal, Decimal, str, str]]:
    """Three institutional claims paid before the denials' date: (PCN, charge, paid, payer id,
    billing NPI)."""
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = conn.execute(
            """
            SELECT a.patient_control_number, a.total_charge, sum(a.paid_amount), h.payer_id,
                   h.billing_npi
            FROM adjudication a JOIN payments p USING (payment_id)
            JOIN claims_header h ON h.claim_id = a.claim_id
            WHERE h.claim_type = 'institutional' AND p.payment_date < DATE '2025-03-14'
              AND a.record_type = 'original' AND a.paid_amount > 0
            GROUP BY 1, 2, 4, 5 HAVING count(*) = 1 ORDER BY 1 LIMIT 3
            """
        ).fetchall()
    finally:
        conn.close()
    assert len(rows) == 3
    return [(str(r[0]), Decimal(r[1]), Decimal(r[2]), str(r[3]), str(r[4])) for r in rows]


def _era(
    pcn: str, status: str, drg: str, charge: Decimal, paid: Decimal, payer: str, npi: str
) -> str:
    """An 835 of one payment from the claim's payer to its billing provider, one claim: its
    status, DRG (CLP11), charge and paid amount, CO-45 balancing."""
    claims = [(pcn, status, drg, charge, paid)]
    total = sum(paid for *_, paid in claims)
    segments = [
        "ST*835*0001",
        f"BPR*I*{total}*C*ACH*CCP*01*071000013*DA*20457812*1004300000**01*041000124*DA*19921045*"
        f"{ANSWERED:%Y%m%d}",
        f"TRN*1*APPEAL{pcn}*1004300000",
        f"DTM*405*{ANSWERED:%Y%m%d}",
        "N1*PR*BLUE SKY INSURANCE",
        f"REF*2U*{payer}",
        f"N1*PE*NORTHSIDE HOSPITAL*XX*{npi}",
        "LX*1",
    ]
    for pcn, status, drg, charge, paid in claims:
        segments.append(f"CLP*{pcn}*{status}*{charge}*{paid}**MC*APPEAL{pcn}*11*1**{drg}")
        if charge - paid:
            segments.append(f"CAS*CO*45*{charge - paid}")
    segments.append(f"SE*{len(segments) + 1}*0001")
    return (
        "ISA*00*          *00*          *ZZ*00430          *ZZ*CFSUBMIT01     *250420*1200*^*"
        "00501*000990001*0*P*:~GS*HP*00430*CFSUBMIT01*20250420*1200*990001*X*005010X221A1~"
        + "~".join(segments)
        + "~GE*1*990001~IEA*1*000990001~"
    )


def test_a_later_835_records_each_appeal_outcome(tmp_path: Path) -> None:
    inbox, warehouse, out = tmp_path / "inbox", tmp_path / "w.duckdb", tmp_path / "out"
    made = cli("synth", "--claims", "300", "--seed", "3", "--start", "2025-01-01", "--months", "2",
               "--out", str(inbox))  # fmt: skip
    assert made.exit_code == 0, made.stderr
    config = str(inbox / "claimflow.yaml")
    first = cli("run", "--config", config, "-w", str(warehouse), "--out", str(out))
    assert first.exit_code in (0, 3), first.stderr
    claims = _claims(warehouse)
    (won, won_charge, *_), (partly, partly_charge, partly_before, *_), (lost, *_) = claims
    conn = open_warehouse(warehouse)
    try:
        for case_id, pcn in (("C-WON", won), ("C-PARTLY", partly), ("C-LOST", lost)):
            case = load_case(
                write_case(tmp_path / "cases", case_id, denial=DENIAL.replace(ACCOUNT, pcn))
            )
            store_case(conn, case)
            assert read_case(conn, case_id)["claim_id"] is not None  # matched to the claim
        # nothing answered the appeals yet
        assert record_835_outcomes(conn) == []
    finally:
        conn.close()

    # the payer answers: the billed DRG 871 paid in full; 872 kept but more paid; nothing more
    more = min(partly_before + Decimal("100.00"), partly_charge)
    answers = {
        won: ("1", "871", won_charge),
        partly: ("1", "872", more),
        lost: ("4", "872", Decimal("0.00")),
    }
    for pcn, charge, _, payer, npi in claims:
        status, drg, paid = answers[pcn]
        era = _era(pcn, status, drg, charge, paid, payer, npi)
        (inbox / "x12" / "835" / f"era_appeal_{pcn}.835.x12").write_text(era, encoding="ascii")
    second = cli("run", "--config", config, "-w", str(warehouse), "--out", str(out))
    assert second.exit_code in (0, 3), second.stderr

    # the run recorded the outcomes of the appeals its 835s answered
    listed = json.loads(cli("appeal", "list", "-w", str(warehouse), "--json").stdout)["cases"]
    assert {c["case_id"]: c["outcome"] for c in listed} == {
        "C-WON": "overturned",
        "C-PARTLY": "partially_paid",
        "C-LOST": "upheld",
    }
    by_case = {c["case_id"]: c for c in listed}
    assert Decimal(by_case["C-WON"]["paid_amount"]) == won_charge
    assert Decimal(by_case["C-PARTLY"]["paid_amount"]) == more
    assert all(c["decided_on"] == ANSWERED.isoformat() for c in listed)
    conn = open_warehouse(warehouse)
    try:
        # once per 835 claim: another look, or another run, records nothing
        assert record_835_outcomes(conn) == []
    finally:
        conn.close()
    third = cli("run", "--config", config, "-w", str(warehouse), "--out", str(out))
    assert third.exit_code in (0, 3), third.stderr
    conn = open_warehouse(warehouse)
    try:
        assert conn.execute("SELECT count(*) FROM appeal_outcomes").fetchone() == (3,)
    finally:
        conn.close()
    rates = json.loads(cli("appeal", "rates", "-w", str(warehouse), "--json").stdout)["rates"]
    sepsis = next(r for r in rates if (r["dimension"], r["value"]) == ("condition", "sepsis"))
    assert (sepsis["decided"], sepsis["won"], sepsis["upheld"]) == (3, 2, 1)
