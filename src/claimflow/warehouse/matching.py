"""Materialise the claim and line crosswalks (``claim_match``, ``claim_line_match``).

The rules are SQL (``sql/match_claims.sql``), one step per matching method, in the order of the
data model; each run rebuilds the crosswalks from the whole warehouse, so the same inputs give
the same matches.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources

import duckdb

from claimflow.warehouse.sql import execute


@dataclass(frozen=True)
class MatchSummary:
    """Counts after matching."""

    by_method: dict[str, int]
    unmatched: dict[str, int]
    remittance_claims: int


def _steps() -> list[tuple[str, str]]:
    text = (resources.files("claimflow.warehouse") / "sql" / "match_claims.sql").read_text("utf-8")
    steps: list[tuple[str, str]] = []
    for chunk in text.split("-- step: ")[1:]:
        name, _, body = chunk.partition("\n")
        steps.append((name.strip(), body.strip().rstrip(";") + ";\n"))
    return steps


def match_claims(conn: duckdb.DuckDBPyConnection, *, run_id: str, now: dt.datetime) -> MatchSummary:
    """Rebuild the crosswalks and write the matches back onto the remittance rows."""
    params = {"run_id": run_id, "matched_at": now}
    for _name, sql in _steps():
        for statement in (s.strip() for s in sql.split(";\n")):
            if statement and not all(line.startswith("--") for line in statement.splitlines()):
                execute(conn, statement, params)
    by_method = {
        f"{k}:{m}": int(n)
        for k, m, n in conn.execute(
            "SELECT left_kind, match_method, count(*) FROM claim_match GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
    }
    by_method.update(
        {
            f"line:{m}": int(n)
            for m, n in conn.execute(
                "SELECT match_method, count(*) FROM claim_line_match GROUP BY 1 ORDER BY 1"
            ).fetchall()
        }
    )
    unmatched = {
        k: int(n)
        for k, n in conn.execute("SELECT left_kind, count(*) FROM unmatched GROUP BY 1").fetchall()
    }
    row = conn.execute("SELECT count(*) FROM adjudication").fetchone()
    return MatchSummary(by_method, unmatched, int(row[0]) if row else 0)
