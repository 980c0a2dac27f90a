"""The dashboard in a real headless Chromium: every page loads, shows the warehouse's numbers,
and never a traceback. Screenshots go to the test's temporary folder (and, with
CLAIMFLOW_SCREENSHOTS=DIR, to DIR: that is how docs/screenshots is refreshed)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from claimflow.dashboard import PAGES
from tests.conftest import REPO, Workspace
from tests.resubmit.test_x12_resubmission import _submit_837

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync", "--disable-quic",
]  # fmt: skip


DONE = """document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState === 'notRunning'
    && !document.querySelector('[data-testid="stSkeleton"]')
    && Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]'))
         .every(chart => chart.querySelector('.main-svg'))"""
# the page is done: its script has run to the end (the heading shows it started), no element is
# still loading (Streamlit shows a skeleton while a chart's or a table's code loads) and every
# chart is drawn


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    ws = Workspace(tmp_path_factory.mktemp("dash"))
    _submit_837(ws)
    for name in ("emr_alpha.csv", "emr_beta.json"):
        shutil.copy(REPO / "examples" / "seed" / name, ws.inbox)
    from tests.conftest import ALPHA_COLUMNS, BETA_COLUMNS

    ws.write_config([
        {"name": "ch", "source_system": "ch", "format": "x12", "pattern": "inbox/*.8*"},
        {"name": "alpha", "source_system": "alpha", "format": "csv", "pattern": "inbox/*.csv", "columns": ALPHA_COLUMNS},
        {"name": "beta", "source_system": "beta", "format": "json", "pattern": "inbox/*.json", "columns": BETA_COLUMNS},
    ])  # fmt: skip
    assert ws.run(reference_date="2025-03-10").exit_code == 0
    port = _free_port()
    env = {**os.environ, "CLAIMFLOW_WAREHOUSE": str(ws.warehouse), "CLAIMFLOW_ROLE": "analyst"}
    app = REPO / "src" / "claimflow" / "dashboard" / "app.py"
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("the dashboard did not start within 90 s")
    yield url, ws.warehouse
    proc.terminate()
    proc.wait(timeout=20)
    if proc.stdout:
        proc.stdout.close()


def test_every_page_renders_the_warehouse_numbers(served: tuple[str, Path], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    url, warehouse = served
    conn = duckdb.connect(str(warehouse), read_only=True)
    claims = conn.execute("SELECT count(*) FROM claims_header").fetchone()
    # the daily mart's groups: one claim once (an EMR row whose claim went out as an 837 is the 837)
    groups = conn.execute(
        "SELECT count(DISTINCT (submission_date, payer_id, billing_npi, source_system))"
        " FROM claims_header WHERE segment_index IS NOT NULL OR patient_control_number NOT IN"
        " (SELECT patient_control_number FROM claims_header WHERE segment_index IS NOT NULL)"
    ).fetchone()
    resubmitted = conn.execute("SELECT count(*) FROM resubmissions").fetchone()
    exceptions = conn.execute("SELECT count(*) FROM rejection_log").fetchone()
    (run_id,) = conn.execute("SELECT run_id FROM runs").fetchone() or ("",)
    conn.close()
    shots = [tmp_path]
    if os.environ.get("CLAIMFLOW_SCREENSHOTS"):
        shots.append(Path(os.environ["CLAIMFLOW_SCREENSHOTS"]))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        texts = {}
        for name in PAGES:
            page.goto(f"{url}/?page={name.replace(' ', '+')}")
            page.get_by_role("heading", name=name, exact=False).first.wait_for(timeout=60000)
            page.wait_for_function(DONE, timeout=60000)
            page.wait_for_timeout(500)
            text = page.inner_text("body")
            assert "Traceback" not in text, name
            assert page.locator("[data-testid='stException']").count() == 0, name
            texts[name] = text
            for folder in shots:
                folder.mkdir(parents=True, exist_ok=True)
                page.screenshot(
                    path=str(folder / f"{name.lower().replace(' ', '_')}.png"), full_page=True
                )
        browser.close()
    assert claims and f"Claims submitted\n\n{claims[0]}" in texts["Overview"]
    assert exceptions and f"Exceptions for a person\n\n{exceptions[0]}" in texts["Rejection log"]
    assert "coding" in texts["Denials"]  # the 835's CO-4 denial
    assert run_id in texts["Runs"]
    assert groups and f"{groups[0]:,} day × payer × provider × source rows" in texts["Overview"]
    assert "Final denial write-offs" in texts["Overview"]
    assert resubmitted and f"of {resubmitted[0]:,}" in texts["Worklist"]
    assert "Resubmission success rate" in texts["Worklist"]
    assert "Back-test on past weeks" in texts["Cash forecast"]
    # patient ids are masked for an analyst
    assert "P001" not in "".join(texts.values())


def _choose(page: Page, box: str, option: str) -> str:
    """Choose ``option`` in the selectbox labelled ``box``; the caption of the rows shown.

    The page is let finish first (a rerun that lands while the list is open closes it), and the
    list is opened again if it closed before the option showed, as a user would."""
    page.wait_for_function(DONE, timeout=60000)
    choice = page.get_by_role("option", name=option, exact=True)
    for attempt in range(5):
        page.get_by_test_id("stSelectbox").filter(has_text=box).first.click()
        try:
            choice.wait_for(state="visible", timeout=10000)
        except PlaywrightTimeout:
            if attempt == 4:
                raise
            page.keyboard.press("Escape")
            page.wait_for_function(DONE, timeout=60000)
            continue
        choice.click()
        break
    caption = page.get_by_text(f"Rows behind {option}: ", exact=False).first
    caption.wait_for(timeout=60000)
    page.wait_for_function(DONE, timeout=60000)
    return caption.inner_text()


def test_a_figure_and_a_row_of_a_table_open_the_rows_behind_them(
    served: tuple[str, Path], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    url, warehouse = served
    conn = duckdb.connect(str(warehouse), read_only=True)
    # written here, not by the dashboard's SQL: the claims once each (an EMR row whose claim went
    # out as an 837 is the 837), and the 835 adjustments of the coding CARCs
    claims = conn.execute(
        "SELECT count(*) FROM claims_header WHERE segment_index IS NOT NULL OR"
        " patient_control_number NOT IN"
        " (SELECT patient_control_number FROM claims_header WHERE segment_index IS NOT NULL)"
    ).fetchone()
    coding = conn.execute(
        "SELECT count(*) FROM adjustments j JOIN ref_carc_category r ON r.carc = j.reason_code"
        " JOIN adjudication a ON a.adjudication_id = j.adjudication_id"
        " WHERE r.category = 'coding' AND a.claim_id IS NOT NULL"
    ).fetchone()
    conn.close()
    assert claims and coding and coding[0] > 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/?page=Overview")
        page.get_by_role("heading", name="Overview").first.wait_for(timeout=60000)
        caption = _choose(page, "Rows behind a figure", "Claims submitted")
        assert f"Rows behind Claims submitted: {claims[0]:,} rows" in caption
        # the export has every row (a header, then one line per claim)
        with page.expect_download(timeout=60000) as download:
            page.locator(".st-key-csv_figure button").click()
        exported = Path(download.value.path()).read_text("utf-8").splitlines()
        assert len(exported) == claims[0] + 1 and exported[0].startswith("claim_id,")
        page.screenshot(path=str(tmp_path / "overview_rows_behind.png"))
        page.goto(f"{url}/?page=Denials")
        page.get_by_role("heading", name="Denials").first.wait_for(timeout=60000)
        caption = _choose(page, "Rows behind a row of this table", "coding")
        assert f"Rows behind coding: {coding[0]:,} row" in caption
        text = page.inner_text("body")
        assert "Traceback" not in text and "P001" not in text
        browser.close()
