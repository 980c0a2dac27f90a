"""The X12 adapter: parse files with the engine, ahead of the loader, in worker processes.

The engine is pure Python and CPU-bound, the warehouse load is not: while the loader writes one
file, the next ones are parsed on the other cores. At most ``window`` parses are in flight, so
memory stays bounded whatever the inbox holds.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from claimflow.errors import UnreadableFileError
from claimflow.x12 import ErrorLevel, ParseResult, X12Error, parse_file


def parse_x12(path: str, file_id: str, data_source: str) -> ParseResult:
    """Parse one file, collecting errors.

    Raises:
        UnreadableFileError: The engine found no interchange it could read.
    """
    try:
        result = parse_file(
            path, file_id=file_id, level=ErrorLevel.COLLECT, data_source=data_source
        )
    except X12Error as exc:
        raise UnreadableFileError(path, f"not readable as X12: {exc}") from None
    if not result.transactions:
        first = result.errors[0].message if result.errors else "no transaction set found"
        raise UnreadableFileError(path, f"not readable as X12: {first}")
    return result


class X12Prefetch:
    """Parses queued X12 files in worker processes; hands results back in any order asked.

    Args:
        workers: Worker processes (1 parses in the caller, on demand).
        window: Parses in flight at most.
    """

    def __init__(self, workers: int | None = None, window: int = 4) -> None:
        workers = workers or min(2, os.cpu_count() or 1)
        # spawn, not fork: the loader process holds DuckDB's and numpy's threads, and a forked
        # copy of a threaded process can crash (seen: a segfault in the child's GC)
        context = multiprocessing.get_context("spawn")
        self.pool = ProcessPoolExecutor(workers, mp_context=context) if workers > 1 else None
        self.window = window
        self.queue: list[tuple[str, str, str]] = []
        self.running: dict[str, Future[ParseResult]] = {}

    def add(self, path: Path, file_id: str, data_source: str) -> None:
        """Queue a file to parse."""
        self.queue.append((str(path), file_id, data_source))
        self._top_up()

    def _top_up(self) -> None:
        while self.pool is not None and self.queue and len(self.running) < self.window:
            path, file_id, source = self.queue.pop(0)
            self.running[file_id] = self.pool.submit(parse_x12, path, file_id, source)

    def result(self, path: Path, file_id: str, data_source: str) -> ParseResult:
        """The parse of a file (waiting for its worker, or parsing it here if never queued).

        Raises:
            UnreadableFileError: As :func:`parse_x12`.
        """
        future = self.running.pop(file_id, None)
        self.queue = [q for q in self.queue if q[1] != file_id]
        try:
            return future.result() if future else parse_x12(str(path), file_id, data_source)
        finally:
            self._top_up()

    def close(self) -> None:
        """Stop the workers (pending parses are dropped)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
