"""Benchmark: ``POST /risk/predict`` and ``/risk/predict/batch`` on a real server, loopback.

Usage::

    python benchmarks/risk_api.py --warehouse W [--rates 50,200] [--requests 2000]
        [--seconds 60] [--batches 100,1000] [--batch-requests 20] [--json]

``W`` is a warehouse whose published snapshot has a champion (``claimflow risk train`` and
``claimflow risk promote``, then a run). The benchmark:

1. starts ``claimflow api -w W`` in a process of its own on a free loopback port;
2. turns the warehouse's 837 claims into requests (what an 837 carries) and keeps those the
   API accepts (a 200 in the warm-up);
3. at each rate, sends ``--requests`` single-claim requests open-loop: request i is due at
   start + i / rate whatever the earlier answers did, from a pool of client threads, and its
   latency runs from when it was due (so a server that falls behind shows it: no coordinated
   omission); bounded by ``--seconds`` per case;
4. at the same rates, ``GET /health`` (the floor: the same server, client and loopback, no
   scoring);
5. batches of each ``--batches`` size, ``--batch-requests`` of them one after another;
6. prints p50 / p99 / max per case, the requests that were not a 200, the server's CPU time
   per request (from /proc) and the load average.

The client runs on the same machine as the server, and shares its cores.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import queue
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import httpx

from claimflow.warehouse.serving import serving_path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import free_port, pct

CLAIM_TYPES = {"professional": "837P", "institutional": "837I", "dental": "837D"}


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process (Linux /proc); NaN when unknown."""
    if pid is None:
        return float("nan")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def requests_of(warehouse: Path, limit: int) -> list[dict[str, Any]]:
    """The warehouse's latest 837 claims as request bodies."""
    path = serving_path(warehouse)
    conn = duckdb.connect(str(path if path.exists() else warehouse), read_only=True)
    try:
        headers = conn.execute(
            "SELECT claim_id, payer_id, claim_type, billing_npi, rendering_npi,"
            " place_of_service_code, claim_frequency_code, submission_date, statement_from,"
            " statement_to, prior_auth_number, patient_dob FROM claims_header"
            " WHERE segment_index IS NOT NULL AND submission_date IS NOT NULL"
            " ORDER BY submission_date DESC, claim_id LIMIT ?",
            [limit],
        ).fetchall()
        ids = [h[0] for h in headers]
        lines: dict[str, list[dict[str, Any]]] = {}
        for cid, proc, m1, m2, m3, m4, units, charge, service in conn.execute(
            "SELECT claim_id, procedure_code, modifier_1, modifier_2, modifier_3, modifier_4,"
            " units, line_charge, service_from FROM claims_line"
            " WHERE claim_id IN (SELECT unnest(?)) ORDER BY claim_id, line_number",
            [ids],
        ).fetchall():
            lines.setdefault(cid, []).append(
                {
                    "procedure_code": proc,
                    "modifiers": [m for m in (m1, m2, m3, m4) if m],
                    "units": units or 1,
                    "charge": str(charge if charge is not None else "0.00"),
                    "service_from": service.isoformat() if service else None,
                }
            )
        dx: dict[str, list[str]] = {}
        for cid, code in conn.execute(
            "SELECT claim_id, code FROM diagnoses WHERE claim_id IN (SELECT unnest(?))"
            " AND code IS NOT NULL ORDER BY claim_id, sequence",
            [ids],
        ).fetchall():
            dx.setdefault(cid, []).append(code)
    finally:
        conn.close()
    out = []
    for cid, payer, kind, billing, rendering, pos, freq, sub, st_from, st_to, pa, dob in headers:
        body: dict[str, Any] = {
            "payer_id": payer,
            "claim_type": CLAIM_TYPES.get(kind, "837P"),
            "billing_npi": billing,
            "rendering_npi": rendering,
            "place_of_service": pos,
            "frequency_code": freq or "1",
            "submission_date": sub.isoformat(),
            "statement_from": st_from.isoformat() if st_from else None,
            "statement_to": st_to.isoformat() if st_to else None,
            "diagnoses": dx.get(cid, []),
            "prior_auth_number": pa,
            "patient_birth_date": dob.isoformat() if dob else None,
            "lines": lines.get(cid, []),
        }
        out.append({k: v for k, v in body.items() if v is not None})
    return out


Send = Callable[[http.client.HTTPConnection, int], int]
"""Sends request i on a connection; returns the status."""


def post(path: str, bodies: list[bytes]) -> Send:
    def send(conn: http.client.HTTPConnection, i: int) -> int:
        conn.request("POST", path, bodies[i % len(bodies)], {"content-type": "application/json"})
        response = conn.getresponse()
        response.read()
        return response.status

    return send


def get(path: str) -> Send:
    def send(conn: http.client.HTTPConnection, _i: int) -> int:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status

    return send


def open_loop(
    port: int, send: Send, rate: float, count: int, seconds: float, workers: int = 32
) -> tuple[list[float], int, int]:
    """``count`` requests due at ``rate`` per second (at most ``seconds``), sent by ``workers``
    threads with a keep-alive connection each (opened before the clock starts): latencies
    from each request's due time (ms), requests not answered 200, requests sent."""
    due_queue: queue.Queue[tuple[int, float] | None] = queue.Queue()
    lock = threading.Lock()
    latencies: list[float] = []
    failures = 0
    ready = threading.Barrier(workers + 1)

    def worker() -> None:
        nonlocal failures
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        conn.connect()
        ready.wait()
        while (item := due_queue.get()) is not None:
            i, due = item
            try:
                status = send(conn, i)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
                status = 0
            elapsed = (time.perf_counter() - due) * 1000
            with lock:
                latencies.append(elapsed)
                if status != 200:
                    failures += 1
        conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    ready.wait()
    start = time.perf_counter() + 0.05
    sent = 0
    for i in range(count):
        due = start + i / rate
        if due - start > seconds:
            break
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        due_queue.put((i, due))
        sent += 1
    for _ in threads:
        due_queue.put(None)
    for t in threads:
        t.join()
    return latencies, failures, sent


def sequential(port: int, send: Send, count: int, seconds: float) -> tuple[list[float], int, int]:
    """``count`` requests one after another (at most ``seconds``): latencies (ms), failures."""
    latencies: list[float] = []
    failures = 0
    ended = time.perf_counter() + seconds
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    for i in range(count):
        if time.perf_counter() > ended:
            break
        started = time.perf_counter()
        if send(conn, i) != 200:
            failures += 1
        latencies.append((time.perf_counter() - started) * 1000)
    conn.close()
    return latencies, failures, len(latencies)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", "-w", type=Path, required=True)
    parser.add_argument("--rates", default="50,200", help="requests per second, comma-separated")
    parser.add_argument("--requests", type=int, default=2000, help="single requests per rate")
    parser.add_argument("--seconds", type=float, default=60, help="at most, per case")
    parser.add_argument("--batches", default="100,1000", help="batch sizes, comma-separated")
    parser.add_argument("--batch-requests", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument(
        "--url", help="measure a server already running there instead of starting one"
    )
    parser.add_argument("--pid", type=int, help="with --url: its process id (for its CPU time)")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",") if r]
    sizes = [int(b) for b in args.batches.split(",") if b]

    print(f"load average before: {load()}; {os.cpu_count()} cores")
    candidates = requests_of(args.warehouse, max(2000, *sizes))
    port = free_port()
    url = args.url or f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "claimflow", "api", "-w", str(args.warehouse)]
    server = subprocess.Popen(
        ["true"] if args.url else [*command, "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    results: list[dict[str, Any]] = []
    try:
        deadline = time.monotonic() + 120
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            if (server.poll() is not None and not args.url) or time.monotonic() > deadline:
                print("the server did not start", file=sys.stderr)
                return 1
            time.sleep(0.2)
        with httpx.Client(base_url=url, timeout=600) as c:
            first = c.post("/risk/predict", json=candidates[0])
            if first.status_code == 503:
                print(f"no champion: {first.json()['error']}", file=sys.stderr)
                return 1
            claims = [b for b in candidates if c.post("/risk/predict", json=b).status_code == 200]
            model = c.post("/risk/predict", json=claims[0]).json()["model_version"]
        print(
            f"warehouse {args.warehouse}: {len(claims)} of {len(candidates)} claims accepted;"
            f" champion {model}"
        )
        if not claims:
            return 1

        port = int(url.rsplit(":", 1)[1])
        pid = args.pid if args.url else server.pid
        singles = [json.dumps(b).encode() for b in claims]
        for rate in rates:
            for name, send in (
                ("POST /risk/predict", post("/risk/predict", singles)),
                ("GET /health", get("/health")),
            ):
                cpu = cpu_seconds(pid)
                latencies, failures, sent = open_loop(port, send, rate, args.requests, args.seconds)
                results.append(
                    {"case": name, "rate": rate, "requests": sent, "failures": failures,
                     "server_cpu_ms": (cpu_seconds(pid) - cpu) * 1000 / max(sent, 1),
                     "p50_ms": pct(latencies, 0.5), "p99_ms": pct(latencies, 0.99),
                     "max_ms": max(latencies, default=float("nan")),
                     "mean_ms": statistics.fmean(latencies) if latencies else float("nan")}
                )  # fmt: skip
        for size in sizes:
            bodies = [
                json.dumps(
                    {"claims": [claims[(k * size + j) % len(claims)] for j in range(size)]}
                ).encode()
                for k in range(args.batch_requests)
            ]
            batch = post("/risk/predict/batch", bodies)
            sequential(port, batch, 1, args.seconds)  # warm
            cpu = cpu_seconds(pid)
            latencies, failures, sent = sequential(port, batch, args.batch_requests, args.seconds)
            results.append(
                {"case": f"POST /risk/predict/batch ({size} claims)", "rate": None,
                 "requests": sent, "failures": failures,
                 "server_cpu_ms": (cpu_seconds(pid) - cpu) * 1000 / max(sent, 1), "p50_ms": pct(latencies, 0.5),
                 "p99_ms": pct(latencies, 0.99), "max_ms": max(latencies, default=float("nan")),
                 "mean_ms": statistics.fmean(latencies) if latencies else float("nan")}
            )  # fmt: skip
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    print(f"{'case':<42} {'rate/s':>7} {'sent':>6} {'not 200':>8} {'p50 ms':>8} {'p99 ms':>8}"
          f" {'max ms':>8} {'server CPU ms/request':>22}")  # fmt: skip
    for r in results:
        rate = f"{r['rate']:.0f}" if r["rate"] else "serial"
        print(
            f"{r['case']:<42} {rate:>7} {r['requests']:>6} {r['failures']:>8}"
            f" {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['max_ms']:>8.2f}"
            f" {r['server_cpu_ms']:>22.2f}"
        )
    print(f"load average after: {load()}")
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
