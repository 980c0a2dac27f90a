"""The optional compiled fast path for clean 835 and 837P files (``claimflow.x12._native``).

The C module reads an 835 or an 837P exactly as the Python engine does: it learns the delimiters from the
ISA, checks the envelopes, places every segment with the loop-builder tables exported below
from the same compiled spec the Python builder walks, checks elements with the spec's rules,
and extracts the rows into Arrow buffers. It never words an error: at the first
thing the Python engine would report (an error or a warning) or anything outside its path
(another transaction set or guide, bytes outside ASCII, a control character inside a segment,
a number longer than the engine takes, a newline as terminator, ...) it gives up
and :func:`parse_fast` returns None, and the caller parses the file with the Python engine.
So a file's rows, errors and quarantine never depend on whether the module was built.

It is built when ``pip install`` finds a C compiler (``setup.py``: ``optional=True``) and can be
turned off with ``CLAIMFLOW_X12_NATIVE=0``. ``tests/sources/test_x12_fast.py`` holds it to the Python
engine, row for row, on generated, corrupted and corpus files.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pyarrow as pa

from claimflow.x12.result import GroupInfo, ParseResult, TransactionInfo
from claimflow.x12.spec import AN, DT, ID, N0, N2, TM, CompiledSpec, R, _candidates, _Node
from claimflow.x12.specs import spec_for_guide, x221, x222

_native: ModuleType | None
try:
    from claimflow.x12 import _native  # type: ignore[attr-defined,no-redef]
except ImportError:  # built without a compiler: the Python engine does everything
    _native = None

READ_BYTES = 4 << 20
"""Bytes handed to the C parser at a time (memory stays flat whatever the file size)."""
TAKE_ROWS = 20_000
"""Rows the C parser buffers before they are handed over as Arrow tables."""
KINDS = {
    # kind: (ST01, spec, guide ids taken)
    "835": ("835", x221.SPEC, ("005010X221A1", "005010X221")),
    "837P": ("837", x222.SPEC, ("005010X222A1", "005010X222A2", "005010X222")),
}
"""What the fast path reads; other guide ids go to the Python engine (which may warn)."""
_TYPES = {AN: "A", ID: "A", R: "R", N0: "N", N2: "N", DT: "D", TM: "T"}
_ARROW = {
    "s": pa.string(),
    "d": pa.decimal128(18, 2),
    "q": pa.float64(),
    "t": pa.date32(),
    "i": pa.int64(),
    "b": pa.bool_(),
}

_log = logging.getLogger(__name__)

TableSink = Callable[[str, pa.Table], None]
"""``on_table(table name, Arrow rows)``: receives the rows in batches, in file order."""


def available() -> bool:
    """True when the compiled module is built and not turned off (``CLAIMFLOW_X12_NATIVE=0``)."""
    return _native is not None and os.environ.get("CLAIMFLOW_X12_NATIVE", "1") != "0"


@functools.cache
def spec_tables(kind: str) -> tuple[Any, ...]:
    """The loop builder of ``kind`` (``835`` or ``837P``) as plain tables for the C parser.

    Returns ``(sids, slots, nodes, loop_nodes, candidates)``: the segment ids the guide knows;
    per slot ``(max_use, max_elements, rules)`` with rules ``(pos, component, required, type,
    min_len, max_len, codes)``; per loop node ``(loop_id, max_repeat, has_required, required
    slots, required child nodes)``; the node indexes of the header, 1000A, 1000B, 2100 and
    2110 (835; -1 when absent); and ``candidates(node, sid)``, which lists where a segment may
    go from a loop as ``(slot, node opened or -1, node stayed under, order, qualifier position,
    qualifier values, has element rules)`` exactly as :func:`claimflow.x12.spec._candidates`
    does. The C parser asks for those lazily, as the Python builder computes them: a file
    meets a few dozen of the 3,128 (node, segment) pairs of the 837P.
    """
    transaction_set, spec, guides = KINDS[kind]
    compiled = CompiledSpec(spec)
    nodes: list[_Node] = []

    def walk(node: _Node) -> None:
        nodes.append(node)
        for child in node.children:
            walk(child)

    walk(compiled.root)
    node_index = {id(n): i for i, n in enumerate(nodes)}
    sids = tuple(sorted(compiled.known))
    slot_index: dict[int, int] = {}
    slots: list[tuple[int, int, tuple[tuple[object, ...], ...]]] = []

    def slot_of(slot: Any) -> int:
        key = id(slot)
        if key not in slot_index:
            slot_index[key] = len(slots)
            rules = tuple(
                (
                    rule.pos,
                    rule.component or 0,
                    int(rule.required),
                    _TYPES[rule.type],
                    rule.min_len,
                    rule.max_len,
                    tuple(sorted(rule.codes)) if rule.codes is not None else None,
                )
                for rule in slot.elements
            )
            slots.append((slot.max_use, slot.max_elements, rules))
        return slot_index[key]

    exported = []
    for node in nodes:  # every slot a candidate can name: own slots and child triggers
        for group in node.own.values():
            for own in group:
                slot_of(own)
        for child in node.children:
            assert child.loop is not None
            slot_of(child.loop.trigger)
        exported.append(
            (
                node.loop_id,
                node.loop.max_repeat if node.loop is not None else 0,
                int(node.has_required),
                tuple(slot_of(s) for group in node.own.values() for s in group if s.required),
                tuple(
                    node_index[id(c)]
                    for c in node.children
                    if c.loop is not None and c.loop.required
                ),
            )
        )
    frozen = len(slots)

    def candidates(node: int, sid: int) -> tuple[tuple[object, ...], ...]:
        found = []
        for slot, opens, under, _key, order, qpos, qvals, check in _candidates(
            nodes[node], sids[sid]
        ):
            found.append(
                (
                    slot_of(slot),
                    node_index[id(opens)] if opens is not None else -1,
                    node_index[id(under)],
                    order,
                    qpos,
                    tuple(sorted(qvals)) if qvals is not None else None,
                    int(check is not None),
                )
            )
        assert len(slots) == frozen, "a candidate named a slot the C parser was not given"
        return tuple(found)

    by_id = {n.loop_id: i for i, n in enumerate(nodes)}
    loop_nodes = tuple(by_id.get(k, -1) for k in ("", "1000A", "1000B", "2100", "2110"))
    for guide in guides:  # the fast path must take only guides the engine takes silently
        assert spec_for_guide(guide, transaction_set=transaction_set) is spec
        assert guide.startswith(spec.guide_prefix)
    return sids, tuple(slots), tuple(exported), loop_nodes, functools.cache(candidates)


def _arrow(columns: list[tuple[str, str, int, bytes, bytes, bytes | None]]) -> pa.Table:
    arrays = []
    names = []
    for name, code, rows, validity, values, offsets in columns:
        kind = _ARROW[code]
        buffers = [pa.py_buffer(validity)]
        if offsets is not None:
            buffers.append(pa.py_buffer(offsets))
        buffers.append(pa.py_buffer(values))
        arrays.append(pa.Array.from_buffers(kind, rows, buffers))
        names.append(name)
    return pa.Table.from_arrays(arrays, names=names)


def kind_of(head: bytes) -> str | None:
    """The kind the fast path would read a file as, from its first bytes (its first ST)."""
    start = head.find(b"ISA")
    if start < 0 or len(head) < start + 4:
        return None
    sep = head[start + 3 : start + 4]
    st = head.find(b"ST" + sep)
    if st < 0:
        return None
    st01 = head[st + 3 : st + 7]
    for kind, (transaction_set, _, _) in KINDS.items():
        if st01 == transaction_set.encode() + sep:
            return kind
    return None


def _parser(kind: str, file_id: str, data_source: str) -> Any:
    assert _native is not None
    sids, slots, nodes, loop_nodes, candidates = spec_tables(kind)
    guides = KINDS[kind][2]
    return _native.FastParser(
        kind, sids, slots, nodes, loop_nodes, candidates, guides, file_id, data_source
    )


def parse_fast(
    path: str | os.PathLike[str], file_id: str, data_source: str, on_table: TableSink
) -> ParseResult | None:
    """Parse a clean 835 or 837P file with the compiled fast path.

    Args:
        path: The file.
        file_id: The caller's id for the file.
        data_source: The rows' ``data_source``.
        on_table: Receives each batch of rows as an Arrow table (columns as the spool's).

    Returns:
        The parse (no errors, no warnings, ``tables`` empty), or None when the fast path gave
        up; rows already handed to ``on_table`` must then be discarded.
    """
    if not available():
        return None
    with open(path, "rb") as stream:
        kind = kind_of(stream.read(1 << 16))
        if kind is None:
            return None
        stream.seek(0)
        chunk = stream.read(READ_BYTES)
        try:
            parser = _parser(kind, file_id, data_source)
        except (ValueError, AssertionError):
            return None
        while True:
            try:
                ok = parser.feed(chunk, not chunk)
            except (ValueError, AssertionError, TypeError) as exc:  # a defect of ours
                _log.warning("X12 fast path failed (%s); the engine reads the file", exc)
                return None
            if not ok:
                return None
            if not chunk or parser.pending >= TAKE_ROWS:
                for name, columns in parser.take().items():
                    on_table(name, _arrow(columns))
            if not chunk:
                break
            chunk = stream.read(READ_BYTES)
    result = ParseResult(file_id)
    result.groups = [GroupInfo(*g) for g in parser.groups]
    for isa13, gs06, st02, st01, guide, first, last, group in parser.transactions:
        txn = TransactionInfo(isa13, gs06, st02, st01, guide, kind, first, last)
        txn.group = group
        result.transactions.append(txn)
    result.segment_count = parser.segment_count
    return result


def give_up_reason(path: str | os.PathLike[str]) -> str | None:
    """Why the fast path would hand ``path`` to the Python engine (None: it would not)."""
    if not available():
        return "the compiled module is not available"
    with open(path, "rb") as stream:
        kind = kind_of(stream.read(1 << 16))
        if kind is None:
            return "neither an 835 nor an 837 (first ST)"
        stream.seek(0)
        chunk = stream.read(READ_BYTES)
        parser = _parser(kind, "", "")
        while True:
            ok = parser.feed(chunk, not chunk)
            parser.take()
            if not ok:
                return str(parser.reason)
            if not chunk:
                return None
            chunk = stream.read(READ_BYTES)
