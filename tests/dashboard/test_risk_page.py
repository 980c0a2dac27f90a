"""The Risk page as ``claimflow dashboard`` serves it, in a real headless Chromium, on the
session's denial-risk world (tests/risk_world.py: a generated revenue cycle, a model trained and
promoted with the real commands, a second run that scored the open claims): the page shows the
champion's scores of the open claims as the warehouse holds them (worked out here with plain
SQL, not the dashboard's), the sidebar filters and the band change them, a row of risk by payer
leads to its claims and their export; on the session's small world, which has no champion, the
page says how to get one."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from playwright.sync_api import Page, sync_playwright
from streamlit.testing.v1 import AppTest

from claimflow.dashboard.serve import SCRIPT
from tests.cli_world import build_world
from tests.dashboard.test_dashboard import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DONE,
    _chart_labels,
    _choose,
    _headers,
)
from tests.dashboard.test_dashboard import serve_dashboard as _serve
from tests.risk_world import RiskWorld, build_risk_world, copy_world


@pytest.fixture(scope="module")
def risk_world(tmp_path_factory: pytest.TempPathFactory) -> RiskWorld:
    return build_risk_world(tmp_path_factory)


@pytest.fixture(scope="module")
def served(risk_world: RiskWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _serve(risk_world.warehouse, tmp_path_factory.mktemp("home")) as url:
        yield url


OPEN_SCORES = """
    -- the champion's scores of the claims without an outcome: the run scores those (no 835, no
    -- 999 or 277CA rejection) and no 835 has come since for any of them
    SELECT s.*, h.patient_control_number, h.payer_id, h.billing_npi, h.member_id
    FROM risk_scores AS s
    JOIN claims_header AS h ON h.claim_id = s.claim_id
    WHERE s.model_version = (SELECT model_version FROM risk_models WHERE status = 'champion')
      AND s.run_id = (SELECT max(run_id) FROM runs)
      AND s.claim_id NOT IN (SELECT claim_id FROM adjudication WHERE claim_id IS NOT NULL)"""


FIRST_COLUMNS = [
    "Claim number (PCN)", "Payer", "Payer ID", "Billing provider (NPI)", "Denial risk",
    "Risk band", "Likely denial category", "Top factor",
]  # fmt: skip
"""The list's first columns: the claim by its number, the payer by name beside its id."""


def _open(page: Page, url: str) -> str:
    page.goto(f"{url}/risk")
    page.get_by_role("heading", name="Risk").first.wait_for(timeout=60000)
    page.wait_for_function(DONE, timeout=60000)
    page.wait_for_timeout(500)
    text = page.inner_text("body")
    assert "Traceback" not in text and "Page not found" not in text
    assert page.locator("[data-testid='stException']").count() == 0
    return text


def _cells(page: Page, table: int, rows: int) -> list[list[str]]:
    """The first ``rows`` rows of the page's ``table``-th table, as its grid shows them."""
    grid = page.get_by_test_id("stDataFrame").nth(table)
    grid.scroll_into_view_if_needed()
    found = grid.locator("tbody [role=row]")
    found.first.wait_for(state="attached", timeout=10000)
    return [
        [c.strip() for c in found.nth(i).locator("[role=gridcell]").all_inner_texts()]
        for i in range(min(rows, found.count()))
    ]


def test_the_risk_page_shows_the_champions_scores_of_the_open_claims(
    risk_world: RiskWorld, served: str, tmp_path: Path
) -> None:
    url = served
    scored: list[dict[str, Any]] = [
        dict(zip(("claim_id", "probability", "risk_band", "factors", "pcn", "payer", "member"), r,
                 strict=True))
        for r in risk_world.query(
            f"SELECT claim_id, probability, risk_band, factors, patient_control_number, payer_id,"
            f" member_id FROM ({OPEN_SCORES}) ORDER BY probability DESC, patient_control_number"
        )
    ]  # fmt: skip
    assert len(scored) > 100  # the world has claims waiting for their 835
    top = scored[0]
    first_factor = json.loads(top["factors"])[0]["words"]
    by_payer = risk_world.query(
        f"SELECT payer_id, count(*), avg(probability), count(*) FILTER (WHERE risk_band = 'high')"
        f" FROM ({OPEN_SCORES}) GROUP BY 1 ORDER BY 3 DESC, 1"
    )
    high = sum(1 for s in scored if s["risk_band"] == "high")
    (payer_name,) = risk_world.query(
        "SELECT max(payer_name) FROM claims_header WHERE payer_id = ?", [by_payer[0][0]]
    )[0]
    shots = [tmp_path]
    if os.environ.get("CLAIMFLOW_SCREENSHOTS"):
        shots.append(Path(os.environ["CLAIMFLOW_SCREENSHOTS"]))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        text = _open(page, url)
        for folder in shots:
            folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(folder / "risk.png"), full_page=True)
        # the tiles: the open claims scored, their mean risk, the high band, the champion
        assert f"Claims at risk\n\n{len(scored):,}" in text
        assert f"High-risk claims\n\n{high:,}" in text
        mean = sum(s["probability"] for s in scored) / len(scored)
        assert f"Mean denial risk\n\n{mean * 100:.1f}%" in text
        assert f"Scored by the champion model {risk_world.version}" in text
        # the riskiest claim first: its claim number, risk, band and first factor in words
        headers = _headers(page.get_by_test_id("stDataFrame").first)
        assert headers[: len(FIRST_COLUMNS)] == FIRST_COLUMNS, headers  # those in view
        first = _cells(page, 0, 1)[0]
        # (the grid's text for screen readers: the value as rounded for the browser's 85.3%)
        assert first[0] == top["pcn"] and float(first[4]) == round(top["probability"], 3), first
        assert first[5] == top["risk_band"].capitalize() and first[7] == first_factor, first
        # risk by payer: claims, mean risk, high-risk claims of each payer, riskiest first
        tables = page.get_by_test_id("stDataFrame")
        payer_table = next(
            i for i in range(tables.count()) if _headers(tables.nth(i))[:3] == [
                "Payer", "Payer ID", "Claims"]
        )  # fmt: skip
        shown = _cells(page, payer_table, len(by_payer))
        assert [(r[1], int(r[2]), float(r[3]), int(r[4])) for r in shown] == [
            (p, n, round(mean, 3), h) for p, n, mean, h in by_payer
        ], shown
        charts = [_chart_labels(c) for c in page.get_by_test_id("stPlotlyChart").all()]
        assert len(charts) >= 3  # by payer, by provider, calibration
        for chart in charts:
            assert chart["title"] and chart["x"] and chart["y"], chart
            words = [*chart["title"], *chart["x"], *chart["y"], *chart["legend"], *chart["ticks"]]
            assert not [w for w in words if "_" in w], chart
        assert f"{payer_name} ({by_payer[0][0]})" in charts[0]["ticks"]
        for i in range(tables.count()):  # headers in words
            assert not [h for h in _headers(tables.nth(i)) if "_" in h or not h]
        # the model's health: its test figures and the drift, or plainly none yet
        (metrics,) = risk_world.query("SELECT metrics FROM risk_models WHERE status = 'champion'")[
            0
        ]
        auc = json.loads(metrics)["auc"]
        assert f"AUC\n\n{auc:.3f}" in text
        monitored = risk_world.query("SELECT count(*) FROM risk_monitoring")[0][0]
        if monitored:
            assert f"The latest monitoring of {risk_world.version}" in page.inner_text("body")
        else:
            assert f"No drift monitoring of {risk_world.version} yet" in text
        # no patient identifier on the page
        assert top["member"] and top["member"] not in page.inner_text("body")

        # the rows behind a row of risk by payer: its claims, and all of them in the export
        payer, claims = by_payer[0][0], by_payer[0][1]
        option = f"{payer_name} ({payer}) · {claims:,}"
        caption = _choose(page, "Rows behind a row of this table", option)
        assert f"Rows behind {option}: {claims:,} rows" in caption, caption
        with page.expect_download(timeout=60000) as download:
            page.locator(".st-key-csv_risk_payer_0 button").click()
        exported = Path(download.value.path()).read_text("utf-8").splitlines()
        assert len(exported) == claims + 1 and exported[0].startswith("patient_control_number,")
        # the rows behind a figure: the high band
        caption = _choose(page, "Rows behind a figure", "High risk")
        assert f"Rows behind High risk: {high:,} row" in caption, caption

        # the sidebar's payer filter: only that payer's claims
        box = (
            page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="Payer")
        )
        box.first.click()
        page.get_by_role("option", name=f"{payer_name} ({payer})", exact=True).click()
        page.wait_for_timeout(500)
        page.wait_for_function(DONE, timeout=60000)
        text = page.inner_text("body")
        assert f"Claims at risk\n\n{claims:,}" in text
        assert f"High-risk claims\n\n{by_payer[0][3]:,}" in text
        # and the band: the payer's low- and medium-risk claims only
        page.get_by_test_id("stMultiSelect").get_by_role("button", name="Remove High").click()
        page.wait_for_timeout(500)
        page.wait_for_function(DONE, timeout=60000)
        text = page.inner_text("body")
        below = sum(1 for s in scored if s["payer"] == payer and s["risk_band"] != "high")
        assert f"Claims at risk\n\n{below:,}" in text and "High-risk claims\n\n0" in text
        browser.close()


def test_without_a_champion_the_page_says_how_to_get_one(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    world = build_world(tmp_path_factory)
    assert world.query("SELECT count(*) FROM risk_models WHERE status = 'champion'") == [(0,)]
    with (
        _serve(world.warehouse, tmp_path_factory.mktemp("home")) as url,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        text = _open(page, url)
        assert "No champion model yet" in text
        assert "claimflow risk train" in text and "claimflow risk promote VERSION" in text
        browser.close()


def test_the_latest_drift_of_the_champion_is_shown_with_its_alerts_first(
    risk_world: RiskWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two monitorings of the champion in a copy of the world (rows as the run records them):
    the page shows the latest, its alert first and named above the chart."""
    warehouse = copy_world(risk_world, tmp_path)
    conn = duckdb.connect(str(warehouse))
    conn.execute("DELETE FROM risk_monitoring")
    row = "(?, ?, ?, ?, ?, DATE '2025-03-25', DATE '2025-04-24', 300, ?, ?, ?, ?)"
    earlier, latest = dt.datetime(2025, 4, 23, 6), dt.datetime(2025, 4, 24, 6)
    version = risk_world.version
    conn.executemany(
        f"INSERT INTO risk_monitoring VALUES {row}",
        [
            ("r1", version, earlier, "psi", "probability", 0.02, None, 0.25, False),
            ("r2", version, latest, "psi", "payer_id", 0.04, None, 0.25, False),
            ("r2", version, latest, "psi", "probability", 0.31, None, 0.25, True),
            ("r2", version, latest, "auc", "outcomes", 0.66, 0.69, 0.62, False),
            ("r2", version, latest, "denial_rate_gap", "77003", 0.05, 0.02, 0.2, False),
        ],
    )
    conn.close()
    monkeypatch.setenv("CLAIMFLOW_WAREHOUSE", str(warehouse))  # no snapshot: the file itself
    monkeypatch.setenv("CLAIMFLOW_ROLE", "analyst")
    at = AppTest.from_file(str(SCRIPT), default_timeout=180)
    at.query_params["page"] = "Risk"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == ["1 alert: PSI of Denial risk: 0.310 (threshold 0.250)"]
    drift = next(d.value for d in at.dataframe if "subject" in d.value.columns)
    assert list(drift["run_id"]) == ["r2"] * 4
    # features by their label, a payer's gap by the payer's name and id
    assert list(zip(drift["metric"], drift["subject"], drift["alert"], strict=True)) == [
        ("PSI", "Denial risk", True),
        ("AUC", "Outcomes", False),
        ("Denial rate gap", "STATE MEDICAID PLAN (77003)", False),
        ("PSI", "Payer ID", False),
    ]
