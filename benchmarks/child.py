"""Time what the user runs: a command as a child process, the way every benchmark here does.

Wall seconds from spawn to exit; CPU seconds and peak RSS from ``os.wait4`` — of that child
alone (and of children it waited for), never of every child the benchmark ran so far, which is
what ``RUSAGE_CHILDREN`` would give.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Timed:
    """One child process: exit code, output, wall seconds, and its own rusage."""

    returncode: int
    stdout: str
    stderr: str
    wall: float
    cpu: float
    rss_mb: float


def timed(command: list[str], env: dict[str, str] | None = None) -> Timed:
    """Run ``command`` as a child and time it (its output is kept in temporary files, so a
    large output neither blocks the child nor stays in this process's memory meanwhile)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        return Timed(
            os.waitstatus_to_exitcode(status),
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
            wall,
            usage.ru_utime + usage.ru_stime,
            usage.ru_maxrss / 1024,
        )
