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

from claimflow.appeals.store import read_case
from claimflow.errors import ClaimflowError
from claimflow.schema.appeal_drafts import APPEAL_OUTCOMES

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
    if outcome not in OUTCOMES:
        raise OutcomeError(f"outcome {outcome!r}: expected one of {', '.join(OUTCOMES)}")
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
