"""Read many case directories at once: each in a worker process (OCR of a scanned letter takes
seconds and one core), the cases handed back in the order given, each with the error that kept
it from being read."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from claimflow.appeals.case import Case, load_case
from claimflow.appeals.ehr_csv import CsvMapping
from claimflow.errors import ClaimflowError


def _read(case_dir: Path, mapping: CsvMapping | None) -> Case | ClaimflowError:
    try:
        return load_case(case_dir, mapping=mapping)
    except ClaimflowError as exc:
        return exc


def read_cases(
    case_dirs: Sequence[Path], mapping: CsvMapping | None = None, workers: int | None = None
) -> Iterator[tuple[Path, Case | ClaimflowError]]:
    """Each case directory with its case, or the error that kept it from being read, in the
    order given. One directory is read in this process; several by up to ``workers``
    processes (default: the cores), started fresh (``spawn``: the caller may hold an open
    warehouse, which a forked child must not inherit), at most two cases ahead of the one
    handed back, so that memory stays that of a few cases."""
    if len(case_dirs) < 2:
        for case_dir in case_dirs:
            yield case_dir, _read(case_dir, mapping)
        return
    count = max(1, min(workers or os.cpu_count() or 1, len(case_dirs)))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        pending: list[tuple[Path, Future[Case | ClaimflowError]]] = []
        queue = iter(case_dirs)
        for case_dir in queue:
            pending.append((case_dir, pool.submit(_read, case_dir, mapping)))
            if len(pending) >= count + 2:
                break
        while pending:
            case_dir, future = pending.pop(0)
            yield case_dir, future.result()
            following = next(queue, None)
            if following is not None:
                pending.append((following, pool.submit(_read, following, mapping)))
