"""Serving beside writing: a real `claimflow run` while a real server answers requests in a
loop, and answers kept per snapshot (a report's next page is not computed again)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest

from claimflow.api.app import ApiSettings
from claimflow.config import load_settings
from claimflow.pipeline import run
from claimflow.synth import generate_world
from tests.api.conftest import Served, serve
from tests.conftest import REPO

HELD_BACK = "alpha_2025-02.csv"
"""An EMR file the first run does not see: the second run loads it."""


def _count(warehouse: Path, sql: str) -> int:
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        row = conn.execute(sql).fetchone()
        return int(row[0]) if row else 0
    finally:
        conn.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("serving_api")
    generate_world(
        root / "inbox", claims=200, seed=11, start=dt.date(2025, 1, 1), months=2, workers=1
    )
    (root / "inbox" / "emr" / HELD_BACK).rename(root / HELD_BACK)
    run(
        load_settings(root / "inbox" / "claimflow.yaml"),
        warehouse=root / "claimflow.duckdb",
        out_dir=root / "out",
        reference_date=dt.date(2025, 3, 20),
    )
    return root


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[Served]:
    with serve(ApiSettings(warehouse=site / "claimflow.duckdb")) as server:
        yield server


def test_a_run_writes_while_the_api_answers_and_then_the_api_serves_it(
    site: Path, served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="claimflow.api")
    warehouse = site / "claimflow.duckdb"
    before = served.get("/health").json()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    stop = threading.Event()
    payer = str(
        duckdb.connect(str(warehouse), read_only=True)
        .execute("SELECT min(payer_id) FROM claims_header")
        .fetchone()[0]  # type: ignore[index]
    )  # read before the run: the test's own connection would block it

    def poll() -> None:
        with httpx.Client(base_url=served.url, timeout=60) as client:
            paths = ["/health", "/kpi", f"/kpi?payer={payer}", "/worklist?limit=5",
                     "/reports/payer_scorecard?limit=3", "/alerts?limit=3"]  # fmt: skip
            while not stop.is_set():
                for path in paths:
                    try:
                        status = client.get(path).status_code
                    except httpx.HTTPError as exc:
                        failures.append(f"{path}: {type(exc).__name__}")
                        continue
                    statuses[status] += 1
                    if status != 200:
                        failures.append(f"{path}: {status}")

    pollers = [threading.Thread(target=poll) for _ in range(2)]
    for p in pollers:
        p.start()
    try:
        (site / HELD_BACK).rename(site / "inbox" / "emr" / HELD_BACK)
        done = subprocess.run(
            [sys.executable, "-m", "claimflow", "run", "--json",
             "--config", str(site / "inbox" / "claimflow.yaml"), "--warehouse", str(warehouse),
             "--out", str(site / "out"), "--reference-date", "2025-03-21"],
            capture_output=True, text=True, cwd=REPO, timeout=600, check=False,
        )  # fmt: skip
    finally:
        stop.set()
        for p in pollers:
            p.join(timeout=120)
    assert done.returncode in (0, 3), done.stderr  # 3: the world's files broken on purpose
    report = json.loads(done.stdout)
    assert report["status"].startswith(("ok", "finished"))
    assert sum(statuses.values()) >= 6  # the loop ran while the run did
    assert failures == []
    # the next snapshot is served once opened (beside the requests): wait for it, bounded
    claims = _count(warehouse, "SELECT count(*) FROM claims_header")
    assert claims > before["tables"]["claims_header"]
    deadline = time.monotonic() + 120
    while (health := served.get("/health").json())["snapshot"]["run_id"] != report["run_id"]:
        assert time.monotonic() < deadline, "the new run's snapshot was never served"
        time.sleep(0.1)
    assert health["tables"]["claims_header"] == claims
    assert health["tables"]["runs"] == 2
    # the KPIs asked for before (the default and the payer's) were computed before the new
    # snapshot was served: asking for them now computes nothing
    swapped = len(caplog.records)
    kpi = served.get("/kpi").json()
    assert served.get("/kpi", payer=payer).status_code == 200
    assert [r for r in caplog.records[swapped:] if r.getMessage().startswith("kpi:")] == []
    assert kpi["claims_submitted"] == _count(
        warehouse,
        "SELECT count(*) FROM claims_header WHERE segment_index IS NOT NULL OR"
        " patient_control_number NOT IN"
        " (SELECT patient_control_number FROM claims_header WHERE segment_index IS NOT NULL)",
    )


def _computed(caplog: pytest.LogCaptureFixture, name: str) -> int:
    return sum(
        1
        for r in caplog.records
        if r.name == "claimflow.api" and r.getMessage().startswith(f"report {name}:")
    )


def test_the_next_page_of_a_report_comes_from_the_rows_already_computed(
    site: Path, caplog: pytest.LogCaptureFixture
) -> None:
    copy = site.parent / f"{site.name}_pages"
    copy.mkdir()
    for name in ("claimflow.duckdb", "claimflow.serving.duckdb"):
        shutil.copyfile(site / name, copy / name)
    caplog.set_level(logging.INFO, logger="claimflow.api")
    with serve(ApiSettings(warehouse=copy / "claimflow.duckdb")) as api:
        whole = api.get("/reports/denials_by_payer", limit=1000, **{"from": "2025-01-01"}).json()
        assert _computed(caplog, "denials_by_payer") == 1
        assert whole["total"] >= 4
        pages = [
            api.get("/reports/denials_by_payer", limit=2, offset=o, **{"from": "2025-01-01"})
            for o in (0, 2)
        ]
        assert _computed(caplog, "denials_by_payer") == 1  # both pages from the kept rows
        assert [i for p in pages for i in p.json()["items"]] == whole["items"][:4]
        assert {p.json()["total"] for p in pages} == {whole["total"]}
        # other filters are another report: computed once, then kept too
        api.get("/reports/denials_by_payer", limit=2, **{"from": "2025-02-01"})
        api.get("/reports/denials_by_payer", limit=2, offset=2, **{"from": "2025-02-01"})
        assert _computed(caplog, "denials_by_payer") == 2
