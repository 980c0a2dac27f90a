"""Answers kept per snapshot: a bounded, thread-safe cache computed once per key.

A published snapshot never changes (a run publishes a new file), so what was computed on one
is true for as long as it is served: the keys begin with the snapshot's version. The cache is
bounded by its number of entries and by the rows it holds (least recently used first out); a
result larger than the row budget is not kept. Two requests asking for the same missing key
at once compute it once: the second waits for the first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

MAX_ENTRIES = 64
MAX_ROWS = 200_000
"""The bounds: entries, and rows of reports (a KPI answer or a health answer counts as one)."""


class AnswerCache:
    """Key → answer, least recently used out beyond ``max_entries`` or ``max_rows``."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_rows: int = MAX_ROWS) -> None:
        self.max_entries = max_entries
        self.max_rows = max_rows
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._rows = 0
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The answer for ``key``, computed (once, whoever else asks meanwhile) if missing."""
        with self._lock:
            found = self._lookup(key)
            if found is not None:
                return found[0]
            gate = self._computing.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                found = self._lookup(key)
                if found is not None:
                    return found[0]
                self.misses += 1
            try:
                value = compute()
                self._put(key, value)
            finally:
                with self._lock:
                    self._computing.pop(key, None)
            return value

    def recent(self, kind: str, limit: int) -> list[tuple[Any, ...]]:
        """The keys (without their snapshot version) of the ``limit`` answers of ``kind`` (the
        key's second item) used last, whatever their snapshot: what clients keep asking for."""
        found: list[tuple[Any, ...]] = []
        with self._lock:
            for key in reversed(self._entries):
                if isinstance(key, tuple) and len(key) > 1 and key[1] == kind:
                    if key[1:] not in found:
                        found.append(key[1:])
                    if len(found) == limit:
                        break
        return found

    def __len__(self) -> int:
        return len(self._entries)

    def _lookup(self, key: Hashable) -> tuple[Any, int] | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
            self.hits += 1
        return found

    def _put(self, key: Hashable, value: Any) -> None:
        rows = len(value) if isinstance(value, list) else 1
        if rows > self.max_rows:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._rows -= old[1]
            self._entries[key] = (value, rows)
            self._rows += rows
            while len(self._entries) > self.max_entries or self._rows > self.max_rows:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._rows -= dropped
