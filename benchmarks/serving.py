"""Benchmark: serving beside writing — runs started while the API and the dashboard are polled.

Usage::

    python benchmarks/serving.py --warehouse W --config C [--out O] [--runs 100]
        [--seconds 1800] [--requests 200000] [--pause 0.05] [--no-dashboard]

A warehouse that one ``claimflow run`` has written (e.g. ``claimflow synth --claims 50000
--seed 5 --months 6 --out DIR`` then ``claimflow run -c DIR/claimflow.yaml -w W``). Then:

1. the cost of publishing the serving snapshot (CHECKPOINT + copy + fsync + rename), three
   times, with the warehouse's size;
2. a real ``claimflow api`` and a real ``claimflow dashboard`` on loopback ports (processes of
   their own), polled steadily: two client threads loop over the API's routes, ``--pause`` seconds between
   requests (``/health``,
   ``/kpi``, a filtered ``/kpi``, a report's first and second page, ``/worklist``), and a
   headless Chromium reloads two dashboard pages (Overview, Payers) and waits until each is
   drawn; a request that is not a 200, or a page that shows an exception, is a failure;
3. meanwhile ``--runs`` real ``claimflow run`` child processes, one after another on the same
   warehouse and config (exit 0 or 3 is a run that ran; any other exit, or DuckDB's lock
   message, is a run that failed to start or failed); after each, once the API serves the
   new snapshot, a report's page 1 with filters no request asked before (computed) and its
   page 2 (kept), timed;
4. stops by itself after the runs, ``--seconds`` or ``--requests``, whichever comes first,
   and prints p50/p99/max per route, failures, runs and the load average before and after.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

import duckdb
import httpx

from claimflow.warehouse.serving import publish_snapshot, serving_path

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
DONE = """document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState === 'notRunning'
    && !document.querySelector('[data-testid="stSkeleton"]')"""


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def measure_publish(warehouse: Path) -> None:
    size = warehouse.stat().st_size
    conn = duckdb.connect(str(warehouse))
    try:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            assert publish_snapshot(conn, warehouse)
            times.append(time.perf_counter() - started)
    finally:
        conn.close()
    print(
        f"publish snapshot: {size / 1e6:.0f} MB, seconds {' '.join(f'{t:.2f}' for t in times)}"
        f" ({size / 1e6 / min(times):.0f} MB/s at best)"
    )


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.failures: dict[str, list[str]] = defaultdict(list)

    def add(self, route: str, ms: float, failure: str | None = None) -> None:
        with self.lock:
            if failure is None:
                self.times[route].append(ms)
            else:
                self.failures[route].append(failure)

    def total(self) -> int:
        with self.lock:
            return sum(map(len, self.times.values())) + sum(map(len, self.failures.values()))


def api_poller(
    url: str, routes: dict[str, str], stats: Stats, stop: threading.Event, pause: float
) -> None:
    with httpx.Client(base_url=url, timeout=120) as client:
        while not stop.is_set():
            for route, path in routes.items():
                stop.wait(pause)  # steady polling, not a flood: the latency, not a queue
                started = time.perf_counter()
                try:
                    status = client.get(path).status_code
                except httpx.HTTPError as exc:
                    stats.add(route, 0, type(exc).__name__)
                    continue
                ms = (time.perf_counter() - started) * 1000
                stats.add(route, ms, None if status == 200 else f"status {status}")
                if stop.is_set():
                    return


def dashboard_poller(url: str, stats: Stats, stop: threading.Event) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        while not stop.is_set():
            for route in ("", "payers"):
                started = time.perf_counter()
                try:
                    page.goto(f"{url}/{route}")
                    page.wait_for_function(DONE, timeout=120000)
                    page.wait_for_timeout(200)  # a script run the navigation started
                    page.wait_for_function(DONE, timeout=120000)
                    broken = page.locator("[data-testid='stException']").count()
                except Exception as exc:  # a page that never finishes is a failure too
                    stats.add(f"dashboard /{route}", 0, type(exc).__name__)
                    continue
                ms = (time.perf_counter() - started) * 1000
                stats.add(f"dashboard /{route}", ms, "exception shown" if broken else None)
        browser.close()


def wait_http(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--out", type=Path, help="Run outputs (default: beside the warehouse)")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=1800)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--pause", type=float, default=0.05, help="Seconds between requests")
    parser.add_argument("--no-dashboard", action="store_true")
    args = parser.parse_args()
    warehouse = args.warehouse.resolve()
    out = (args.out or warehouse.parent / "out").resolve()
    exe = str(Path(sys.executable).parent / "claimflow")
    print(f"machine: {platform.node()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"started {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; load average before: {load()}")
    measure_publish(warehouse)
    conn = duckdb.connect(str(serving_path(warehouse)), read_only=True)
    claims, payer, first_day = conn.execute(
        "SELECT count(*), min(payer_id), min(submission_date) FROM claims_header"
    ).fetchone() or (0, None, None)
    conn.close()
    print(f"warehouse: {warehouse} ({claims} claim rows)")

    api_port, dash_port = free_port(), free_port()
    api = subprocess.Popen(
        [exe, "api", "-w", str(warehouse), "--port", str(api_port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    dash = None
    if not args.no_dashboard:
        dash = subprocess.Popen(
            [exe, "dashboard", "-w", str(warehouse), "--port", str(dash_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    api_url, dash_url = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{dash_port}"
    stats, stop = Stats(), threading.Event()
    threads: list[threading.Thread] = []
    runs: list[tuple[int, float, str]] = []
    pages: list[tuple[float, float]] = []
    switches: list[float] = []
    try:
        wait_http(f"{api_url}/health", 120)
        with httpx.Client(base_url=api_url, timeout=600) as client:
            client.get("/kpi")  # the server's first snapshot: its default KPIs computed
            client.get(f"/kpi?payer={payer}")
        if dash is not None:
            wait_http(f"{dash_url}/_stcore/health", 180)
        routes = {
            "/health": "/health",
            "/kpi": "/kpi",
            "/kpi?payer=": f"/kpi?payer={payer}",
            "/reports/payer_scorecard page 1": "/reports/payer_scorecard?limit=5",
            "/reports/payer_scorecard page 2": "/reports/payer_scorecard?limit=5&offset=5",
            "/worklist": "/worklist?limit=50",
        }
        threads = [
            threading.Thread(
                target=api_poller,
                args=(api_url, routes, stats, stop, args.pause),
                daemon=True,
            )
            for _ in range(2)
        ]
        if dash is not None:
            threads.append(
                threading.Thread(target=dashboard_poller, args=(dash_url, stats, stop), daemon=True)
            )
        for t in threads:
            t.start()
        deadline = time.monotonic() + args.seconds
        while not args.runs and time.monotonic() < deadline and stats.total() < args.requests:
            time.sleep(0.5)  # --runs 0: polling alone, for --seconds
        with httpx.Client(base_url=api_url, timeout=600) as client:
            for n in range(args.runs):
                if time.monotonic() > deadline or stats.total() >= args.requests:
                    break
                started = time.perf_counter()
                done = subprocess.run(
                    [exe, "run", "--json", "-c", str(args.config), "-w", str(warehouse),
                     "-o", str(out)],
                    capture_output=True, text=True, check=False,
                )  # fmt: skip
                seconds = time.perf_counter() - started
                lock = "Could not set lock" in done.stderr or "lock" in done.stderr.lower()
                runs.append((done.returncode, seconds, "lock" if lock else ""))
                if done.returncode not in (0, 3):
                    print(f"run {n + 1}: exit {done.returncode}: {done.stderr.strip()[-300:]}")
                    continue
                # once the API serves the new snapshot: a report no request asked before
                run_id = json.loads(done.stdout)["run_id"]
                ended = time.monotonic()
                while time.monotonic() < ended + 300:
                    if client.get("/health").json()["snapshot"]["run_id"] == run_id:
                        switches.append(time.monotonic() - ended)
                        break
                    time.sleep(0.05)
                day = (first_day or dt.date(2025, 1, 1)) + dt.timedelta(days=n % 28)
                t0 = time.perf_counter()
                one = client.get(f"/reports/daily_ar?from={day}&limit=100")
                t1 = time.perf_counter()
                two = client.get(f"/reports/daily_ar?from={day}&limit=100&offset=100")
                t2 = time.perf_counter()
                if one.status_code == two.status_code == 200:
                    pages.append(((t1 - t0) * 1000, (t2 - t1) * 1000))
                print(f"run {n + 1}: exit {done.returncode} in {seconds:.1f} s; load {load()}")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=180)
        stop_group(api)
        if dash is not None:
            stop_group(dash)

    print(f"\nfinished {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; load average after: {load()}")
    failed = [r for r in runs if r[0] not in (0, 3)]
    locked = [r for r in runs if r[2] == "lock"]
    print(
        f"runs: {len(runs)} started, {len(failed)} failed ({len(locked)} on the lock);"
        f" seconds p50 {statistics.median([r[1] for r in runs]) if runs else float('nan'):.1f}"
    )
    print(f"{'route':<36} {'n':>6} {'fail':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for route in sorted(set(stats.times) | set(stats.failures)):
        times = stats.times.get(route, [])
        print(
            f"{route:<36} {len(times) + len(stats.failures.get(route, [])):>6}"
            f" {len(stats.failures.get(route, [])):>5} {pct(times, 0.5):>8.1f}"
            f" {pct(times, 0.99):>8.1f} {max(times, default=float('nan')):>8.1f}"
        )
    for route, failures in stats.failures.items():
        print(f"  failures of {route}: {sorted(set(failures))[:5]}")
    if switches:
        print(
            f"run's end to its snapshot served by the API: p50 {pct(switches, 0.5):.2f} s,"
            f" max {max(switches):.2f} s (n={len(switches)})"
        )
    if pages:
        first = [p[0] for p in pages]
        second = [p[1] for p in pages]
        print(
            f"report daily_ar, new filters after each run: page 1 p50 {pct(first, 0.5):.1f} ms,"
            f" page 2 p50 {pct(second, 0.5):.1f} ms (n={len(pages)})"
        )


if __name__ == "__main__":
    main()
