"""``claimflow dashboard`` stopped with SIGTERM leaves no Streamlit server behind."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.marts.conftest import build_outcomes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _group(pgid: int) -> list[int]:
    """The pids of the processes (not zombies) whose process group is ``pgid``, from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # state, ppid, pgrp, ...
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return bool(_group(pgid))  # a zombie not reaped yet is not a process left running


def test_sigterm_stops_the_streamlit_child(tmp_path: Path) -> None:
    warehouse = build_outcomes(tmp_path / "w.duckdb")
    port = _free_port()
    env = {**os.environ, "HOME": str(tmp_path)}  # no ~/.streamlit of the developer's
    proc = subprocess.Popen(
        [sys.executable, "-m", "claimflow", "dashboard", "--warehouse", str(warehouse),
         "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    pgid = proc.pid  # a session leader: its group is its pid
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, "claimflow dashboard exited before serving"
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/_stcore/health", timeout=2
                ) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the dashboard did not answer within 120 s"
            time.sleep(0.5)
        children = [pid for pid in _group(pgid) if pid != proc.pid]
        assert children, "Streamlit should run as a child in claimflow's process group"
        os.kill(proc.pid, signal.SIGTERM)  # claimflow only, as a supervisor's `kill PID` does
        proc.wait(timeout=30)
        deadline = time.monotonic() + 15
        while _group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _group_alive(pgid), f"left running: {_group(pgid)}"
        with pytest.raises(ProcessLookupError):
            os.killpg(pgid, 0)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        if proc.poll() is None:
            proc.wait()
