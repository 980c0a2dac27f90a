"""The X12 parse workers (spawned processes that never re-run the host's main script) and
the spool files they write."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from claimflow.sources import x12_fast
from claimflow.sources.x12 import X12Prefetch, read_spool, spool_parse
from claimflow.x12 import parse_file
from tests.conftest import REPO

SMALL_835 = next((REPO / "tests" / "data" / "x12" / "corpus").glob("*/*X221*835*case__2.edi"))


def test_workers_do_not_run_the_hosts_main_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A host whose __main__ must not run twice (Streamlit runs the dashboard as __main__):
    # a spawned worker that re-imported it would write the marker and die.
    marker = tmp_path / "ran-twice"
    script = tmp_path / "host.py"
    script.write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('x')\nraise SystemExit(1)\n"
    )
    host = types.ModuleType("__main__")
    host.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", host)
    prefetch = X12Prefetch(workers=2, pool_min_bytes=0)
    try:
        prefetch.add(SMALL_835, "f1", "x12")
        parsed = prefetch.result(SMALL_835, "f1", "x12")
    finally:
        prefetch.close()
    assert parsed.rows["adjudication"] == 2
    assert not marker.exists()
    assert sys.modules["__main__"] is host
    assert not Path(prefetch.spool_dir).exists()


@pytest.mark.parametrize("fast_path", ["1", "0"])
def test_spool_files_roll_over_and_keep_every_row_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fast_path: str
) -> None:
    # 3,000 copies of a small 835 interchange in one file: the engine (or the compiled fast
    # path, when built) hands its rows over in several batches; with one row group per batch
    # and two row groups per file, every table spans several spool files, which together hold
    # the rows the in-memory parse gives
    monkeypatch.setenv("CLAIMFLOW_X12_NATIVE", fast_path)
    monkeypatch.setattr(x12_fast, "TAKE_ROWS", 1000)
    monkeypatch.setattr(x12_fast, "READ_BYTES", 1 << 16)
    one = (REPO / "tests" / "data" / "x12" / "valid" / "835_small.x12").read_bytes()
    many = tmp_path / "many.x12"
    many.write_bytes(one * 3000)
    expected = parse_file(many, file_id="many").tables
    spool = tmp_path / "spool"
    spool.mkdir()
    parsed = spool_parse(str(many), "many", "x12", str(spool), row_group_bytes=1, part_row_groups=2)
    assert (
        parsed.rows["adjudication"] == len(expected["adjudication"]) == 3000 * 3
    )  # three CLP each
    assert len(parsed.files["adjudication"]) > 1
    for name, rows in expected.items():
        if not rows:
            assert name not in parsed.files
            continue
        paths = parsed.files[name]
        assert all(pq.ParquetFile(p).metadata.num_row_groups <= 2 for p in paths)
        got = duckdb.sql(f"SELECT segment_index, lineage_hash FROM {read_spool(paths)}").fetchall()
        assert got == [(r["segment_index"], r["lineage_hash"]) for r in rows], name
    parsed.remove()
    assert list(spool.iterdir()) == []


def test_workers_die_with_the_process_that_started_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A host that has its workers parsing, killed with SIGKILL (no cleanup runs): every
    # process of its group is gone soon after, and no spool of patient data outlives it that
    # the next spool does not remove.
    import os
    import signal
    import subprocess
    import time

    host = tmp_path / "host.py"
    host.write_text(
        "import sys, time\n"
        "from pathlib import Path\n"
        "from claimflow.sources.x12 import X12Prefetch\n"
        "p = X12Prefetch(workers=2, pool_min_bytes=0)\n"
        f"for n in range(6): p.add(Path({str(SMALL_835)!r}), f'f{{n}}', 'x12')\n"
        "p.result(Path(" + repr(str(SMALL_835)) + "), 'f0', 'x12')\n"
        "print(p.spool_dir, len(p.pool._processes), flush=True)\n"
        "time.sleep(120)\n"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, str(host)], stdout=subprocess.PIPE, env=env, start_new_session=True
    )
    assert proc.stdout is not None
    spool, workers = proc.stdout.readline().decode().split()
    assert int(workers) == 2 and Path(spool).exists()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    deadline = time.monotonic() + 10
    while True:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break  # no worker outlived the host
        assert time.monotonic() < deadline, "a worker outlived the process that started it"
        time.sleep(0.1)
    import tempfile

    from claimflow.sources.workers import private_spool

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    mine = private_spool()
    assert not Path(spool).exists()
    Path(mine).rmdir()
