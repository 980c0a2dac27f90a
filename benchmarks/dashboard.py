"""Benchmark: how long each dashboard page takes to open in headless Chromium; screenshots.

Usage::

    python benchmarks/dashboard.py --warehouse out/demo/claimflow.duckdb [--screenshots docs/screenshots]
        [--app PATH [--query-links]]

Starts ``claimflow dashboard`` on a free loopback port (or, with ``--app``, Streamlit in the same
served mode on another entry script, to compare: e.g. the single-page ``app.py`` of an earlier
commit, whose pages are opened by ``?page=<title>`` with ``--query-links``), opens every page at
its URL (``/denials``, ...) in Debian's Chromium (``/usr/bin/chromium``)
through Playwright, and reports the seconds from navigation until the page is done: its heading
is shown, Streamlit has run its script to the end (``stApp``'s script state is back to
``notRunning``), no element is still loading (no ``stSkeleton``: charts and tables load their
code after the script has finished) and every Plotly chart is drawn; and the CPU seconds the dashboard and the
browser used meanwhile (a page's cost, whatever else the machine runs). Also prints the load
average before and after.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

from claimflow.dashboard import PAGES
from claimflow.dashboard.pages import REGISTRY, url_path
from claimflow.dashboard.serve import streamlit_command

DONE = """document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState === 'notRunning'
    && !document.querySelector('[data-testid="stSkeleton"]')
    && Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]'))
         .every(chart => chart.querySelector('.main-svg'))"""

FIGURE = "Initial denial rate: initially denied (numerator)"
"""The figure whose rows the screenshot rows_behind.png shows."""

ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync", "--disable-quic",
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--screenshots", type=Path)
    parser.add_argument("--app", type=Path, help="Streamlit script to serve instead")
    parser.add_argument(
        "--query-links", action="store_true", help="Open pages as ?page=<title> (older apps)"
    )
    parser.add_argument("--pages", nargs="+", choices=PAGES, default=list(PAGES))
    parser.add_argument("--repeat", type=int, default=1, help="Load each page this many times")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = Path(sys.executable).parent / "claimflow"
    # its own process group (claimflow and its Streamlit child): stopped as a whole at the end
    command = [str(exe), "dashboard", "--warehouse", str(args.warehouse), "--port", str(port)]
    env = os.environ.copy()
    if args.app:  # what `claimflow dashboard` runs, on another entry script
        command = streamlit_command("127.0.0.1", port, script=args.app.resolve())
        env.update(CLAIMFLOW_WAREHOUSE=str(args.warehouse.resolve()), CLAIMFLOW_ROLE="analyst")
    proc = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(180):
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)  # warm-up: the first load starts the session
            page.get_by_role("heading", name="Overview").first.wait_for(timeout=120000)
            page.wait_for_function(DONE, timeout=120000)  # let it finish before timing
            print(f"{'page':<16} seconds  cpu_seconds")
            paths = {entry.title: url_path(entry) for entry in REGISTRY}
            for name in [p for p in args.pages for _ in range(args.repeat)]:
                link = f"?page={name.replace(' ', '+')}" if args.query_links else paths[name]
                cpu = cpu_seconds(proc.pid)
                start = time.perf_counter()
                page.goto(f"{url}/{link}")
                page.get_by_role("heading", name=name, exact=False).first.wait_for(timeout=120000)
                page.wait_for_function(DONE, timeout=120000)
                seconds = time.perf_counter() - start
                print(f"{name:<16} {seconds:7.2f}  {cpu_seconds(proc.pid) - cpu:11.2f}")
                if args.screenshots:
                    args.screenshots.mkdir(parents=True, exist_ok=True)
                    page.wait_for_timeout(1000)
                    target = args.screenshots / f"{name.lower().replace(' ', '_')}.png"
                    page.screenshot(path=str(target), full_page=False)
            if args.screenshots:  # and one of the rows behind a figure, chosen on the Overview
                page.goto(url)
                page.get_by_role("heading", name="Overview").first.wait_for(timeout=120000)
                page.wait_for_function(DONE, timeout=120000)
                page.get_by_test_id("stSelectbox").filter(has_text="Rows behind a figure").click()
                page.get_by_role("option", name=FIGURE, exact=True).click()
                page.get_by_text(f"Rows behind {FIGURE}: ").first.wait_for(timeout=120000)
                page.wait_for_function(DONE, timeout=120000)
                page.get_by_text(f"Rows behind {FIGURE}: ").first.scroll_into_view_if_needed()
                page.wait_for_timeout(1000)
                page.screenshot(path=str(args.screenshots / "rows_behind.png"), full_page=False)
            browser.close()
    finally:
        stop_group(proc)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def cpu_seconds(session: int) -> float:
    """CPU seconds used so far by the dashboard (the processes of its session) and the browser
    (the processes descended from this one): a page's cost, whatever else the machine runs."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                # after the name: state, ppid, pgrp, session, …, utime (12th), stime (13th)
                stats[int(entry.name)] = (
                    int(fields[1]),
                    int(fields[3]),
                    int(fields[11]) + int(fields[12]),
                )
    mine = {os.getpid()}
    for _ in range(8):  # descendants, a few generations deep (driver → Chromium → its helpers)
        mine |= {pid for pid, (ppid, _, _) in stats.items() if ppid in mine}
    ticks = sum(t for pid, (_, sid, t) in stats.items() if sid == session or pid in mine)
    return ticks / os.sysconf("SC_CLK_TCK")


def stop_group(proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """SIGTERM to the whole process group of ``proc``; SIGKILL what is left after ``timeout``."""
    pgid = proc.pid  # a session leader: its process group id is its pid
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    proc.wait()


if __name__ == "__main__":
    main()
