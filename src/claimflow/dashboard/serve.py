"""Serve the dashboard: the Streamlit command ``claimflow dashboard`` runs, as a child that
never outlives it.

The command (:func:`streamlit_command`) runs the entry script :data:`SCRIPT` in served mode:
headless, the viewer's toolbar only (no "Deploy", "Rerun" or "Clear cache": ``client.toolbarMode
viewer``), no watching of the source files, no usage statistics.

The child stays in ``claimflow dashboard``'s process group, so whoever stops the whole group
(a terminal's Ctrl-C, a supervisor, ``kill -- -PGID``) stops it too; and SIGTERM, SIGINT or
SIGHUP sent to ``claimflow dashboard`` alone is passed on to the child (as SIGTERM, Streamlit's
graceful stop), which is then waited for — killed if it has not stopped within
:data:`STOP_TIMEOUT` seconds.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType

SCRIPT = Path(__file__).parent / "entrypoint" / "streamlit_app.py"
"""The script Streamlit runs (it calls :func:`claimflow.dashboard.app.main`)."""

SERVED: tuple[tuple[str, str], ...] = (
    ("server.headless", "true"),
    ("client.toolbarMode", "viewer"),
    ("server.fileWatcherType", "none"),
    ("browser.gatherUsageStats", "false"),
)
"""Streamlit's options in served mode: what a viewer needs, none of a developer's tools."""

STOP_TIMEOUT = 10.0
"""Seconds the child has to stop after a forwarded signal before it is killed."""

FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def streamlit_command(
    host: str, port: int, script: Path = SCRIPT, python: str = sys.executable
) -> list[str]:
    """The command that serves ``script`` on ``host``:``port`` in served mode (:data:`SERVED`)."""
    options = [*SERVED, ("server.port", str(port)), ("server.address", host)]
    return [python, "-m", "streamlit", "run", str(script),
            *(arg for name, setting in options for arg in (f"--{name}", setting))]  # fmt: skip


def run_child(command: Sequence[str], env: Mapping[str, str]) -> int:
    """Run ``command`` until it exits, forwarding stop signals to it; its exit status.

    Returns:
        The child's exit code, or 128 + the signal number if a signal ended it.
    """
    child = subprocess.Popen(list(command), env=dict(env))
    stopping_since: list[float] = []

    def forward(signum: int, _frame: FrameType | None) -> None:
        if not stopping_since:
            stopping_since.append(time.monotonic())
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED}
    try:
        while True:
            try:
                code = child.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                if stopping_since and time.monotonic() - stopping_since[0] > STOP_TIMEOUT:
                    child.kill()
    finally:
        if child.poll() is None:  # an exception of our own: do not leave the child behind
            child.kill()
            child.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code if code >= 0 else 128 - code
