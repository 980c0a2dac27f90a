"""What readers read: a read-only copy of the warehouse as the last run committed it.

DuckDB lets one process write a file, and none open it for reading while it does (nor write it
while another process reads it). So the readers — the CLI's read commands, the HTTP API and
the dashboard — never open the warehouse: a run *publishes* a serving snapshot, and they read
that.

Publishing (:func:`publish_snapshot`, by the run after its commit and its output files):
``CHECKPOINT`` (the file then holds every committed change and the write-ahead log is empty, so
the file alone is a consistent database), copy the file beside it (``shutil.copyfile``: the
kernel copies, sendfile or copy_file_range), fsync, and rename the copy over
``<stem>.serving<suffix>`` (``os.replace``: atomic). A reader holding the previous snapshot
open goes on reading it (on Linux the old inode lives while it is open) until it reopens; the
next one to open the path gets the new one. Nobody ever writes the published file in place.

A run killed between its commit and the publish leaves the previous snapshot behind: the next
run publishes at its start (:func:`publish_if_stale`) when the snapshot's latest run is not the
warehouse's, and again at its end. A warehouse of an older claimflow has no snapshot until the
next run: readers then read the warehouse itself, read-only, one command or request at a time
(the old way, which a run may collide with).

Reading (:class:`Reader`, one per process): one read-only connection per published file, a
cursor per request or page; each use stats the published file (inode, mtime, size), and a
change opens the new file. With ``background`` the new file is opened (and ``prepare`` run on
it, e.g. the API's default KPIs) in a thread while requests are still answered from the old
one, then swapped in: no request waits for the swap.

The snapshot is opened by ``ATTACH ... (READ_ONLY)`` into a private in-memory database, not by
``duckdb.connect(path)``: DuckDB keeps one database instance per path in a process, so a second
connect to the same path while a cursor of the first is alive would get the old file's instance.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from claimflow.errors import ClaimflowError
from claimflow.warehouse.connection import connect_file, open_warehouse

log = logging.getLogger("claimflow.serving")

ALIAS = "serving"
"""The name the snapshot is attached under (the default catalog of every cursor)."""

Version = tuple[int, int, int]
"""A published file's identity: inode, modification time (ns), size."""


def serving_path(warehouse: str | os.PathLike[str]) -> Path:
    """The published snapshot of ``warehouse``: ``claimflow.duckdb`` → ``claimflow.serving.duckdb``."""
    path = Path(warehouse)
    return path.with_name(f"{path.stem}.serving{path.suffix}")


def _temporary(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.tmp")


def _fsync(path: Path, flags: int = os.O_RDONLY) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish_snapshot(conn: duckdb.DuckDBPyConnection, warehouse: str | os.PathLike[str]) -> bool:
    """Publish what ``conn`` (the run's connection, outside any transaction) has committed.

    A failure is logged, not raised: the run's work is committed, readers keep the previous
    snapshot, and the next run publishes (:func:`publish_if_stale`).

    Returns:
        Whether a snapshot was published.
    """
    source = Path(warehouse)
    target = serving_path(source)
    temporary = _temporary(target)
    try:
        conn.execute("CHECKPOINT")
        wal = Path(f"{source}.wal")
        if wal.exists() and wal.stat().st_size > 0:
            log.warning("%s: the checkpoint left a write-ahead log; snapshot not published", source)
            return False
        shutil.copyfile(source, temporary)
        os.chmod(temporary, source.stat().st_mode & 0o777)
        _fsync(temporary)
        os.replace(temporary, target)
        _fsync(target.parent)
    except (OSError, duckdb.Error) as exc:
        temporary.unlink(missing_ok=True)
        log.warning("%s: serving snapshot not published (%s)", source, exc)
        return False
    return True


def _latest_run(conn: duckdb.DuckDBPyConnection) -> str | None:
    try:
        row = conn.execute(
            "SELECT run_id FROM runs ORDER BY started_at DESC, run_id DESC LIMIT 1"
        ).fetchone()
    except duckdb.Error:
        return None
    return str(row[0]) if row else None


def published_run(warehouse: str | os.PathLike[str]) -> str | None:
    """The latest run in the published snapshot (None: no snapshot, or one that cannot be read)."""
    path = serving_path(warehouse)
    if not path.exists():
        return None
    try:
        conn = open_snapshot(path)
    except (duckdb.Error, ClaimflowError):  # e.g. an unencrypted one, now that a key is set
        return None
    try:
        return _latest_run(conn)
    finally:
        conn.close()


def publish_if_stale(conn: duckdb.DuckDBPyConnection, warehouse: str | os.PathLike[str]) -> bool:
    """At the start of a run (before its own run row): publish the warehouse when the snapshot
    lacks its latest run — a run killed between its commit and its publish, a run interrupted
    after loading files, or a warehouse that has none yet. Removes temporary files a killed
    publish left. Returns whether it published."""
    target = serving_path(warehouse)
    for leftover in target.parent.glob(f".{target.name}.*.tmp"):
        leftover.unlink(missing_ok=True)
    latest = _latest_run(conn)
    if latest is None or latest == published_run(warehouse):
        return False
    log.info("publishing the serving snapshot of run %s, which did not publish it", latest)
    return publish_snapshot(conn, warehouse)


def open_snapshot(path: str | os.PathLike[str]) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a published snapshot (attached into a private in-memory
    database, encrypted with the warehouse's key when one is set; :func:`cursor` gives more
    connections to it)."""
    return connect_file(path, read_only=True, alias=ALIAS)


def cursor(conn: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A connection of its own (temporary tables, one thread) to the snapshot ``conn`` reads."""
    child = conn.cursor()
    child.execute(f"USE {ALIAS}")
    return child


def open_for_reading(warehouse: str | os.PathLike[str]) -> duckdb.DuckDBPyConnection:
    """What a one-off reader (a CLI command) reads: the published snapshot, else the warehouse
    itself, read-only (an older warehouse, until its next run).

    Raises:
        WarehouseError: Neither exists, or the file cannot be opened.
    """
    path = serving_path(warehouse)
    if path.exists():
        try:
            return open_snapshot(path)
        except duckdb.Error as exc:
            log.warning(
                "%s: cannot read the serving snapshot (%s); reading the warehouse", path, exc
            )
        except ClaimflowError:
            pass  # its key (missing, wrong, or one set for a plain file): the warehouse's says
    return open_warehouse(warehouse, read_only=True)


@dataclass(eq=False)
class Snapshot:
    """One opened published file (or, with ``version`` None, the warehouse for one use).

    Attributes:
        path: The file read.
        version: The published file's inode, mtime and size when it was opened; None when
            this is the warehouse itself, opened for one use.
        conn: The connection; take a :meth:`cursor` per thread.
        run_id: The latest run in it.
    """

    path: Path
    version: Version | None
    conn: duckdb.DuckDBPyConnection
    run_id: str | None = None
    published_at_ns: int = 0

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own for one request or page (close it when done)."""
        return cursor(self.conn) if self.version is not None else self.conn


def _stat(path: Path) -> Version | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_ino, found.st_mtime_ns, found.st_size)


@dataclass(eq=False)
class Reader:
    """A process's read-only view of a warehouse: the latest published snapshot, kept open.

    Args:
        warehouse: The warehouse file (its snapshot is :func:`serving_path`).
        prepare: Called with each newly opened snapshot before it is served (e.g. to warm a
            cache); in the background thread, or after the first open, beside the requests.
        background: Open a new snapshot in a thread, serving the old one meanwhile; else the
            use that sees the change opens it.
    """

    warehouse: Path
    prepare: Callable[[Snapshot], None] | None = None
    background: bool = False
    _current: Snapshot | None = field(default=None, init=False)
    _pending: Version | None = field(default=None, init=False)
    _failed: Version | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _opening: threading.Lock = field(default_factory=threading.Lock, init=False)

    @property
    def published(self) -> Path:
        return serving_path(self.warehouse)

    def current(self) -> Snapshot | None:
        """The snapshot served now (None before the first use)."""
        return self._current

    @contextlib.contextmanager
    def reading(self) -> Iterator[tuple[Snapshot, duckdb.DuckDBPyConnection]]:
        """The snapshot to answer from, and a connection of its own to it."""
        snap = self.snapshot()
        conn = snap.cursor()
        try:
            yield snap, conn
        finally:
            conn.close()

    def snapshot(self) -> Snapshot:
        """The snapshot to answer from: the latest published one (stat'ed once per call), or
        the warehouse itself when none is published (close its ``conn`` when done).

        Raises:
            WarehouseError: Nothing to read (no snapshot, no warehouse).
        """
        version = _stat(self.published)
        if version is None:
            return self._fallback()
        with self._lock:
            current = self._current
            if current is not None and current.version == version:
                return current
            if current is not None and self.background:
                if self._pending is None and version != self._failed:
                    self._pending = version
                    threading.Thread(
                        target=self._refresh, args=(version,), name="claimflow-serving",
                        daemon=True,
                    ).start()  # fmt: skip
                return current
        with self._opening:  # one thread opens; the others then find it current
            current = self._current
            if current is not None and current.version == version:
                return current
            try:
                snap = self._open(version)
            except duckdb.Error as exc:
                log.warning("%s: cannot read the serving snapshot (%s)", self.published, exc)
                if current is not None:
                    return current
                return self._fallback()
            with self._lock:
                self._current = snap
        if self.prepare is not None:
            threading.Thread(target=self._prepare, args=(snap,), daemon=True).start()
        return snap

    def _fallback(self) -> Snapshot:
        conn = open_warehouse(self.warehouse, read_only=True)
        return Snapshot(self.warehouse, None, conn, _latest_run(conn))

    def _open(self, version: Version) -> Snapshot:
        conn = open_snapshot(self.published)
        return Snapshot(self.published, version, conn, _latest_run(conn), version[1])

    def _prepare(self, snap: Snapshot) -> None:
        if self.prepare is None:
            return
        try:
            self.prepare(snap)
        except Exception as exc:  # a cache left cold is no reason to stop serving
            log.warning("preparing snapshot of run %s failed: %s", snap.run_id, type(exc).__name__)

    def _refresh(self, version: Version) -> None:
        try:
            snap = self._open(version)
        except duckdb.Error as exc:
            log.warning("%s: cannot read the serving snapshot (%s)", self.published, exc)
            with self._lock:
                self._pending, self._failed = None, version
            return
        self._prepare(snap)
        with self._lock:
            self._current = snap  # the old one closes when its last cursor is gone
            self._pending = None
