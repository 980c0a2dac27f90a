"""Interchange control numbers (ISA13, GS06): a persistent counter per sender and receiver.

Receivers reject an interchange whose control number they have seen before (TA1 code 025), so
a number is taken from the counter inside the transaction that records what was written with
it, and is never given again: a run that does not commit gives its numbers back with
everything else it did, and no file carrying them was put in place.
"""

from __future__ import annotations

import duckdb

from claimflow.errors import WarehouseError

MAX_CONTROL_NUMBER = 999_999_999
"""ISA13 has nine digits."""


def take_control_number(conn: duckdb.DuckDBPyConnection, sender_id: str, receiver_id: str) -> int:
    """The next interchange control number from ``sender_id`` to ``receiver_id`` (from 1).

    Call inside the transaction that records the interchange.

    Raises:
        WarehouseError: The nine digits of ISA13 are used up for this pair.
    """
    row = conn.execute(
        "SELECT last_used FROM control_numbers WHERE sender_id = ? AND receiver_id = ?",
        [sender_id, receiver_id],
    ).fetchone()
    number = (int(row[0]) if row else 0) + 1
    if number > MAX_CONTROL_NUMBER:
        raise WarehouseError(
            f"interchange control numbers from {sender_id} to {receiver_id} are used up"
            f" ({MAX_CONTROL_NUMBER:,}); a new sender id is needed"
        )
    if row:
        conn.execute(
            "UPDATE control_numbers SET last_used = ? WHERE sender_id = ? AND receiver_id = ?",
            [number, sender_id, receiver_id],
        )
    else:
        conn.execute(
            "INSERT INTO control_numbers VALUES (?, ?, ?)", [sender_id, receiver_id, number]
        )
    return number
