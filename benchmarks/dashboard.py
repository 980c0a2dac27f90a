"""Benchmark: how long each dashboard page takes to open in headless Chromium; screenshots.

Usage::

    python benchmarks/dashboard.py --warehouse out/demo/claimflow.duckdb [--screenshots docs/screenshots]

Starts ``claimflow dashboard`` on a free loopback port, opens every page in Debian's Chromium
(``/usr/bin/chromium``) through Playwright, and reports the seconds from navigation until the
page's heading is shown and Streamlit has finished running the script.
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

ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync", "--disable-quic",
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--screenshots", type=Path)
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = Path(sys.executable).parent / "claimflow"
    # its own process group (claimflow and its Streamlit child): stopped as a whole at the end
    proc = subprocess.Popen(
        [str(exe), "dashboard", "--warehouse", str(args.warehouse), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy(),
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
            page.wait_for_function(  # and let that first run finish before timing anything
                "!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120000
            )
            print(f"{'page':<16} seconds")
            for name in PAGES:
                start = time.perf_counter()
                page.goto(f"{url}/?page={name.replace(' ', '+')}")
                page.get_by_role("heading", name=name, exact=False).first.wait_for(timeout=120000)
                page.wait_for_function(
                    "!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120000
                )
                seconds = time.perf_counter() - start
                print(f"{name:<16} {seconds:.2f}")
                if args.screenshots:
                    args.screenshots.mkdir(parents=True, exist_ok=True)
                    page.wait_for_timeout(1000)
                    target = args.screenshots / f"{name.lower().replace(' ', '_')}.png"
                    page.screenshot(path=str(target), full_page=False)
            browser.close()
    finally:
        stop_group(proc)


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
