"""No process outlives its run, and no spool of patient data outlives its process.

Worker processes ask the kernel to kill them when the process that started them dies
(``PR_SET_PDEATHSIG``), however it dies — SIGKILL included, when no ``finally`` runs. Spool
folders carry their owner's process id; each new spool removes the folders of owners that
are gone.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

SPOOL_PREFIX = "claimflow-x12-"
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Worker initializer: be killed when the parent process dies (Linux); leave Ctrl-C, which
    a terminal sends to the whole process group, to the parent (it stops the workers).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)


def private_spool() -> str:
    """A new spool folder of this process (mode 0700), after removing those of dead ones."""
    root = Path(tempfile.gettempdir())
    for folder in root.glob(f"{SPOOL_PREFIX}*-*"):
        owner = folder.name[len(SPOOL_PREFIX) :].split("-", 1)[0]
        if owner.isdigit() and not _alive(int(owner)):
            shutil.rmtree(folder, ignore_errors=True)
    return tempfile.mkdtemp(prefix=f"{SPOOL_PREFIX}{os.getpid()}-", dir=root)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
