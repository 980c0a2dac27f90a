"""kill -9 at any moment of a run, then run again: every table and every output file equals
those of a run that was never interrupted, and nothing of the killed run lives on.

The runs are real processes (``python -m claimflow -v run``) over a small synthetic world.
Kill points are picked from the progress lines an uninterrupted run logs — every stage from
ingest to the last output — each followed by a seeded delay, so that kills land before, inside
and after the run's commit. The comparison leaves out only what differs by design: run ids,
clock times, and the records each run keeps of itself (``runs``, ``run_files``,
``run_outputs``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

REFERENCE_DATE = "2025-03-20"
KILLS = 7
"""Kill points per test run (each costs a killed run and a full re-run)."""

VOLATILE = re.compile(r"(^|_)(run_id|.*_at|duration_seconds|path|staged_path)$")
"""Columns that differ between two runs of the same inputs by design (ids, clocks, paths)."""
OWN_RECORDS = {"runs", "run_files", "run_outputs", "schema_migrations"}
"""What each run records about itself."""


def _claimflow(*args: str, env: dict[str, str], **kw: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "claimflow", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: what lives on after the kill shows
        **kw,
    )


def _run_args(root: Path, inbox: Path) -> list[str]:
    return [
        "-v", "run", "--config", str(inbox / "claimflow.yaml"),
        "--warehouse", str(root / "wh.duckdb"), "--out", str(root / "out"),
        "--reference-date", REFERENCE_DATE,
    ]  # fmt: skip


def _complete(root: Path, inbox: Path, env: dict[str, str]) -> tuple[int, list[str]]:
    proc = _claimflow(*_run_args(root, inbox), env=env)
    _, err = proc.communicate(timeout=600)
    return proc.returncode, err.decode().splitlines()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    inbox = tmp_path_factory.mktemp("world") / "inbox"
    subprocess.run(
        [sys.executable, "-m", "claimflow", "synth", "--claims", "150", "--seed", "11",
         "--start", "2025-01-01", "--months", "2", "--out", str(inbox)],
        check=True, capture_output=True,
    )  # fmt: skip
    return inbox


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    spool = tmp_path / "tmp"
    spool.mkdir()
    return {**os.environ, "TMPDIR": str(spool)}


def test_kill_9_at_any_moment_then_a_rerun_equals_an_uninterrupted_run(
    world: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    reference = tmp_path / "reference"
    code, lines = _complete(reference, world, env)
    assert code == 3, lines[-5:]  # the world plants bad rows on purpose
    progress = [i for i, line in enumerate(lines) if " INFO claimflow.pipeline: " in line]
    assert any("write outputs" in lines[i] for i in progress)
    # a killed run that had committed is followed by a run of its own, as an uninterrupted
    # one would be by the next: the files then are those of the two (the second, with nothing
    # new, writes no corrected claims)
    after_one = _state(reference)
    assert after_one["corrected claims"] is not None
    assert _complete(reference, world, env)[0] == 0
    after_two = _state(reference)

    rng = random.Random(23)
    # every stage once in a while, and the outputs' window (write outputs .. done) every time
    last = next(i for i in progress if "write outputs" in lines[i])
    points = sorted(rng.sample(progress, k=min(KILLS - 3, len(progress))))
    points += [last, last, progress[-1]]
    for n, point in enumerate(points):
        root = tmp_path / f"killed{n}"
        delay = rng.uniform(0.0, 0.4)
        killed_at = _kill_after(root, world, env, lines[point].split(": ", 1)[1], delay)
        code, after = _complete(root, world, env)
        where = f"kill {n} after {killed_at!r} + {delay:.2f} s"
        statuses = [s for (s,) in _query(root, "SELECT status FROM runs ORDER BY started_at")]
        committed = len(statuses) == 2 and statuses[0] != "interrupted"  # killed or not
        # the quarantine is reported by the run that loaded it, or by the next if it was killed
        assert code == (0 if committed else 3), (where, after[-5:])
        assert statuses[-1] == ("ok" if committed else "finished_with_quarantine"), where
        assert set(statuses[:-1]) <= {"interrupted", "finished_with_quarantine"}, where
        expected = after_two if committed else after_one
        got = _state(root)
        for name in expected:
            assert got[name] == expected[name], (where, name)
        assert set(got) == set(expected), where
        # every file an interrupted run loaded is accounted for in its run_files rows
        assert _query(
            root,
            "SELECT count(*) FROM source_files AS s JOIN runs AS r USING (run_id)"
            " WHERE r.status = 'interrupted' AND NOT EXISTS (SELECT 1 FROM run_files AS f"
            " WHERE f.run_id = s.run_id AND f.file_id = s.file_id)",
        ) == [(0,)], where
        # no staging, no temporary file, no spool of patient data is left
        leftovers = [p.name for p in (root / "out").rglob("*") if p.name.startswith(".")]
        assert leftovers == [], where
        assert list(Path(env["TMPDIR"]).iterdir()) == [], where


def _kill_after(root: Path, inbox: Path, env: dict[str, str], line: str, delay: float) -> str:
    """Start a run, SIGKILL it ``delay`` seconds after it logs ``line`` (or when it ends);
    check that its whole process group is gone soon after. Returns what it logged last."""
    proc = _claimflow(*_run_args(root, inbox), env=env)
    assert proc.stderr is not None
    seen = ""
    for raw in proc.stderr:
        text = raw.decode(errors="replace").rstrip("\n")
        if " INFO claimflow." in text:
            seen = text.split(": ", 1)[-1]
        if seen == line:
            time.sleep(delay)
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stderr.close()
    deadline = time.monotonic() + 10
    while True:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break  # no process of the run outlives it
        assert time.monotonic() < deadline, f"a process of the killed run lives on ({seen})"
        time.sleep(0.1)
    return seen


def _query(root: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = duckdb.connect(str(root / "wh.duckdb"), read_only=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _state(root: Path) -> dict[str, Any]:
    """Every table (as a sorted list of rows, volatile columns left out) and every output file
    (normalised the same way), by name."""
    state: dict[str, Any] = {}
    conn = duckdb.connect(str(root / "wh.duckdb"), read_only=True)
    try:
        tables = [
            t
            for (t,) in conn.execute(
                "SELECT table_name FROM duckdb_tables() WHERE NOT temporary"
                " UNION SELECT view_name FROM duckdb_views() WHERE NOT internal AND NOT temporary"
            ).fetchall()
            if t not in OWN_RECORDS
        ]
        for table in sorted(tables):
            columns = [
                c
                for (c,) in conn.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ?"
                    " ORDER BY ordinal_position",
                    [table],
                ).fetchall()
                if not VOLATILE.search(c)
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            rows = conn.execute(f'SELECT {select} FROM "{table}"').fetchall()
            state[f"table {table}"] = sorted((tuple(map(_steady, r)) for r in rows), key=repr)
    finally:
        conn.close()
    out = root / "out"
    candidates = json.loads((out / "resubmission_candidates.json").read_text())
    state["candidates"] = [{k: v for k, v in c.items() if k != "run_id"} for c in candidates]
    log = list(csv.DictReader(io.StringIO((out / "rejection_log.csv").read_text())))
    state["rejection log"] = [
        {k: v for k, v in line.items() if k not in ("run_id", "logged_at")} for line in log
    ]
    corrected = out / "corrected_claims.x12"
    state["corrected claims"] = _unclocked(corrected.read_text()) if corrected.exists() else None
    # the decisions in the metrics of the last run
    last = json.loads(max((out / "metrics").glob("*.json")).read_text())
    keys = ("total_claims", "denied", "flagged_for_resubmission", "exclusion_reasons")
    state["decisions"] = {k: last[k] for k in keys}
    return state


def _steady(value: object) -> object:
    """A float to 10 significant digits: DuckDB sums floats in parallel, in no fixed order, so
    the last digits of a float aggregate (a forecast, a rate) differ from run to run."""
    return float(f"{value:.10g}") if isinstance(value, float) else value


def _unclocked(x12: str) -> list[list[str]]:
    """The 837's segments with the clock's date and time blanked (ISA09-10, GS04-05, BHT05)."""
    blank = {"ISA": (9, 10), "GS": (4, 5), "BHT": (5,)}
    segments = []
    for text in x12.replace("\n", "").split("~"):
        elements = text.split("*")
        for i in blank.get(elements[0], ()):
            elements[i] = ""
        segments.append(elements)
    return segments


def test_a_killed_run_leaves_no_spool_behind_and_the_next_removes_it(tmp_path: Path) -> None:
    spool_root = tmp_path / "tmp"
    spool_root.mkdir()
    env = {**os.environ, "TMPDIR": str(spool_root)}
    holder = subprocess.Popen(
        [sys.executable, "-c", "from claimflow.sources.workers import private_spool;"
         "import time; print(private_spool(), flush=True); time.sleep(60)"],
        env=env, stdout=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    assert holder.stdout is not None
    folder = Path(holder.stdout.readline().decode().strip())
    (folder / "claims.parquet").write_bytes(b"patient data")
    holder.kill()
    holder.wait()
    holder.stdout.close()
    assert folder.exists()  # SIGKILL runs no cleanup ...
    mine = subprocess.run(
        [sys.executable, "-c", "from claimflow.sources.workers import private_spool;"
         "print(private_spool())"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert not folder.exists()  # ... the next spool removes the dead process's
    shutil.rmtree(mine)
