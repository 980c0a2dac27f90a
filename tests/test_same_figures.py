"""The same figure on every surface: for the same warehouse and filters, ``claimflow kpi
--json``, the API's ``GET /kpi`` (a real server on loopback) and the dashboard's data functions
give every KPI — the as-of figures (A/R, its aging, days in A/R) and their as-of date included —
equal, by default and with filters; and the default is the warehouse's latest submission or 835
payment date, worked out here from plain SQL."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from claimflow.api.app import ApiSettings
from claimflow.config import load_settings
from claimflow.dashboard import data
from claimflow.dashboard.filters import Filters, choices
from claimflow.dashboard.pages.overview import label
from claimflow.marts.kpis import compute_kpis, kpis_json
from claimflow.pipeline import run
from claimflow.synth import generate_world
from tests.api.conftest import Served, serve
from tests.conftest import cli

AS_OF_FIGURES = ("as_of", "ar_total", "ar_aging", "days_in_ar")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("same_figures")
    summary = generate_world(
        root / "inbox", claims=200, seed=5, start=dt.date(2025, 1, 1), months=3, workers=1
    )
    run(
        load_settings(summary.config),
        warehouse=root / "claimflow.duckdb",
        out_dir=root / "out",
        reference_date=dt.date(2025, 5, 15),
    )
    return root / "claimflow.duckdb"


@pytest.fixture(scope="module")
def api(warehouse: Path) -> Iterator[Served]:
    with serve(ApiSettings(warehouse=warehouse)) as served:
        yield served


def _sql(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _latest(warehouse: Path) -> tuple[dt.date, dt.date]:
    """The first submission date and the latest submission or 835 payment date."""
    [(first, last_claim)] = _sql(
        warehouse, "SELECT min(submission_date), max(submission_date) FROM claims_header"
    )
    [(last_paid,)] = _sql(warehouse, "SELECT max(payment_date) FROM payments")
    return first, max(last_claim, last_paid)


def _dashboard(warehouse: Path, **chosen: Any) -> tuple[dict[str, Any], dt.date]:
    """The KPIs the dashboard's Overview shows for the sidebar's default window (and the
    filters ``chosen``), as JSON; and the end of that window."""
    conn, version = data.reading(str(warehouse))
    try:
        low, high, *_ = choices(conn, str(warehouse), version)
        filters = Filters(
            chosen.get("start", low),
            chosen.get("end", high),
            chosen.get("payer"),
            narrowed=bool(chosen),
        )
        view = data.open_view(conn, str(warehouse), version, filters)
        values: dict[str, Any] = json.loads(kpis_json(data.kpis(view)))
        return values, filters.end
    finally:
        conn.close()


def _cli(warehouse: Path, *args: str) -> dict[str, Any]:
    result = cli("kpi", "--warehouse", str(warehouse), *args, "--json")
    assert result.exit_code == 0, result.stderr
    found: dict[str, Any] = result.json()
    return found


def test_the_default_figures_are_equal_on_every_surface(warehouse: Path, api: Served) -> None:
    first, latest = _latest(warehouse)
    assert latest > dt.date(2025, 3, 31)  # the 835s run on after the last submission
    from_cli = _cli(warehouse)
    response = api.get("/kpi")
    assert response.status_code == 200
    from_api = response.json()
    from_dashboard, end = _dashboard(warehouse)
    assert end == latest
    assert from_cli["as_of"] == latest.isoformat()
    assert from_cli["window"] == {"from": first.isoformat(), "to": latest.isoformat()}
    for key in AS_OF_FIGURES:
        assert from_cli[key] == from_api[key] == from_dashboard[key], key
    assert from_cli == from_api == from_dashboard
    assert from_cli["claims_submitted"] > 0 and float(from_cli["ar_total"]) > 0
    # the dashboard labels the as-of figures with the same day the CLI and the API give
    assert label("ar_total", end) == f"A/R as of {from_cli['as_of']}"
    # and the stored default view is what a live computation gives
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        live = json.loads(kpis_json(compute_kpis(conn, start=first, end=latest)))
    finally:
        conn.close()
    assert live.keys() == from_cli.keys()
    for key, value in live.items():
        if isinstance(value, float):
            assert from_cli[key] == pytest.approx(value, rel=1e-12), key
        else:
            assert from_cli[key] == value, key


def test_the_figures_of_a_filter_are_equal_on_every_surface(warehouse: Path, api: Served) -> None:
    [(payer,)] = _sql(
        warehouse,
        "SELECT payer_id FROM claims_header WHERE payer_id IS NOT NULL"
        " GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
    )
    start, end = dt.date(2025, 1, 20), dt.date(2025, 3, 10)
    window = {"from": start.isoformat(), "to": end.isoformat()}
    from_cli = _cli(warehouse, "--from", window["from"], "--to", window["to"], "--payer", payer)
    from_api = api.get("/kpi", **window, payer=payer).json()
    from_dashboard, _ = _dashboard(warehouse, start=start, end=end, payer=payer)
    assert from_cli["as_of"] == end.isoformat()
    for key in AS_OF_FIGURES:
        assert from_cli[key] == from_api[key] == from_dashboard[key], key
    assert from_cli == from_api == from_dashboard
    everyone = _cli(warehouse, "--from", window["from"], "--to", window["to"])
    assert 0 < from_cli["claims_submitted"] < everyone["claims_submitted"]


def test_an_as_of_date_in_the_past_is_equal_on_every_surface(warehouse: Path, api: Served) -> None:
    # only the end of the window moved: A/R as of an earlier day, every claim submitted by then
    first, _ = _latest(warehouse)
    end = dt.date(2025, 2, 28)
    from_cli = _cli(warehouse, "--to", end.isoformat())
    from_api = api.get("/kpi", to=end.isoformat()).json()
    from_dashboard, _ = _dashboard(warehouse, start=first, end=end)
    assert from_cli["window"] == {"from": first.isoformat(), "to": end.isoformat()}
    assert from_cli == from_api == from_dashboard
    assert from_cli["ar_total"] != _cli(warehouse)["ar_total"]
