"""Write files atomically: a temporary file beside the target, fsynced, then renamed over it.

Files claimflow writes may hold patient data: they are the owner's alone. A file written here
is created ``0600`` (``mkstemp``) in folders created ``0700``; every ``claimflow`` command
also sets the process's umask to :data:`PRIVATE_UMASK` (:func:`private_umask`), so what DuckDB
and the other writers create (the warehouse, its snapshot, spool folders, exports) is too.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PRIVATE_UMASK = 0o077
"""Files ``0600``, folders ``0700``: readable by their owner only (docs/security.md)."""


def private_umask() -> int:
    """Make what this process creates from now on its owner's alone; returns the old umask."""
    return os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its missing parents) readable by its owner only; returns it."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success rename it over ``target``."""
    private_dir(target.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with tmp_path.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)
