"""The X12 adapter: parse files with the engine, ahead of the loader, in worker processes.

Each parse streams its rows, in batches, into one Parquet file per canonical table (the
*spool*), so neither the worker nor the loader ever holds a whole file's rows: memory stays flat
whatever the file size, and the loader moves the rows into the warehouse with one SQL statement
per table instead of converting Python objects. The engine is pure Python and CPU-bound, the
warehouse load is not: while the loader writes one file, the next ones are parsed on the other
cores. At most ``window`` parses are in flight.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import sys
import types
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from claimflow.errors import UnreadableFileError
from claimflow.schema import SILVER_TABLES, Table
from claimflow.sources import x12_fast as native
from claimflow.sources.workers import die_with_parent, private_spool
from claimflow.warehouse.arrow import arrow_type, rows_to_arrow
from claimflow.warehouse.sql import sql_str
from claimflow.x12 import ErrorLevel, ParseResult, X12Error, parse_file
from claimflow.x12.result import Row

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in SILVER_TABLES}
RUN_COLUMNS = ("source_system", "run_id", "ingested_at")
"""Columns the loader sets for the whole file; the spool does not carry them."""


def spool_columns(table: Table) -> tuple[str, ...]:
    """The columns of ``table`` a spool file holds (all but the per-run ones)."""
    return tuple(c for c in table.column_names if c not in RUN_COLUMNS)


ROW_GROUP_BYTES = 8 << 20
"""Parsed rows wait, as Arrow, until all tables' waiting rows hold this many bytes; then each
table's rows become one row group (the engine hands over ≈ 10,000 rows at a time, split among
up to nine tables: a row group per hand-over made thousands of tiny row groups)."""

PART_ROW_GROUPS = 64
"""A spool file is closed after this many row groups and its table goes on in the next one.
A Parquet writer keeps every row group's metadata until it closes (≈ 12 KB per row group of
15 columns) and serialises it all at once at the end: one spool file per table made a 1 GB 835
grow the parse past its memory budget."""


@dataclass
class SpooledParse:
    """A parse whose rows wait in Parquet files, one or more per table that has rows.

    Attributes:
        result: The parse (errors, warnings, transaction sets); its ``tables`` are empty.
        files: Table name → its spool files, in row order (see :func:`read_spool`).
        rows: Table name → rows written.
        fast_path: True when the compiled fast path read the file (see ``x12_fast``).
        placed: Table name → (rows to load, rows to quarantine), as :func:`place_rows`
            places them: a table with nothing to quarantine is loaded without looking at
            the transaction sets.
        set_rows: Rows extracted from each transaction set (``result.transactions``'
            order), all tables together.
    """

    result: ParseResult
    files: dict[str, list[str]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    fast_path: bool = False
    placed: dict[str, tuple[int, int]] = field(default_factory=dict)
    set_rows: list[int] = field(default_factory=list)

    def remove(self) -> None:
        """Delete the spool files."""
        for paths in self.files.values():
            for path in paths:
                Path(path).unlink(missing_ok=True)


def set_bounds(result: ParseResult) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each transaction set's first and last segment (its first when it has no SE) and
    whether its rows load, in file order: what a row is placed by."""
    txns = result.transactions
    firsts = np.fromiter((t.first_segment for t in txns), np.int64, len(txns))
    lasts = np.fromiter((t.last_segment or t.first_segment for t in txns), np.int64, len(txns))
    oks = np.fromiter((t.valid for t in txns), np.bool_, len(txns))
    return firsts, lasts, oks


def place_rows(spooled: SpooledParse) -> None:
    """Count where each spooled row goes (``placed``) and what each set holds (``set_rows``).

    A row belongs to the last set that starts at or before its anchor segment; it loads when
    that set is valid and the row lies within it, and is quarantined otherwise (also when no
    set starts before it). Only the ``segment_index`` column of the spool is read back, a
    batch at a time (memory stays flat).
    """
    firsts, lasts, oks = set_bounds(spooled.result)
    per_set = np.zeros(len(firsts) + 1, np.int64)  # the last slot: rows before any set
    for name, paths in spooled.files.items():
        good = bad = 0
        for batch in (
            b
            for path in paths
            for b in pq.ParquetFile(path).iter_batches(columns=["segment_index"])
        ):
            index = batch.column(0).fill_null(-1).to_numpy().astype(np.int64, copy=False)
            sets = np.searchsorted(firsts, index, side="right") - 1
            inside = sets >= 0
            ok = np.zeros(len(index), np.bool_)
            ok[inside] = oks[sets[inside]] & (index[inside] <= lasts[sets[inside]])
            per_set += np.bincount(np.where(inside, sets, len(firsts)), minlength=len(per_set))
            n_ok = int(ok.sum())
            good += n_ok
            bad += len(index) - n_ok
        spooled.placed[name] = (good, bad)
    spooled.set_rows = [int(n) for n in per_set[: len(firsts)]]


def read_spool(paths: list[str]) -> str:
    """SQL reading a table's spool files, in row order."""
    return "read_parquet([" + ", ".join(sql_str(p) for p in paths) + "])"


class _SpoolWriter:
    """Writes a parse's row batches into Parquet spool files (see the constants above)."""

    def __init__(
        self,
        spooled: SpooledParse,
        stem: Path,
        row_group_bytes: int,
        part_row_groups: int,
        whole: bool = False,
    ) -> None:
        self.whole = whole
        self.spooled = spooled
        self.stem = stem
        self.row_group_bytes = row_group_bytes
        self.part_row_groups = part_row_groups
        self.waiting: dict[str, list[pa.Table]] = {}
        self.waiting_bytes = 0
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.groups: dict[str, int] = {}

    def add(self, name: str, rows: list[Row]) -> None:
        """Take one batch of a table's rows."""
        table = TABLES_BY_NAME[name]
        self.add_arrow(name, rows_to_arrow(table, rows, spool_columns(table)))

    def add_arrow(self, name: str, batch: pa.Table) -> None:
        """Take one batch of a table's rows, already typed as the spool's columns."""
        self.waiting.setdefault(name, []).append(batch)
        self.waiting_bytes += batch.nbytes
        self.spooled.rows[name] = self.spooled.rows.get(name, 0) + batch.num_rows
        if self.waiting_bytes >= self.row_group_bytes:
            self.flush()

    def discard(self) -> None:
        """Drop every row taken so far and remove the files written (start afresh)."""
        self.close()
        self.spooled.remove()
        self.spooled.files.clear()
        self.spooled.rows.clear()
        self.waiting.clear()
        self.waiting_bytes = 0

    def flush(self) -> None:
        """Write every table's waiting rows as one row group."""
        for name, batches in self.waiting.items():
            self._write(name, pa.concat_tables(batches))
        self.waiting.clear()
        self.waiting_bytes = 0

    def _write(self, name: str, rows: pa.Table) -> None:
        if self.whole:  # every column of the table, the run's own empty, in the table's order
            table = TABLES_BY_NAME[name]
            rows = pa.Table.from_arrays(
                [
                    rows.column(c.name)
                    if c.name in rows.column_names
                    else pa.nulls(rows.num_rows, arrow_type(c.sql_type))
                    for c in table.columns
                ],
                names=list(table.column_names),
            )
        writer = self.writers.get(name)
        if writer is not None and self.groups[name] >= self.part_row_groups:
            writer.close()
            writer = None
        if writer is None:
            paths = self.spooled.files.setdefault(name, [])
            target = f"{self.stem}.{name}.{len(paths):05d}.parquet"
            paths.append(target)
            # the spool is read once, whole: no statistics, and no dictionaries (its widest
            # columns, keys and lineage hashes, are unique): the rows of a 100,000-claim 835 are
            # written in ≈ 0.8 s instead of 1.0–1.4 s
            writer = self.writers[name] = pq.ParquetWriter(
                target, rows.schema, use_dictionary=False, write_statistics=False
            )
            self.groups[name] = 0
        writer.write_table(rows, row_group_size=max(rows.num_rows, 1))
        self.groups[name] += 1

    def close(self) -> None:
        """Close every spool file (waiting rows are written only by :meth:`flush`)."""
        for writer in self.writers.values():
            writer.close()
        self.writers.clear()


def spool_parse(
    path: str,
    file_id: str,
    data_source: str,
    spool_dir: str,
    *,
    row_group_bytes: int = ROW_GROUP_BYTES,
    part_row_groups: int = PART_ROW_GROUPS,
    whole: bool = False,
) -> SpooledParse:
    """Parse one file, streaming its rows into Parquet files under ``spool_dir``.

    Args:
        path: The X12 file.
        file_id: Its id (names the spool files).
        data_source: The rows' ``data_source``.
        spool_dir: Where the spool files go.
        row_group_bytes: See :data:`ROW_GROUP_BYTES`.
        part_row_groups: See :data:`PART_ROW_GROUPS`.
        whole: Write what ``claimflow x12 parse`` hands over instead of a spool for the
            loader: one file per table (no roll-over: with 8 MB row groups a 1 GB file makes a
            few hundred, whose metadata a writer holds easily), with every column of the table
            (the run's own NULL); the rows are not placed (``placed``, ``set_rows`` empty).

    Raises:
        UnreadableFileError: The engine found no interchange it could read.
    """
    spooled = SpooledParse(ParseResult(file_id))
    if whole:
        part_row_groups = 1 << 62
    spool = _SpoolWriter(
        spooled, Path(spool_dir) / file_id, row_group_bytes, part_row_groups, whole
    )

    try:
        try:
            fast = native.parse_fast(path, file_id, data_source, spool.add_arrow)
            if fast is not None:
                spooled.result = fast
                spooled.fast_path = True
                spool.flush()
                spool.close()
                if not whole:
                    place_rows(spooled)
                return spooled
            spool.discard()
            spooled.result = parse_file(
                path,
                file_id=file_id,
                level=ErrorLevel.COLLECT,
                data_source=data_source,
                on_rows=spool.add,
            )
            spool.flush()
        finally:
            spool.close()
    except X12Error as exc:
        spooled.remove()
        raise UnreadableFileError(path, f"not readable as X12: {exc}") from None
    except BaseException:
        spooled.remove()
        raise
    result = spooled.result
    if not result.transactions:
        spooled.remove()
        first = result.errors[0].message if result.errors else "no transaction set found"
        raise UnreadableFileError(path, f"not readable as X12: {first}")
    try:
        if not whole:
            place_rows(spooled)
    except BaseException:
        spooled.remove()
        raise
    return spooled


@contextlib.contextmanager
def _bare_main() -> Iterator[None]:
    """Start workers without re-running the host's ``__main__``.

    A spawned worker re-imports the parent's main script before it runs anything; the workers
    need only this module, and the host may be a script that must not run twice (Streamlit
    runs the dashboard as ``__main__``, a notebook has none worth importing). Workers are
    started inside ``submit``, so the main module is hidden while submitting.
    """
    saved = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = saved


POOL_MIN_BYTES = 32 << 20
"""Queued X12 bytes from which the adapter starts its worker processes. A spawned worker
costs ≈ 0.5 s of imports before its first parse, while the compiled fast path parses
≈ 25 MB/s in the caller: below this, two workers finish later than one process
(``benchmarks/x12_parse.py --scaling``)."""


class X12Prefetch:
    """Parses queued X12 files in worker processes; hands results back in any order asked.

    The workers start once the queued files hold ``pool_min_bytes``; until then (and with one
    worker) a file is parsed in the caller when its result is asked for. Spool files live in
    a private temporary directory removed by :meth:`close`.

    Args:
        workers: Worker processes (1 parses in the caller, on demand).
        window: Parses in flight at most (done ones waiting for the loader included): the
            loader takes a batch of files at a time (``claimflow.pipeline``), and the workers
            go on parsing while it loads.
        pool_min_bytes: See :data:`POOL_MIN_BYTES`.
    """

    def __init__(
        self, workers: int | None = None, window: int = 8, pool_min_bytes: int = POOL_MIN_BYTES
    ) -> None:
        self.workers = workers or min(2, os.cpu_count() or 1)
        self.pool: ProcessPoolExecutor | None = None
        self.pool_min_bytes = pool_min_bytes
        self.queued_bytes = 0
        self.window = window
        self.spool_dir = private_spool()
        self.queue: list[tuple[str, str, str]] = []
        self.running: dict[str, Future[SpooledParse]] = {}

    def add(self, path: Path, file_id: str, data_source: str) -> None:
        """Queue a file to parse."""
        self.queue.append((str(path), file_id, data_source))
        with contextlib.suppress(OSError):
            self.queued_bytes += Path(path).stat().st_size
        if self.pool is None and self.workers > 1 and self.queued_bytes >= self.pool_min_bytes:
            # spawn, not fork: the loader process holds DuckDB's and numpy's threads, and a
            # forked copy of a threaded process can crash (seen: a segfault in the child's GC)
            context = multiprocessing.get_context("spawn")
            self.pool = ProcessPoolExecutor(
                self.workers,
                mp_context=context,
                initializer=die_with_parent,
                initargs=(os.getpid(),),
            )
        self._top_up()

    def _top_up(self) -> None:
        while self.pool is not None and self.queue and len(self.running) < self.window:
            path, file_id, source = self.queue.pop(0)
            with _bare_main():
                self.running[file_id] = self.pool.submit(
                    spool_parse, path, file_id, source, self.spool_dir
                )

    def result(self, path: Path, file_id: str, data_source: str) -> SpooledParse:
        """The parse of a file (waiting for its worker, or parsing it here if never queued).

        Raises:
            UnreadableFileError: As :func:`spool_parse`.
        """
        future = self.running.pop(file_id, None)
        self.queue = [q for q in self.queue if q[1] != file_id]
        try:
            if future is not None:
                return future.result()
            return spool_parse(str(path), file_id, data_source, self.spool_dir)
        finally:
            self._top_up()

    def close(self) -> None:
        """Stop the workers (pending parses are dropped) and remove the spool."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.spool_dir, ignore_errors=True)
