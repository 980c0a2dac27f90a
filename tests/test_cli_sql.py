"""``claimflow sql``: one read-only query on the published snapshot, printed for a person or
as CSV/JSON; anything that is not a read is refused with one line, and nothing is written."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.cli_world import World, build_world
from tests.conftest import cli


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory)


def sql(world: World, *args: str) -> tuple[int, str, str]:
    result = cli("sql", *args, "--warehouse", str(world.warehouse))
    return result.exit_code, result.stdout, result.stderr


def test_a_query_prints_the_rows_the_warehouse_holds(world: World) -> None:
    query = (
        "SELECT source_system, count(*) AS claims, sum(total_charge) AS total_charge"
        " FROM claims_header GROUP BY 1 ORDER BY 1"
    )
    expected = world.query(query)
    code, stdout, stderr = sql(world, query, "--format", "csv")
    assert code == 0, stderr
    rows = list(csv.reader(io.StringIO(stdout)))
    assert rows[0] == ["source_system", "claims", "total_charge"]
    assert [(s, int(n), f"{t:.2f}") for s, n, t in expected] == [
        (s, int(n), f"{float(t):.2f}") for s, n, t in rows[1:]
    ]
    as_json = cli("sql", query, "--warehouse", str(world.warehouse), "--json").json()
    assert [(r["source_system"], r["claims"]) for r in as_json] == [(s, n) for s, n, _ in expected]
    code, table, _ = sql(world, query)
    assert code == 0 and f"{len(expected)} rows" in table
    assert "Source system" in table and "Total charge" in table  # the people's labels


def test_a_table_shows_the_first_rows_and_says_there_are_more(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")  # internal claim IDs (32 characters) stay whole
    (total,) = world.query("SELECT count(*) FROM claims_header")[0]
    assert total > 3
    code, stdout, _ = sql(world, "SELECT claim_id FROM claims_header ORDER BY 1", "--limit", "3")
    assert code == 0
    first = [r[0] for r in world.query("SELECT claim_id FROM claims_header ORDER BY 1 LIMIT 4")]
    assert "first 3 rows" in stdout
    assert all(i in stdout for i in first[:3]) and first[3] not in stdout


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM runs",
        "INSERT INTO runs (run_id) VALUES ('x')",
        "CREATE TABLE t AS SELECT 1",
        "DROP TABLE runs",
        "ATTACH 'other.duckdb' AS other",
        "SET threads = 1",
    ],
)
def test_anything_but_a_read_is_refused_with_one_line(world: World, statement: str) -> None:
    before = world.query("SELECT count(*) FROM runs")
    code, stdout, stderr = sql(world, statement)
    assert code == 2
    assert "claimflow sql only reads" in stderr and "Traceback" not in stderr
    assert stdout == ""
    assert world.query("SELECT count(*) FROM runs") == before


def test_a_query_cannot_write_or_read_another_file(world: World, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    code, _, stderr = sql(world, f"COPY (SELECT 1) TO '{target}'")
    assert code == 2 and "COPY" in stderr
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")
    code, _, stderr = sql(world, f"SELECT * FROM read_csv('{secret}')")
    assert code == 1 and "file system operations are disabled" in stderr
    assert "Traceback" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.csv"]


def test_errors_are_one_line_and_never_quote_a_value(world: World) -> None:
    code, _, stderr = sql(world, "SELECT * FROM no_such_table")
    assert code == 1 and "no_such_table" in stderr and "Traceback" not in stderr
    code, _, stderr = sql(world, "SELEC 1")
    assert code == 2 and "not valid SQL" in stderr
    members = {m for (m,) in world.query("SELECT member_id FROM claims_header") if m}
    code, _, stderr = sql(world, "SELECT CAST(member_id AS INTEGER) FROM claims_header")
    assert code == 1 and "conversion error" in stderr
    assert not any(m in stderr for m in members)
    code, _, stderr = sql(world, "SELECT strptime(member_id, '%Y') FROM claims_header")
    assert code == 1 and "invalid-input error" in stderr
    assert not any(m in stderr for m in members)


def test_patient_identifier_columns_are_masked_unless_asked(world: World) -> None:
    query = "SELECT member_id FROM claims_header WHERE member_id IS NOT NULL ORDER BY 1"
    members = [m for (m,) in world.query(query)]
    masked = cli("sql", query, "--warehouse", str(world.warehouse), "--json").json()
    assert {r["member_id"] for r in masked} == {"•••"}
    shown = cli("sql", query, "--warehouse", str(world.warehouse), "--json", "--show-phi").json()
    assert [r["member_id"] for r in shown] == members
