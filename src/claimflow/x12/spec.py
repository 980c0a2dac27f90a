"""Declarative transaction-set specs and the one generic loop builder they drive.

A guide is described as data (:class:`TransactionSpec`: segments, loops, element rules) in
``specs/<guide>.py``. :class:`LoopBuilder` walks any spec: for each segment it finds the loop the
segment belongs to, opens and closes loops, counts uses and repeats, checks elements, and
reports missing required segments and loops when a loop closes.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

# Element data types, as the guides name them.
AN, ID, R, N0, N2, DT, TM = "AN", "ID", "R", "N0", "N2", "DT", "TM"


@dataclass(frozen=True, slots=True)
class Element:
    """A rule for one element (or one component of a composite element).

    Attributes:
        pos: 1-based element position.
        required: The element must hold a value.
        type: One of ``AN``, ``ID``, ``R``, ``N0``, ``N2``, ``DT``, ``TM``.
        min_len: Minimum length when present.
        max_len: Maximum length when present (0: unchecked).
        codes: The allowed code values, when the guide lists them.
        component: 1-based component position inside a composite, or None.
        name: What the element holds, for error messages.
    """

    pos: int
    required: bool = False
    type: str = AN
    min_len: int = 1
    max_len: int = 0
    codes: frozenset[str] | None = None
    component: int | None = None
    name: str = ""


@dataclass(frozen=True, slots=True)
class Seg:
    """A segment slot in a loop.

    Attributes:
        id: Segment id.
        required: The loop must contain it.
        max_use: Maximum uses in one loop instance (0: unbounded).
        qualifier: ``(element position, allowed values)`` telling this slot apart from other
            slots with the same id (used for loop triggers such as ``NM1*85``).
        elements: Element rules.
        max_elements: Most elements the segment may carry (0: unchecked).
        name: What the segment is, for error messages.
        trailing: The segment closes its loop after the child loops (IK5, AK9, PLB).
    """

    id: str
    required: bool = False
    max_use: int = 1
    qualifier: tuple[int, frozenset[str]] | None = None
    elements: tuple[Element, ...] = ()
    max_elements: int = 0
    name: str = ""
    trailing: bool = False


@dataclass(frozen=True, slots=True)
class Loop:
    """A loop: its trigger (first) segment, its other segments, and its child loops.

    Attributes:
        id: Loop id as the guide names it, e.g. ``"2300"``.
        trigger: The segment that opens the loop.
        segments: The loop's other segments.
        loops: Child loops.
        required: The parent must contain at least one instance.
        max_repeat: Most instances under one parent instance (0: unbounded).
        name: What the loop is.
    """

    id: str
    trigger: Seg
    segments: tuple[Seg, ...] = ()
    loops: tuple[Loop, ...] = ()
    required: bool = False
    max_repeat: int = 1
    name: str = ""


@dataclass(frozen=True, slots=True)
class TransactionSpec:
    """One implementation guide.

    Attributes:
        kind: Short name, e.g. ``"837P"``.
        transaction_set: ST01 value, e.g. ``"837"``.
        guide_prefix: Guide id without the addenda suffix, e.g. ``"005010X222"``.
        header: Segments of the transaction's header and summary tables (ST and SE excluded).
        loops: Top-level loops.
    """

    kind: str
    transaction_set: str
    guide_prefix: str
    header: tuple[Seg, ...]
    loops: tuple[Loop, ...]


def seg(
    sid: str,
    *elements: Element,
    req: bool = False,
    max_use: int = 1,
    q: str | Iterable[str] | None = None,
    qpos: int = 1,
    max_elements: int = 0,
    name: str = "",
    trailing: bool = False,
) -> Seg:
    """Shorthand for :class:`Seg` used by the spec modules."""
    qualifier = None
    if q is not None:
        qualifier = (qpos, frozenset([q] if isinstance(q, str) else q))
    return Seg(sid, req, max_use, qualifier, elements, max_elements, name, trailing)


def el(
    pos: int,
    required: bool = False,
    type: str = AN,
    min_len: int = 1,
    max_len: int = 0,
    codes: Iterable[str] | None = None,
    component: int | None = None,
    name: str = "",
) -> Element:
    """Shorthand for :class:`Element` used by the spec modules."""
    return Element(
        pos,
        required,
        type,
        min_len,
        max_len,
        frozenset(codes) if codes is not None else None,
        component,
        name,
    )


def hl(level: str, name: str, child_codes: tuple[str, ...] | None = None) -> Seg:
    """An HL slot for hierarchical level ``level`` (HL03), told apart from the other levels by
    it; with ``child_codes``, HL04 (hierarchical child code) is required to be one of them."""
    rules: tuple[Element, ...] = (
        el(1, True, max_len=12, name="HL01 hierarchical id"),
        el(3, True, ID, codes=(level,), name="HL03 hierarchical level code"),
    )
    if child_codes is not None:
        rules += (el(4, True, ID, codes=child_codes, name="HL04 hierarchical child code"),)
    return seg("HL", *rules, q=level, qpos=3, name=name)


def bht(
    structure: str,
    purposes: tuple[str, ...],
    *,
    reference: bool = False,
    types: tuple[str, ...] = (),
    types_required: bool = True,
) -> Seg:
    """The BHT of a hierarchical transaction: structure code (BHT01) and purposes (BHT02) of the
    guide, a required reference (BHT03) when ``reference``, date and time, and the transaction
    type codes (BHT06) when ``types`` are given (required unless ``types_required`` is False)."""
    rules: tuple[Element, ...] = (
        el(1, True, ID, 4, 4, codes=(structure,), name="BHT01 hierarchical structure code"),
        el(2, True, ID, 2, 2, codes=purposes, name="BHT02 transaction set purpose"),
    )
    if reference:
        rules += (el(3, True, max_len=50, name="BHT03 reference identification"),)
    rules += (
        el(4, True, DT, name="BHT04 creation date"),
        el(5, True, TM, name="BHT05 creation time"),
    )
    if types:
        rules += (el(6, types_required, ID, 2, 2, codes=types, name="BHT06 transaction type code"),)
    return seg("BHT", *rules, req=True, name="beginning of hierarchical transaction")


# ---------------------------------------------------------------- the loop builder


@dataclass(slots=True)
class _Node:
    """A loop (or the transaction root) compiled for fast lookups."""

    loop: Loop | None
    loop_id: str
    parent: _Node | None
    own: dict[str, list[Seg]] = field(default_factory=dict)
    children: list[_Node] = field(default_factory=list)
    table: dict[str, list[_Candidate]] = field(default_factory=dict)
    order: dict[int, int] = field(default_factory=dict)
    has_required: bool = False


def _compile(loop: Loop | None, parent: _Node | None, spec: TransactionSpec) -> _Node:
    node = _Node(loop, loop.id if loop else "", parent)
    segments = loop.segments if loop else spec.header
    for i, s in enumerate(segments, 1):
        node.own.setdefault(s.id, []).append(s)
        node.order[id(s)] = i
    for child in loop.loops if loop else spec.loops:
        node.children.append(_compile(child, node, spec))
    node.has_required = any(s.required for s in segments) or any(
        c.loop is not None and c.loop.required for c in node.children
    )
    return node


Check = Callable[[list[str], str], bool]
"""``check(elements, component separator)``: True when the segment breaks none of its rules."""
_Candidate = tuple[
    Seg, "_Node | None", "_Node", int, int, int, "frozenset[str] | None", "Check | None"
]
"""(slot, loop to open, loop to stay under, slot key, slot order, qualifier position,
qualifier values, the slot's element check or None when it has no rules)."""


def _candidates(node: _Node, sid: str) -> list[_Candidate]:
    """Where segment ``sid`` may go from ``node``, best first."""
    found: list[tuple[Seg, _Node | None, _Node]] = [(s, None, node) for s in node.own.get(sid, ())]
    level: _Node | None = node
    while level is not None:
        for child in level.children:
            assert child.loop is not None
            if child.loop.trigger.id == sid:
                found.append((child.loop.trigger, child, level))
        if level is not node:
            found.extend((s, None, level) for s in level.own.get(sid, ()) if s.trailing)
        level = level.parent
    out: list[_Candidate] = []
    for slot, opens, under in found:
        key = id(slot)
        order = (opens or under).order.get(key, 0)
        qpos, qvals = slot.qualifier if slot.qualifier else (0, None)
        check = compile_check(slot) if slot.elements or slot.max_elements else None
        out.append((slot, opens, under, key, order, qpos, qvals, check))
    return out


ErrorSink = Callable[..., None]
"""``sink(code, ik304_or_ik403, message, loop_id=..., element=..., component=..., value=...)``"""


class _Instance:
    """One open loop instance: its node and use counters."""

    __slots__ = ("child_counts", "last_order", "node", "seg_counts")

    def __init__(self, node: _Node) -> None:
        self.node = node
        self.last_order = 0
        self.seg_counts: dict[int, int] = {}
        self.child_counts: dict[int, int] = {}


class CompiledSpec:
    """A spec turned into lookup tables; build it once per parse and share it across sets."""

    __slots__ = ("known", "root", "spec")

    def __init__(self, spec: TransactionSpec) -> None:
        self.spec = spec
        self.root = _compile(None, None, spec)
        self.known = _all_ids(self.root)


class LoopBuilder:
    """Walks one transaction set's segments through a spec.

    Call :meth:`feed` for every segment between ST and SE (exclusive) and :meth:`finish` at
    SE. ``feed`` returns the loop id of the segment. Problems are reported to ``sink``.
    """

    def __init__(
        self,
        spec: TransactionSpec | CompiledSpec,
        sink: ErrorSink,
        validate: bool = True,
    ) -> None:
        compiled = spec if isinstance(spec, CompiledSpec) else CompiledSpec(spec)
        self.spec = compiled.spec
        self._sink = sink
        self._validate = validate
        self._root = compiled.root
        self._stack: list[_Instance] = [_Instance(self._root)]
        self._known = compiled.known

    def feed(self, sid: str, elements: list[str], component: str) -> str:
        """Place one segment; return its loop id (``""`` for the header)."""
        inst = self._stack[-1]
        node = inst.node
        cands = node.table.get(sid)
        if cands is None:
            cands = node.table[sid] = _candidates(node, sid)
        for slot, opens, under, key, order, qpos, qvals, check in cands:
            if qvals is not None and (len(elements) <= qpos or elements[qpos] not in qvals):
                continue
            if opens is not None or under is not node:
                self._close_to(under)
                inst = self._stack[-1]
                if opens is not None:
                    inst = self._open(inst, opens, sid)
            counts = inst.seg_counts
            uses = counts[key] = counts.get(key, 0) + 1
            loop_id = inst.node.loop_id
            if order:
                if order < inst.last_order:
                    self._sink(
                        "segment_order",
                        "7",
                        f"Segment {sid} is out of order in loop {loop_id or 'header'}.",
                        loop_id=loop_id,
                    )
                else:
                    inst.last_order = order
            if uses > 1 and slot.max_use and uses > slot.max_use:
                self._sink(
                    "segment_max_use",
                    "5",
                    f"Segment {sid} is used {uses} times in loop {loop_id or 'header'}; "
                    f"the guide allows {slot.max_use}.",
                    loop_id=loop_id,
                )
            if check is not None and self._validate and not check(elements, component):
                check_elements(slot, elements, component, loop_id, self._sink)
            return loop_id
        loop_id = node.loop_id
        if not (2 <= len(sid) <= 3 and sid.isalnum() and sid.isupper()):
            code, why = "1", "is not a valid segment id"
        elif sid in self._known:
            code, why = "2", f"is not expected in loop {loop_id or 'header'} at this point"
        else:
            code, why = "6", f"is not part of the {self.spec.kind} transaction set"
        self._sink("segment_unexpected", code, f"Segment {sid[:10]} {why}.", loop_id=loop_id)
        return loop_id

    def _open(self, parent: _Instance, opens: _Node, sid: str) -> _Instance:
        key = id(opens)
        n = parent.child_counts[key] = parent.child_counts.get(key, 0) + 1
        loop = opens.loop
        assert loop is not None
        if loop.max_repeat and n > loop.max_repeat:
            self._sink(
                "loop_repeat",
                "4",
                f"Loop {opens.loop_id} ({loop.name or sid}) occurs {n} times; "
                f"the guide allows {loop.max_repeat}.",
                loop_id=opens.loop_id,
            )
        inst = _Instance(opens)
        self._stack.append(inst)
        return inst

    def finish(self) -> None:
        """Close every open loop (at SE), reporting missing required parts."""
        self._close_to(self._root)
        self._check_required(self._stack[0])

    def _close_to(self, target: _Node) -> None:
        stack = self._stack
        while stack[-1].node is not target and len(stack) > 1:
            inst = stack.pop()
            if inst.node.has_required:
                self._check_required(inst)

    def _check_required(self, inst: _Instance) -> None:
        node = inst.node
        loop_id = node.loop_id
        for slots in node.own.values():
            for slot in slots:
                if slot.required and id(slot) not in inst.seg_counts:
                    self._sink(
                        "segment_missing",
                        "3",
                        f"Required segment {slot.id} ({slot.name or slot.id}) is missing from "
                        f"loop {loop_id or 'header'}.",
                        loop_id=loop_id,
                        missing=slot.id,
                    )
        for child in node.children:
            assert child.loop is not None
            if child.loop.required and id(child) not in inst.child_counts:
                self._sink(
                    "loop_missing",
                    "3",
                    f"Required loop {child.loop_id} ({child.loop.name or child.loop_id}) is "
                    f"missing from loop {loop_id or 'header'}.",
                    loop_id=child.loop_id,
                    missing=child.loop.trigger.id,
                )


def _all_ids(node: _Node) -> set[str]:
    ids = set(node.own)
    for child in node.children:
        assert child.loop is not None
        ids.add(child.loop.trigger.id)
        ids |= _all_ids(child)
    return ids


@functools.lru_cache(maxsize=8192)
def _valid_date(value: str) -> bool:
    if len(value) != 8 or not value.isdigit():
        return False
    try:
        datetime.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return False
    return True


_CHECKS: dict[Seg, Check] = {}


def compile_check(slot: Seg) -> Check:
    """A fast test of ``slot``'s element rules, generated as straight-line Python.

    It answers only "does the segment break any rule?"; :func:`check_elements` (the one place
    that words the errors) runs only for segments that do. Both apply the same rules:
    ``tests/x12/test_spec_checks.py`` holds them to it.
    """
    cached = _CHECKS.get(slot)
    if cached is not None:
        return cached
    env: dict[str, object] = {"VALID_DATE": _valid_date}
    body = ["def check(els, comp):", "    n = len(els)"]
    if slot.max_elements:
        body.append(f"    if n - 1 > {slot.max_elements}: return False")
    for i, rule in enumerate(slot.elements):
        v, pos = f"v{i}", rule.pos
        body.append(f"    {v} = els[{pos}] if n > {pos} else ''")
        if rule.component is not None:
            c = rule.component - 1
            body.append(f"    if {v}:")
            body.append(f"        p = {v}.split(comp)")
            body.append(f"        {v} = p[{c}] if len(p) > {c} else ''")
        if rule.required:
            body.append(f"    if not {v}: return False")
        tests: list[str] = []
        if rule.codes is not None:
            env[f"C{i}"] = rule.codes
            tests.append(f"{v} not in C{i}")
        else:
            kind = rule.type
            if kind in _NUMBER:
                env[f"M{i}"] = _NUMBER[kind]
                tests.append(f"M{i}({v}) is None")
            elif kind == DT:
                tests.append(f"not VALID_DATE({v})")
            elif kind == TM:
                tests.append(f"not ({v}.isdigit() and 4 <= len({v}) <= 8)")
            if rule.max_len:
                tests.append(f"len({v}) > {rule.max_len}")
            if rule.min_len > 1:
                tests.append(f"len({v}) < {rule.min_len}")
        if tests:
            body.append(f"    if {v} and ({' or '.join(tests)}): return False")
    body.append("    return True")
    exec("\n".join(body), env)  # the source is built above from the spec's own rules
    check = env["check"]
    assert callable(check)
    _CHECKS[slot] = check
    return check


def check_elements(
    slot: Seg, elements: list[str], component: str, loop_id: str, sink: ErrorSink
) -> None:
    """Check one segment's elements against its slot's rules, reporting to ``sink``."""
    if slot.max_elements and len(elements) - 1 > slot.max_elements:
        sink(
            "element_too_many",
            "3",
            f"Segment {slot.id} carries {len(elements) - 1} elements; the guide allows "
            f"{slot.max_elements}.",
            loop_id=loop_id,
            element=slot.max_elements + 1,
            value=elements[slot.max_elements + 1],
        )
    count = len(elements)
    for rule in slot.elements:
        pos = rule.pos
        value = elements[pos] if pos < count else ""
        if rule.component is not None and value:
            parts = value.split(component)
            value = parts[rule.component - 1] if rule.component <= len(parts) else ""
        if not value:
            if rule.required:
                sink(
                    "element_missing",
                    "1",
                    f"{_what(slot, rule)} is required but empty.",
                    loop_id=loop_id,
                    element=pos,
                    component_pos=rule.component,
                    value="",
                )
            continue
        codes = rule.codes
        code: str | None
        if codes is not None:
            if value in codes:
                continue
            code = "7"
        else:
            code = _element_code(rule, value)
            if code is None:
                continue
        sink(
            "element_invalid",
            code,
            _why(code, _what(slot, rule), value, rule),
            loop_id=loop_id,
            element=pos,
            component_pos=rule.component,
            value=value,
        )


_NUMBER = {
    # ASCII digits only, and no pattern that backtracks: "\d+\.?\d*" took minutes (quadratic)
    # to reject a value of 100,000 digits followed by a letter
    R: re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)").fullmatch,
    N0: re.compile(r"-?[0-9]+").fullmatch,
    N2: re.compile(r"-?[0-9]+").fullmatch,
}


def _element_code(rule: Element, value: str) -> str | None:
    """The IK403 code for a present value that breaks its rule (codes aside), or None."""
    kind = rule.type
    if kind in _NUMBER:
        if _NUMBER[kind](value) is None:
            return "6"
    elif kind == DT:
        if not _valid_date(value):
            return "8"
    elif kind == TM and not (value.isdigit() and 4 <= len(value) <= 8):
        return "9"
    if rule.max_len and len(value) > rule.max_len:
        return "5"
    if len(value) < rule.min_len:
        return "4"
    return None


def _what(slot: Seg, rule: Element) -> str:
    return rule.name or f"{slot.id}{rule.pos:02d}"


def _why(code: str, what: str, value: str, rule: Element) -> str:
    shown = value[:30]
    return {
        "4": f"{what} is {len(value)} characters; at least {rule.min_len} needed.",
        "5": f"{what} is {len(value)} characters; at most {rule.max_len} allowed.",
        "6": f"{what} holds '{shown}', which is not a number.",
        "7": f"{what} holds '{shown}', which is not a valid code here.",
        "8": f"{what} holds '{shown}', which is not a valid CCYYMMDD date.",
        "9": f"{what} holds '{shown}', which is not a valid time.",
    }[code]
