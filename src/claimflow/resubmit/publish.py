"""Outputs follow from committed state: staged before the run commits, put in place after.

A run writes each output file into its staging folder, ``OUT/.claimflow-staging/<run_id>/``,
and records it in ``run_outputs`` (path, size, sha256) in the transaction that commits the run.
Only then are the files put in place: a whole file is renamed over its target; the rejection
log is cut back to the size it had before the run (``append_at``) and the run's lines are
appended, flushed and fsynced; an output the run does not have (no corrected claims) removes
the previous run's file. Then the outputs are marked published and the staging folder removed.

Whatever the moment of a kill, the next run leaves the files as an uninterrupted run would:
killed before the commit, nothing was put in place and the staging folder is removed; killed
after it, the next run puts the committed run's files in place first (:func:`recover`), and
doing so again is harmless (a renamed file is found in place by its size; the log is cut back
before its lines are appended again).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from claimflow.warehouse.sql import insert_rows

log = logging.getLogger("claimflow.publish")

STAGING = ".claimflow-staging"
"""The folder inside the output directory where runs stage their files."""


def staging_dir(out_dir: Path, run_id: str) -> Path:
    """The run's staging folder (created): inside ``out_dir``, so that renames are atomic."""
    folder = out_dir / STAGING / run_id
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass(frozen=True)
class Output:
    """One output file of a run.

    Attributes:
        name: ``candidates``, ``rejection_log``, ``corrected_claims`` or ``metrics``.
        path: Where it is published.
        staged: The file the run wrote, or None when the run has none of this output (the
            previous run's file at ``path`` is then removed).
        append_at: For an appended file, the target's size before the run's lines (0: there
            were none, and the staged file, header and all, is renamed into place).
    """

    name: str
    path: Path
    staged: Path | None
    append_at: int | None = None


def record_outputs(
    conn: duckdb.DuckDBPyConnection, run_id: str, outputs: list[Output]
) -> list[dict[str, object]]:
    """Record the run's outputs (inside the transaction that commits the run).

    Returns:
        Each output's name, path, size and sha256, for the metrics file.
    """
    rows = []
    described: list[dict[str, object]] = []
    for o in outputs:
        size: int | None = None
        digest: str | None = None
        if o.staged is not None:
            o.staged.chmod(0o600)  # outputs may hold patient data: the owner's alone
            size = o.staged.stat().st_size
            digest = _sha256(o.staged)
        rows.append((run_id, o.name, str(o.path), _text(o.staged), size, digest, o.append_at, None))
        described.append({"name": o.name, "path": str(o.path), "bytes": size, "sha256": digest})
    insert_rows(conn, "run_outputs", rows)
    return described


def publish(conn: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Put the committed run's outputs in place, mark them published, remove its staging.

    Safe to call again after a kill at any point inside it.
    """
    pending = conn.execute(
        "SELECT name, path, staged_path, size_bytes, append_at FROM run_outputs"
        " WHERE run_id = ? AND published_at IS NULL ORDER BY name",
        [run_id],
    ).fetchall()
    folders = set()
    for name, path, staged, size, append_at in pending:
        target = Path(path)
        if staged is None:
            target.unlink(missing_ok=True)
            continue
        source = Path(staged)
        folders.add(source.parent)
        if append_at:  # a log with lines before this run's (a new one is renamed into place)
            _append(source, target, int(append_at))
        elif source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
            _sync_folder(target.parent)
        elif not target.exists() or target.stat().st_size != size:
            # renamed by an earlier attempt, and since changed or removed by someone else
            log.warning("output %s of run %s is no longer as published", name, run_id)
    conn.execute(
        "UPDATE run_outputs SET published_at = ? WHERE run_id = ? AND published_at IS NULL",
        [dt.datetime.now(dt.UTC).replace(tzinfo=None), run_id],
    )
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(OSError):  # the staging folder, once no run has one there
            folder.parent.rmdir()


def recover(conn: duckdb.DuckDBPyConnection, out_dir: Path) -> list[str]:
    """Finish what killed runs left: publish committed runs' outputs; remove the staging
    folders of runs that never committed and the empty temporary files of atomic writes.

    Args:
        conn: The warehouse, open for writing (no other run is alive).
        out_dir: The output directory of the run about to start (whose staging folder it
            has not made yet).

    Returns:
        The ids of the runs whose outputs were published here.
    """
    runs = [
        str(r[0])
        for r in conn.execute(
            "SELECT o.run_id FROM run_outputs AS o JOIN runs AS r USING (run_id)"
            " WHERE o.published_at IS NULL GROUP BY o.run_id ORDER BY min(r.started_at)"
        ).fetchall()
    ]
    for run_id in runs:
        log.info("publishing the outputs of run %s, committed before it was stopped", run_id)
        publish(conn, run_id)
    staging = out_dir / STAGING
    if staging.is_dir():
        for folder in staging.iterdir():
            shutil.rmtree(folder, ignore_errors=True)
    for folder in (out_dir, out_dir / "metrics"):
        if folder.is_dir():
            for leftover in folder.glob(".*.tmp"):  # claimflow.atomic's temporary files
                leftover.unlink(missing_ok=True)
    return runs


def _append(source: Path, target: Path, append_at: int) -> None:
    """Cut ``target`` back to ``append_at`` bytes and append ``source`` to it, fsynced."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("ab") as created:  # the log may not exist yet
        created.flush()
    with target.open("r+b") as out, source.open("rb") as lines:
        size = out.seek(0, os.SEEK_END)
        if size > append_at:
            out.truncate(append_at)
        elif size < append_at:  # someone cut or replaced the log since: append to what is there
            log.warning("%s is shorter than when the run started; appending to it", target)
        out.seek(0, os.SEEK_END)
        shutil.copyfileobj(lines, out, 8 << 20)
        out.flush()
        os.fsync(out.fileno())


def _sync_folder(folder: Path) -> None:
    """fsync a folder, so that a rename into it survives a crash of the machine."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(8 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _text(path: Path | None) -> str | None:
    return None if path is None else str(path)
