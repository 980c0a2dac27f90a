"""The dashboard as ``claimflow dashboard`` serves it, in a real headless Chromium: every page
loads at its own URL, shows the warehouse's numbers under human labels, and never a traceback;
no developer tool is offered. Screenshots go to the test's temporary folder (and, with
CLAIMFLOW_SCREENSHOTS=DIR, to DIR: that is how docs/screenshots is refreshed)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from claimflow.dashboard import PAGES
from claimflow.dashboard.pages import REGISTRY, url_path
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


@contextlib.contextmanager
def serve_dashboard(warehouse: Path, home: Path) -> Iterator[str]:
    """``claimflow dashboard`` on ``warehouse`` as a user starts it (served mode, in a process
    group of its own, ``home`` as HOME: no ~/.streamlit of the developer's); its URL."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "claimflow", "dashboard", "--warehouse", str(warehouse),
         "--port", str(port), "--role", "analyst"],
        env={**os.environ, "HOME": str(home)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the dashboard did not start within 90 s")
        yield url
    finally:
        os.kill(proc.pid, signal.SIGTERM)  # claimflow passes it on to Streamlit
        try:
            proc.wait(timeout=30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)


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
    with serve_dashboard(ws.warehouse, ws.root) as url:
        yield url, ws.warehouse


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
    # the worklist: the claim numbers with an exception logged and not resubmitted since
    open_claims = conn.execute(
        "SELECT count(DISTINCT l.patient_control_number) FROM rejection_log AS l"
        " WHERE NOT EXISTS (SELECT 1 FROM resubmissions AS r"
        "                   WHERE r.claim_id = l.claim_id AND r.created_at > l.logged_at)"
    ).fetchone()
    logged = conn.execute("SELECT count(*) FROM rejection_log").fetchone()
    (run_id,) = conn.execute("SELECT run_id FROM runs").fetchone() or ("",)
    # the payers paid (those of the lag chart) with the name their claims carry
    names = conn.execute(
        "SELECT DISTINCT c.payer_id, c.payer_name FROM claims_header AS c"
        " JOIN adjudication AS a ON a.claim_id = c.claim_id WHERE c.payer_name IS NOT NULL"
    ).fetchall()
    conn.close()
    shots = [tmp_path]
    if os.environ.get("CLAIMFLOW_SCREENSHOTS"):
        shots.append(Path(os.environ["CLAIMFLOW_SCREENSHOTS"]))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        texts, headers, charts = {}, {}, {}
        for entry in REGISTRY:  # each page at its own URL
            name = entry.title
            page.goto(f"{url}/{url_path(entry)}")
            page.get_by_role("heading", name=name, exact=False).first.wait_for(timeout=60000)
            page.wait_for_function(DONE, timeout=60000)
            page.wait_for_timeout(500)
            text = page.inner_text("body")
            assert "Traceback" not in text and "Page not found" not in text, name
            assert page.locator("[data-testid='stException']").count() == 0, name
            texts[name] = text
            for folder in shots:
                folder.mkdir(parents=True, exist_ok=True)
                page.screenshot(
                    path=str(folder / f"{name.lower().replace(' ', '_')}.png"), full_page=True
                )
            headers[name] = [_headers(table) for table in page.get_by_test_id("stDataFrame").all()]
            charts[name] = [
                _chart_labels(chart) for chart in page.get_by_test_id("stPlotlyChart").all()
            ]
        browser.close()
    assert claims and f"Claims submitted\n\n{claims[0]}" in texts["Overview"]
    assert open_claims and f"Open exceptions\n\n{open_claims[0]}" in texts["Worklist"]
    assert logged and f"Logged exceptions: {logged[0]:,} row" in texts["Worklist"]
    assert "Coding" in texts["Denials"]  # the 835's CO-4 denial, its category in words
    assert run_id in texts["Runs"]
    assert groups and f"{groups[0]:,} day × payer × provider × source rows" in texts["Overview"]
    assert "Final denial write-offs" in texts["Overview"]
    assert resubmitted and f"of {resubmitted[0]:,}" in texts["Resubmissions"]
    assert "Resubmission success rate" in texts["Resubmissions"]
    assert "Back-test on past weeks" in texts["Cash forecast"]
    # patient ids are masked for an analyst
    assert "P001" not in "".join(texts.values())
    # every table has headers in words: no column name (snake_case), no index column (an
    # index shows as a first header with no text)
    assert set(headers) == set(PAGES) and all(headers.values())  # a table on every page
    for name, tables in headers.items():
        for columns in tables:
            assert columns and "" not in columns, (name, columns)
            assert not [c for c in columns if "_" in c or c != c.strip()], (name, columns)
            # a payer by its name, its id beside
            if "Payer ID" in columns:
                assert columns[columns.index("Payer ID") - 1] == "Payer", (name, columns)
    # every chart has a title and both axes a title, none of them (nor a legend's or a tick's
    # text) a column name or a raw identifier
    assert {n for n, found in charts.items() if found} >= {"Overview", "Denials", "Payers"}
    for name, found in charts.items():
        for chart in found:
            assert chart["title"] and chart["x"] and chart["y"], (name, chart)
            words = [*chart["title"], *chart["x"], *chart["y"], *chart["legend"], *chart["ticks"]]
            assert not [w for w in words if "_" in w], (name, chart)
    # the worklist's claims by the provider's claim number, the internal key only in the log
    worklist, log = headers["Worklist"]
    assert worklist[:2] == ["Claim number (PCN)", "Sources"], worklist
    assert log[:2] == ["Logged", "Claim number (PCN)"], log  # the internal key comes last
    # payers by name, their id beside: the scorecard and the lag chart
    scorecard = headers["Payers"][0]
    assert scorecard[:2] == ["Payer", "Payer ID"], scorecard
    assert names and all(f"{n} ({p})" in charts["Payers"][0]["ticks"] for p, n in names)


def test_a_table_reads_in_words_with_no_index_column(served: tuple[str, Path]) -> None:
    from playwright.sync_api import sync_playwright

    url, _ = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/denials")
        page.get_by_role("heading", name="Denials").first.wait_for(timeout=60000)
        page.wait_for_function(DONE, timeout=60000)
        table = page.get_by_test_id("stDataFrame").first  # denials by category
        assert _headers(table) == ["Category", "Claims", "Denied amount"]
        rows = table.locator("tbody [role=row]")
        first_cells = [rows.nth(i).locator("[role=gridcell]").first.inner_text()
                       for i in range(rows.count())]  # fmt: skip
        assert "Coding" in first_cells and "coding" not in first_cells  # a category in words
        browser.close()


def test_no_developer_tool_is_offered(served: tuple[str, Path]) -> None:
    """Streamlit's toolbar in served mode: no Deploy button, no Rerun or Clear cache in its
    menu (on a developer's `streamlit run` both are there: the same selectors find them)."""
    from playwright.sync_api import sync_playwright

    url, _ = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/runs")
        page.get_by_role("heading", name="Runs").first.wait_for(timeout=60000)
        page.wait_for_function(DONE, timeout=60000)
        assert page.get_by_test_id("stAppDeployButton").count() == 0
        assert page.get_by_role("button", name="Deploy").count() == 0
        page.get_by_test_id("stMainMenu").click()
        menu = page.get_by_test_id("stMainMenuPopover")
        menu.wait_for(timeout=10000)
        items = menu.inner_text()
        assert "Print" in items  # the viewer's options stay
        assert "Rerun" not in items and "Clear cache" not in items
        browser.close()


def test_the_filters_stay_as_chosen_from_page_to_page(served: tuple[str, Path]) -> None:
    from playwright.sync_api import sync_playwright

    url, warehouse = served
    conn = duckdb.connect(str(warehouse), read_only=True)
    payer, claims = conn.execute(
        "SELECT payer_id, count(*) FROM claims_header WHERE payer_id IS NOT NULL"
        " GROUP BY 1 ORDER BY 1 LIMIT 1"
    ).fetchone() or ("", 0)
    (name,) = conn.execute(
        "SELECT max(payer_name) FROM claims_header WHERE payer_id = ?", [payer]
    ).fetchone() or (None,)
    conn.close()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/payers")
        page.get_by_role("heading", name="Payers").first.wait_for(timeout=60000)
        page.wait_for_function(DONE, timeout=60000)
        box = (
            page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="Payer")
        )
        box.first.click()
        offered = f"{name} ({payer})" if name else payer  # a payer by its name and id
        page.get_by_role("option", name=offered, exact=True).click()
        page.wait_for_timeout(500)
        page.wait_for_function(DONE, timeout=60000)
        # to the Overview by the sidebar, as a user goes: the payer is still chosen
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Overview").click()
        page.get_by_role("heading", name="Overview").first.wait_for(timeout=60000)
        page.wait_for_timeout(500)
        page.wait_for_function(DONE, timeout=60000)
        assert page.url.rstrip("/") == url
        assert box.first.get_by_role("combobox").input_value() == offered
        assert f"Claims submitted\n\n{claims:,}" in page.inner_text("body")
        browser.close()


def test_a_link_of_the_single_page_dashboard_still_opens_its_page(
    served: tuple[str, Path],
) -> None:
    from playwright.sync_api import sync_playwright

    url, _ = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/?page=Cash+forecast")
        page.get_by_role("heading", name="Cash forecast").first.wait_for(timeout=60000)
        page.wait_for_function(DONE, timeout=60000)
        assert page.url == f"{url}/cash-forecast"
        browser.close()


def test_old_links_land_on_the_page_that_holds_their_content(served: tuple[str, Path]) -> None:
    """The rejection log's page is now the Worklist (the open exceptions, as `claimflow
    worklist` lists them, with the log below): its old URL path and ?page= name open it; the
    automatic resubmissions (the old Worklist) are at /resubmissions, linked from the Worklist."""
    from playwright.sync_api import sync_playwright

    url, _ = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        for old in ("/rejection-log", "/?page=Rejection+log"):
            page.goto(f"{url}{old}")
            page.get_by_role("heading", name="Worklist: open exceptions").first.wait_for(
                timeout=60000
            )
            page.wait_for_function(DONE, timeout=60000)
            assert page.url == f"{url}/worklist", old
            text = page.inner_text("body")
            assert "Rejection log" in text and "Page not found" not in text, old
        # an old /worklist link meant the resubmissions: the Worklist leads to them
        page.get_by_test_id("stMain").get_by_role("link", name="Resubmissions").click()
        page.get_by_role("heading", name="Resubmissions").first.wait_for(timeout=60000)
        page.wait_for_function(DONE, timeout=60000)
        assert page.url == f"{url}/resubmissions"
        assert "Resubmission success rate" in page.inner_text("body")
        # the sidebar names each page once, by its one name
        links = page.get_by_test_id("stSidebarNav").get_by_role("link").all_inner_texts()
        assert [t.strip().split("\n")[-1] for t in links] == list(PAGES)  # after its icon
        browser.close()


def test_a_chart_names_its_values_on_hover(served: tuple[str, Path]) -> None:
    from playwright.sync_api import sync_playwright

    url, warehouse = served
    conn = duckdb.connect(str(warehouse), read_only=True)
    coding = conn.execute(  # the coding denials: claims and dollars (CO-4 of the 835)
        "SELECT count(DISTINCT a.claim_id), sum(j.amount) FROM adjustments j"
        " JOIN ref_carc_category r ON r.carc = j.reason_code"
        " JOIN adjudication a ON a.adjudication_id = j.adjudication_id"
        " WHERE r.category = 'coding' AND a.claim_id IS NOT NULL"
    ).fetchone()
    conn.close()
    assert coding and coding[0]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/denials")
        page.get_by_role("heading", name="Denials").first.wait_for(timeout=60000)
        page.wait_for_function(DONE, timeout=60000)
        chart = page.get_by_test_id("stPlotlyChart").first  # denied amount by category
        chart.scroll_into_view_if_needed()
        bars = chart.locator(".point path")
        hovered = ""
        for i in range(bars.count()):
            bars.nth(i).hover(force=True)
            page.wait_for_timeout(300)
            hovered = " ".join(chart.locator(".hovertext").all_text_contents())
            if "Coding" in hovered:
                break
        assert "Category: Coding" in hovered, hovered
        dollars = Decimal(coding[1]).quantize(Decimal(1), ROUND_HALF_UP)  # as the browser rounds
        assert f"Denied amount: ${dollars:,}" in hovered, hovered
        assert f"Claims: {coding[0]:,}" in hovered, hovered
        browser.close()


def _headers(table: Locator) -> list[str]:
    """The column headers of a table (``st.dataframe``) as its grid lists them for screen
    readers: the grid draws on a canvas, and lists a table's cells once it is in view."""
    table.scroll_into_view_if_needed()
    table.locator("[role=columnheader]").first.wait_for(state="attached", timeout=10000)
    return table.locator("[role=columnheader]").all_inner_texts()


def _chart_labels(chart: Locator) -> dict[str, list[str]]:
    """The words a Plotly chart shows: its title, axis titles, legend entries and tick
    labels."""
    chart.scroll_into_view_if_needed()

    def texts(selector: str) -> list[str]:
        return [t.strip() for t in chart.locator(selector).all_text_contents() if t.strip()]

    title = texts(".gtitle")
    return {
        "title": title,
        "x": texts(".g-xtitle"),
        "y": texts(".g-ytitle"),
        "legend": texts(".legendtext"),
        "ticks": texts(".xtick text") + texts(".ytick text"),
    }


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
        page.goto(url)
        page.get_by_role("heading", name="Overview").first.wait_for(timeout=60000)
        caption = _choose(page, "Rows behind a figure", "Claims submitted")
        assert f"Rows behind Claims submitted: {claims[0]:,} rows" in caption
        # the export has every row (a header, then one line per claim)
        with page.expect_download(timeout=60000) as download:
            page.locator(".st-key-csv_figure button").click()
        exported = Path(download.value.path()).read_text("utf-8").splitlines()
        assert len(exported) == claims[0] + 1 and exported[0].startswith("claim_id,")
        page.screenshot(path=str(tmp_path / "overview_rows_behind.png"))
        page.goto(f"{url}/denials")
        page.get_by_role("heading", name="Denials").first.wait_for(timeout=60000)
        caption = _choose(page, "Rows behind a row of this table", "Coding")
        assert f"Rows behind Coding: {coding[0]:,} row" in caption
        text = page.inner_text("body")
        assert "Traceback" not in text and "P001" not in text
        browser.close()
