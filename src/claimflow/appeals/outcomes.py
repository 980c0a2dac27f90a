"""What the payer decided on each appeal, and the overturn rates that follow.

An outcome is recorded by a person (``claimflow appeal outcome``); each is a new row of
``appeal_outcomes`` and the latest per case stands. Overturn rates count the cases with an
outcome: overturned and partially paid cases over all decided ones, by payer, condition and
payer argument (a case counts once under each argument it answered).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import duckdb

from claimflow.errors import ClaimflowError
from claimflow.schema.appeal_drafts import APPEAL_OUTCOMES
from claimflow.warehouse.connection import table_names

OUTCOMES = ("overturned", "partially_paid", "upheld")
WON = ("overturned", "partially_paid")


class OutcomeError(ClaimflowError):
    """An outcome that cannot be recorded (unknown case or outcome)."""


def record_outcome(
    conn: duckdb.DuckDBPyConnection,
    case_id: str,
    outcome: str,
    *,
    decided_on: dt.date | None = None,
    paid_amount: Decimal | None = None,
    recorded_by: str = "unknown",
    note: str | None = None,
    now: dt.datetime | None = None,
    source: str = "person",
) -> dict[str, Any]:
    """Append an outcome for a prepared case.

    Raises:
        CaseNotFoundError: No prepared case has that id.
        OutcomeError: The outcome is not one of ``OUTCOMES``.
    """
    # the case reader brings the case readers (FHIR, PDF): imported here, not by `claimflow run`
    from claimflow.appeals.store import read_case

    if outcome not in OUTCOMES:
        raise OutcomeError(f"outcome {outcome!r}: expected one of {', '.join(OUTCOMES)}")
    if source == "person":
        read_case(conn, case_id)
    row = {
        "case_id": case_id,
        "outcome": outcome,
        "decided_on": decided_on,
        "paid_amount": paid_amount,
        "source": source,
        "recorded_by": recorded_by,
        "recorded_at": now or dt.datetime.now(),
        "note": note,
    }
    names = APPEAL_OUTCOMES.column_names
    conn.execute(
        f"INSERT INTO {APPEAL_OUTCOMES.name} ({', '.join(names)}) VALUES "
        f"({', '.join('?' for _ in names)})",
        [row[n] for n in names],
    )
    return row


OVERTURN_RATES_SQL = """
WITH decided AS (
    SELECT * FROM appeal_outcomes
    QUALIFY row_number() OVER (PARTITION BY case_id ORDER BY recorded_at DESC, rowid DESC) = 1
), cases AS (
    SELECT c.case_id, coalesce(c.payer, 'unknown') AS payer,
           coalesce(c.condition, 'undecided') AS condition,
           coalesce(json_extract_string(c.arguments, '$[*]'), []) AS arguments, d.outcome
    FROM appeal_cases c JOIN decided d USING (case_id)
), by_argument AS (
    SELECT case_id, payer, condition, unnest(
        CASE WHEN len(arguments) = 0 THEN ['none recognised'] ELSE arguments END
    ) AS argument, outcome FROM cases
), grouped AS (
    SELECT 'payer' AS dimension, payer AS value, outcome FROM cases
    UNION ALL SELECT 'condition', condition, outcome FROM cases
    UNION ALL SELECT 'argument', argument, outcome FROM by_argument
)
SELECT dimension, value, count(*) AS decided,
       count(*) FILTER (WHERE outcome IN ('overturned', 'partially_paid')) AS won,
       count(*) FILTER (WHERE outcome = 'overturned') AS overturned,
       count(*) FILTER (WHERE outcome = 'partially_paid') AS partially_paid,
       count(*) FILTER (WHERE outcome = 'upheld') AS upheld
FROM grouped
GROUP BY dimension, value
ORDER BY dimension, decided DESC, value
"""


def overturn_rates(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Decided appeals and the share won, by payer, condition and argument."""
    cursor = conn.execute(OVERTURN_RATES_SQL)
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    for row in rows:
        row["overturn_rate"] = row["won"] / row["decided"] if row["decided"] else None
    return rows


# The first 835 of the case's claim paid after the denial's letter date (a reversal is not an
# answer), and what the claim had been paid up to that date.
OUTCOMES_FROM_835_SQL = """
WITH cases AS (
    SELECT case_id, claim_id, letter_date, original_drg
    FROM appeal_cases
    WHERE claim_id IS NOT NULL AND letter_date IS NOT NULL
), paid AS (
    SELECT a.claim_id, a.adjudication_id, a.drg_code, a.paid_amount, a.record_type,
           coalesce(p.payment_date, p.production_date) AS paid_on
    FROM adjudication a JOIN payments p USING (payment_id)
    WHERE a.claim_id IS NOT NULL
), answers AS (
    SELECT c.case_id, c.claim_id, c.original_drg, c.letter_date, x.adjudication_id,
           x.drg_code, x.paid_amount, x.paid_on
    FROM cases c JOIN paid x ON x.claim_id = c.claim_id
    WHERE x.paid_on > c.letter_date AND x.record_type <> 'reversal'
    QUALIFY row_number() OVER (PARTITION BY c.case_id ORDER BY x.paid_on, x.adjudication_id) = 1
)
SELECT s.case_id, s.original_drg, s.adjudication_id, s.drg_code, s.paid_amount, s.paid_on,
       coalesce((SELECT sum(b.paid_amount) FROM paid b
                 WHERE b.claim_id = s.claim_id AND b.paid_on <= s.letter_date), 0) AS paid_before
FROM answers s
WHERE NOT EXISTS (
    SELECT 1 FROM appeal_outcomes o
    WHERE o.case_id = s.case_id AND o.source = '835' AND o.note = s.adjudication_id
)
ORDER BY s.case_id
"""


def decide_from_835(
    billed_drg: str | None, drg_paid: str | None, paid: Decimal, paid_before: Decimal
) -> str:
    """The appeal's outcome from the 835 that answered it: the billed DRG paid → overturned;
    more paid than before the denial, on another or no DRG → partially paid; else upheld."""
    if billed_drg and drg_paid and drg_paid.strip().lstrip("0") == billed_drg.lstrip("0"):
        return "overturned"
    if paid > paid_before:
        return "partially_paid"
    return "upheld"


def record_835_outcomes(
    conn: duckdb.DuckDBPyConnection, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Record the outcome of every prepared case whose claim a later 835 answered (once per
    835 claim: the adjudication id is the outcome's note). A person's later entry stands over
    it, as any later outcome does. Returns the rows recorded."""
    if not {"appeal_cases", "appeal_outcomes", "adjudication", "payments"} <= table_names(conn):
        return []
    recorded = []
    for case_id, billed, adjudication_id, drg, paid, paid_on, before in conn.execute(
        OUTCOMES_FROM_835_SQL
    ).fetchall():
        outcome = decide_from_835(billed, drg, Decimal(paid or 0), Decimal(before or 0))
        recorded.append(
            record_outcome(
                conn,
                case_id,
                outcome,
                decided_on=paid_on,
                paid_amount=None if paid is None else Decimal(paid),
                recorded_by="835",
                note=adjudication_id,
                now=now,
                source="835",
            )
        )
    return recorded
