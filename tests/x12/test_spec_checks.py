"""The generated fast element checks agree with ``check_elements`` on every slot of every guide."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from claimflow.x12.spec import Loop, Seg, check_elements, compile_check
from claimflow.x12.specs import SPECS


def _slots() -> list[Seg]:
    found: list[Seg] = []

    def walk(loop: Loop) -> None:
        found.append(loop.trigger)
        found.extend(loop.segments)
        for child in loop.loops:
            walk(child)

    for spec in SPECS:
        found.extend(spec.header)
        for loop in spec.loops:
            walk(loop)
    return [s for s in found if s.elements or s.max_elements]


SLOTS = _slots()

# Values that sit on every rule's edges: empty, codes, numbers, dates, times, long strings.
_VALUES = st.one_of(
    st.just(""),
    st.sampled_from(sorted({c for s in SLOTS for r in s.elements for c in (r.codes or ())})),
    st.from_regex(r"-?\d{1,6}(\.\d{0,2})?", fullmatch=True),
    st.from_regex(r"(19|20)\d\d(0[0-9]|1[0-3])([0-3]\d)", fullmatch=True),
    st.from_regex(r"\d{3,9}", fullmatch=True),
    st.text(alphabet="AZ09:x.-", min_size=1, max_size=90),
)


def _reports(slot: Seg, els: list[str]) -> list[str]:
    found: list[str] = []
    check_elements(slot, els, ":", "L", lambda code, *a, **k: found.append(code))
    return found


def test_there_are_slots_with_rules() -> None:
    assert len(SLOTS) > 50


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(SLOTS), st.lists(_VALUES, min_size=0, max_size=14))
def test_fast_check_passes_exactly_when_no_rule_is_broken(slot: Seg, values: list[str]) -> None:
    els = [slot.id, *values]
    assert compile_check(slot)(els, ":") == (not _reports(slot, els))


def test_fast_check_splits_composites_on_the_given_separator() -> None:
    composite = [s for s in SLOTS if any(r.component for r in s.elements)]
    assert composite, "the guides have composite rules"
    for slot in composite:
        els = [slot.id] + ["" for _ in range(max(r.pos for r in slot.elements))]
        assert compile_check(slot)(els, ">") == (not _reports(slot, els))
