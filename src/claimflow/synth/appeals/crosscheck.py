"""The oracle of the evidence cross-check (docs/appeals.md): every number written in a note
against the structured value of the same parameter closest in time to the note, within 12
hours; more than 10% relative difference (any difference for GCS) is a conflict."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from claimflow.synth.appeals.chart import Chart, NoteDoc, Obs

GAP = dt.timedelta(hours=12)
TOLERANCE = 0.10


@dataclass(frozen=True)
class Comparison:
    note_index: int
    note: NoteDoc
    param: str
    phrase: str
    note_value: float
    structured: Obs
    conflict: bool


def closest(chart: Chart, param: str, t: dt.datetime) -> list[Obs]:
    """The structured values of ``param`` closest in time to ``t`` within the gap (more than
    one on a tie)."""
    near = [o for o in chart.of(param) if abs(o.time - t) <= GAP and o.value is not None]
    if not near:
        return []
    best = min(abs(o.time - t) for o in near)
    return [o for o in near if abs(o.time - t) == best]


def differs(param: str, note_value: float, structured: float) -> bool:
    if param == "gcs":
        return note_value != structured
    return abs(note_value - structured) > TOLERANCE * abs(structured)


def compare(chart: Chart) -> list[Comparison]:
    """Every mention of every note (notes in time order), compared; mentions with nothing
    within the gap are not compared."""
    out: list[Comparison] = []
    for i, note in enumerate(chart.notes):
        for m in note.mentions:
            near = closest(chart, m.param, note.time)
            if not near:
                continue
            s = near[0]
            assert s.value is not None
            out.append(
                Comparison(
                    i, note, m.param, m.phrase, m.value, s, differs(m.param, m.value, s.value)
                )
            )
    return out


def ambiguous(chart: Chart, param: str, t: dt.datetime, note_value: float) -> bool:
    """A mention the generator does not write: a tie in time, a closest value near the 12 h
    edge or under sedation (GCS), or a difference near the 10% edge."""
    near = closest(chart, param, t)
    if not near:
        # nothing within 12 h: safe only when nothing is near the edge either
        edge = [o for o in chart.of(param) if abs(abs(o.time - t) - GAP) <= dt.timedelta(hours=1)]
        return bool(edge)
    if len(near) > 1 or any(o.sedated for o in near):
        return True
    s = near[0]
    assert s.value is not None
    if GAP - abs(s.time - t) < dt.timedelta(hours=1):
        return True
    # the next closest should be clearly farther
    others = sorted(
        abs(o.time - t)
        for o in chart.of(param)
        if o is not s and abs(o.time - t) <= GAP + dt.timedelta(hours=1)
    )
    if others and others[0] - abs(s.time - t) < dt.timedelta(minutes=20):
        return True
    if param == "gcs" or s.value == 0:
        return s.value == 0
    rel = abs(note_value - s.value) / abs(s.value)
    return 0.06 < rel < 0.15
