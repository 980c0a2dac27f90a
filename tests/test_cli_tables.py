"""Every CLI table as a person reads it at 80 columns: human headers, values written as
claimflow.display writes them, and no identifier (claim number, payer id, NPI, code) ever cut
or wrapped. The identifiers expected on screen are read from the warehouse with plain SQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb
import pytest
from rich.console import Console

from claimflow import cli_common, cli_tables
from claimflow.cli_tables import TableFormat, print_table
from claimflow.synth import generate_world
from tests.conftest import HEADER_ALPHA, REPO, Result, Workspace, cli

REFERENCE_DATE = "2025-03-20"


@dataclass(frozen=True)
class World:
    root: Path
    warehouse: Path
    summary: Result  # the run's output at 80 columns
    metrics: dict[str, Any]

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        conn = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return conn.execute(sql, params or []).fetchall()
        finally:
            conn.close()

    def cli(self, *args: str) -> Result:
        return cli(*args, "--warehouse", str(self.warehouse))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("tables_world")
    summary = generate_world(
        root / "inbox", claims=200, seed=7, start=dt.date(2025, 1, 1), months=2, workers=1
    )
    warehouse = root / "claimflow.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cli_common.out, "_width", 80)
        result = cli(
            "run", "--config", str(summary.config), "--warehouse", str(warehouse),
            "--out", str(root / "out"), "--reference-date", REFERENCE_DATE,
        )  # fmt: skip
    assert result.exit_code in (0, 3), result.stderr
    (metrics_file,) = (root / "out" / "metrics").glob("*.json")
    yield World(root, warehouse, result, json.loads(metrics_file.read_text()))


@pytest.fixture
def at_80(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's console is 80 columns wide, as a small terminal."""
    monkeypatch.setattr(cli_common.out, "_width", 80)


def _whole_on_a_line(text: str, ids: set[str]) -> None:
    """Each id appears whole on some line; no line is wider than 80 columns."""
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    missing = {i for i in ids if not any(i in line for line in lines)}
    assert not missing, f"cut or wrapped: {sorted(missing)[:5]}"


def _cells(text: str, column: int) -> list[str]:
    """The text of one column in the body rows of the tables in ``text``."""
    return [
        line.split("│")[column + 1].strip()
        for line in text.splitlines()
        if line.startswith("│") and line.count("│") > column + 1
    ]


# --- the renderer ---------------------------------------------------------------------------


def _render(rows: list[dict[str, Any]], columns: list[str], **kw: Any) -> str:
    console = Console(width=80, record=True, file=io.StringIO())
    print_table(rows, columns, "Title", console=console, **kw)
    return console.export_text()


def test_ids_stay_whole_text_folds_and_numbers_align_right() -> None:
    long_id = "PCN-" + "7" * 30
    hash_id = "0123456789abcdef" * 2
    fix = "Appeal with clinical documentation and send a corrected claim " * 2
    rows = [
        {"patient_control_number": long_id, "claim_id": hash_id, "amount": 1234.5,
         "recommended_fix": fix},
        {"patient_control_number": "A1", "claim_id": hash_id[::-1], "amount": 7,
         "recommended_fix": "Call the payer"},
    ]  # fmt: skip
    text = _render(rows, list(rows[0]), cents=True)
    _whole_on_a_line(text, {long_id, hash_id, hash_id[::-1]})
    assert "patient_control_number" not in text and "recommended_fix" not in text  # labels
    # money of one claim with cents, right-aligned: its cell ends at the column's right edge
    amounts = [line for line in text.splitlines() if "$1,234.50" in line or "$7.00" in line]
    assert len(amounts) == 2
    assert amounts[0].index("$1,234.50") + len("$1,234.50") == amounts[1].index("$7.00") + len(
        "$7.00"
    )
    assert "Appeal with clinical" in text and fix.strip() not in text  # folded over lines


def test_too_many_columns_split_into_tables_that_repeat_the_key() -> None:
    row = {"payer_id": "PAYER-000123", "provider": "1234567893"} | {
        f"measure_{i}_amount": 1_000_000 + i for i in range(12)
    }
    text = _render([row], list(row))
    _whole_on_a_line(text, {"PAYER-000123", "1234567893", "$1,000,011"})
    assert text.count("PAYER-000123") > 1  # the key is on every part
    assert "--wide" in text and "--format csv" in text
    wide = Console(width=80, record=True, file=io.StringIO())
    print_table([row], list(row), "Title", console=wide, wide=True)
    lines = wide.export_text().splitlines()
    assert sum("PAYER-000123" in line for line in lines) == 1  # one table, however wide
    assert max(len(line) for line in lines) > 80


def test_csv_has_the_column_names_and_the_values_as_stored() -> None:
    rows = [{"week": dt.datetime(2025, 3, 10), "paid": 1234.5, "sources": ["a", "b"], "x": None}]
    buffer = io.StringIO()
    print_table(rows, list(rows[0]), "t", fmt=TableFormat.csv, console=Console(file=buffer))
    assert list(csv.reader(io.StringIO(buffer.getvalue()))) == [
        ["week", "paid", "sources", "x"],
        ["2025-03-10", "1234.5", "a;b", ""],
    ]


@pytest.mark.parametrize("wide", [False, True])
def test_a_long_table_is_drawn_as_rich_draws_a_short_one(
    monkeypatch: pytest.MonkeyPatch, wide: bool
) -> None:
    rows = [
        {"payer_id": f"PAYER-{i:04d}", "provider": f"{1234567890 + i}", "claims": i * 1001,
         "paid_amount": i * 12.5 if i % 7 else None, "week": dt.datetime(2025, 3, 10),
         "initial_denial_rate": i / 97, "description": "Claim/service lacks information or has"
         " submission/billing error(s). " * (i % 3) + "x" * (i % 40)}
        for i in range(60)
    ]  # fmt: skip
    columns = [*rows[0], "category"]
    drawn = {}
    for limit in (10**6, 0):  # every table by Rich, then every table by the fast path
        monkeypatch.setattr(cli_tables, "_RICH_ROWS", limit)
        for n in (60, 0):
            drawn[limit, n] = _render(rows[:n], columns, wide=wide)
    assert drawn[10**6, 60] == drawn[0, 60]
    assert drawn[10**6, 0] == drawn[0, 0]


# --- worklist -------------------------------------------------------------------------------


def _open_worklist(world: World) -> dict[str, float]:
    """Claim number → largest amount of its open exceptions, read from the log directly."""
    log = world.query(
        "SELECT claim_id, patient_control_number, amount, logged_at FROM rejection_log"
    )
    resubmitted = world.query("SELECT claim_id, created_at FROM resubmissions")
    latest: dict[str, tuple[Any, ...]] = {}
    for row in log:
        if any(c == row[0] and t > row[3] for c, t in resubmitted):
            continue
        if row[0] not in latest or row[3] > latest[row[0]][3]:
            latest[row[0]] = row
    largest: dict[str, float] = {}
    for _, pcn, amount, _ in latest.values():
        largest[pcn] = max(largest.get(pcn, -1.0), float(amount or 0))
    return largest


def test_worklist_lists_each_claim_once_top_n_of_all_open(world: World, at_80: None) -> None:
    expected = _open_worklist(world)
    assert len(expected) > 5
    result = world.cli("worklist", "--limit", "5")
    assert result.exit_code == 0, result.stderr
    assert f"top 5 of {len(expected):,} open" in result.stdout
    top = sorted(expected.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    _whole_on_a_line(result.stdout, {pcn for pcn, _ in top})
    pcns = [c for c in _cells(result.stdout, 0) if c]
    assert pcns == [pcn for pcn, _ in top]  # one row each, largest first
    for pcn, amount in top:
        line = next(line for line in result.stdout.splitlines() if pcn in line)
        assert f"${amount:,.2f}" in line


def test_worklist_json_names_the_claim_number_and_the_sources(world: World) -> None:
    listed = world.cli("worklist", "--limit", "1000", "--json").json()
    expected = _open_worklist(world)
    assert sorted(r["patient_control_number"] for r in listed) == sorted(expected)
    logged = world.query(
        "SELECT patient_control_number, list(DISTINCT source_system ORDER BY source_system),"
        " list(DISTINCT claim_id) FROM rejection_log GROUP BY 1"
    )
    sources = {pcn: s for pcn, s, _ in logged}
    keys = {pcn: set(k) for pcn, _, k in logged}
    several = [r for r in listed if len(r["sources"]) > 1]
    assert several  # a claim logged from its EMR row and its 837 is one row
    for r in listed:
        assert set(r["sources"]) <= set(sources[r["patient_control_number"]])
        assert set(r["claim_ids"]) <= keys[r["patient_control_number"]]
        assert all(len(k) == 32 for k in r["claim_ids"])  # claim_id: the internal key
        assert "claim_id" not in r


def test_worklist_csv_gives_every_column(world: World) -> None:
    result = world.cli("worklist", "--limit", "3", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 3
    assert {"patient_control_number", "sources", "claim_ids", "reason"} <= set(rows[0])


# --- alerts ---------------------------------------------------------------------------------


def test_alerts_limit_says_top_n_of_all_and_keeps_ids_whole(world: World, at_80: None) -> None:
    open_alerts = world.query(
        "SELECT patient_control_number, payer_id FROM sla_alerts WHERE resolved_at IS NULL"
        " ORDER BY due_at, patient_control_number"
    )
    assert len(open_alerts) > 3
    result = world.cli("alerts", "--limit", "3")
    assert result.exit_code == 0, result.stderr
    assert f"top 3 of {len(open_alerts):,} open" in result.stdout
    _whole_on_a_line(
        result.stdout, {p for p, _ in open_alerts[:3]} | {y for _, y in open_alerts[:3]}
    )
    assert len(world.cli("alerts", "--limit", "3", "--json").json()) == 3


# --- report ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["payer_scorecard", "denials_by_carc", "daily_by_payer_provider_source"]
)
def test_reports_keep_payer_ids_npis_and_codes_whole(world: World, at_80: None, name: str) -> None:
    ((first,),) = world.query("SELECT min(submission_date) FROM claims_header")
    window = [first, first + dt.timedelta(days=6)]
    result = world.cli("report", name, "--from", str(window[0]), "--to", str(window[1]))
    assert result.exit_code == 0, result.stderr
    if name == "denials_by_carc":  # denial reasons (not contractual adjustments) of the window
        ids = {f"{g}-{c}" for g, c in world.query(
            "SELECT DISTINCT j.group_code, j.reason_code FROM adjustments AS j"
            " JOIN adjudication AS a USING (adjudication_id)"
            " JOIN claims_header AS h ON h.claim_id = a.claim_id"
            " WHERE h.submission_date BETWEEN ? AND ? AND j.reason_code IN ('27', '29', '50', '197')",
            window,
        )}  # fmt: skip
    else:
        pairs = world.query(
            "SELECT DISTINCT payer_id, billing_npi FROM claims_header"
            " WHERE submission_date BETWEEN ? AND ? AND segment_index IS NOT NULL",
            window,
        )
        ids = {p for p, _ in pairs} | (
            {n for _, n in pairs} if name == "daily_by_payer_provider_source" else set()
        )
    assert ids
    _whole_on_a_line(result.stdout, ids)
    assert "00:00:00" not in result.stdout


def test_report_list_names_every_report_with_a_line(world: World) -> None:
    from claimflow.marts.reports import REPORTS

    result = cli("report", "--list", "--format", "csv")
    listed = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["report"] for r in listed] == list(REPORTS)
    assert all(len(r["description"]) > 20 for r in listed)


def test_a_misspelt_report_or_filter_says_so_and_suggests(world: World) -> None:
    wrong = world.cli("report", "denial_by_carc")
    assert wrong.exit_code == 2
    assert "did you mean 'denials_by_carc'" in wrong.stderr and "Traceback" not in wrong.stderr
    (source,) = world.query("SELECT min(source_system) FROM claims_header")[0]
    typo = source[:-1] + ("x" if source[-1] != "x" else "y")
    bad = world.cli("report", "denials_by_category", "--source", typo)
    assert bad.exit_code == 2
    assert f"--source {typo!r} matches no claim" in bad.stderr
    assert repr(source) in bad.stderr
    payers = [p for (p,) in world.query("SELECT DISTINCT payer_id FROM claims_header")]
    nowhere = world.cli("report", "denials_by_category", "--payer", "ZZZZZZZZZZZZ")
    assert nowhere.exit_code == 2 and "matches no claim" in nowhere.stderr
    if len(payers) <= 12:
        assert all(p in nowhere.stderr for p in payers)


# --- the run summary ------------------------------------------------------------------------


def _decisions(text: str) -> list[tuple[int, str, int]]:
    """(depth, label, count) of each row of the summary's decision table."""
    body = text[text.index("Resubmission decisions") :]
    rows = []
    for line in body.splitlines():
        cells = line.split("│")
        if len(cells) == 4 and cells[2].strip().replace(",", "").isdigit():
            label = cells[1].rstrip()
            text_start = re.search(r"[A-Za-z0-9]", label)
            assert text_start is not None
            depth = (text_start.start() - 1) // 2
            rows.append((depth, label.strip(" ├└"), int(cells[2].strip().replace(",", ""))))
    return rows


def test_the_run_summary_names_each_population_and_nests_what_adds_up(world: World) -> None:
    text = world.summary.stdout
    _whole_on_a_line(text, {f["source"] for f in world.metrics["files"]})
    rows = _decisions(text)
    labels = [label for _, label, _ in rows]
    emr, denied = world.query(
        "SELECT count(*), count(*) FILTER (WHERE claim_status = 'denied') FROM claims_header"
        " WHERE segment_index IS NULL AND claim_status IS NOT NULL"
    )[0]
    counts = {label: n for _, label, n in rows}
    assert counts["EMR claims (with a status)"] == emr
    assert counts["not denied"] == emr - denied
    assert counts["denied (EMR status)"] == denied
    # every line's children add up to it: not_denied is beside denied, not under it
    for i, (depth, label, n) in enumerate(rows):
        children = []
        for d, _, m in rows[i + 1 :]:
            if d <= depth:
                break
            if d == depth + 1:
                children.append(m)
        if children:
            assert sum(children) == n, label
    assert any(label.startswith("837 claims denied (835) or rejected") for label in labels)
    x = world.metrics["x12_resubmissions"]
    assert counts[next(k for k in counts if k.startswith("837 claims"))] == x["denied_or_rejected"]
    assert (
        counts["Rejection log: lines appended this run"] == world.metrics["rejection_log_appended"]
    )


# --- the command line's conveniences --------------------------------------------------------


def test_version_option_and_command_print_the_installed_version() -> None:
    assert cli("--version").stdout.strip() == version("claimflow")
    assert cli("version").stdout.strip() == version("claimflow")


def test_verbose_is_accepted_after_the_command(world: World) -> None:
    assert world.cli("worklist", "-n", "1", "-v").exit_code == 0
    proc = subprocess.run(
        [sys.executable, "-m", "claimflow", "alerts", "--warehouse", str(world.warehouse),
         "--verbose", "--limit", "1"],
        capture_output=True, text=True, check=False, cwd=REPO,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "no such option" not in proc.stderr


def test_an_empty_worklist_says_none_is_open(workspace: Workspace) -> None:
    workspace.put("a.csv", HEADER_ALPHA + "C1,P1,99213,,2025-07-01,approved\n")
    workspace.write_config([workspace.alpha_source()])
    assert workspace.run().exit_code == 0
    result = cli("worklist", "--warehouse", str(workspace.warehouse))
    assert result.exit_code == 0, result.stderr
    assert "Worklist: none open" in result.stdout and "no rows" in result.stdout


def test_a_report_without_dates_covers_the_data_to_its_latest_date(world: World) -> None:
    ((first, latest),) = world.query(
        "SELECT min(submission_date), greatest(max(submission_date),"
        " (SELECT max(payment_date) FROM payments)) FROM claims_header"
    )
    default = world.cli("report", "payer_scorecard", "--json").json()
    explicit = world.cli(
        "report", "payer_scorecard", "--json", "--from", str(first), "--to", str(latest)
    ).json()
    assert default == explicit and default
    titled = world.cli("report", "payer_scorecard", "--wide")
    assert f"(submitted {first} to {latest})" in titled.stdout
