"""PaO2/FiO2 pairing (shared with SOFA's respiration) and acute respiratory failure.

A PaO2 is paired with the FiO2 charted closest in time within 60 minutes; with none, with 0.21
when the respiratory support charted last at or before the PaO2 is room air; otherwise that
PaO2 has no P/F ratio (not assessable). The support charted last at or before the PaO2 decides
whether it was on respiratory support (NIV, invasive ventilation, ECMO).

Acute respiratory failure (docs/appeals.md) is judged on the 24 hours from admission.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from claimflow.clinical.evidence import (
    DAY,
    Index,
    any_of,
    cite,
    describe,
    fmt_num,
    fmt_time,
    missing_of,
    norm_text,
)
from claimflow.clinical.records import RESPIRATORY_SUPPORT, Chart, Observation
from claimflow.clinical.results import Cited, Criterion, ScoreResult, Window

FIO2_PAIRING_GAP = dt.timedelta(minutes=60)
ROOM_AIR = "room_air"
ROOM_AIR_FIO2 = 0.21
# The support that allows SOFA respiration 3-4 points.
VENTILATORY_SUPPORT = frozenset({"niv", "invasive_ventilation", "ecmo"})

ARF_VERSION = "ARF-1 (PaO2 < 60, SpO2 < 91% on room air, P/F < 300; PaCO2 > 50 with pH < 7.35)"
PAO2_LIMIT = 60.0
SPO2_LIMIT = 91.0
PF_LIMIT = 300.0
PACO2_LIMIT = 50.0
PH_LIMIT = 7.35
RR_SUPPORTS = 20.0
RR_MANIFEST = 30.0

SUPPORT_TEXT = {
    "room_air": "room air",
    "nasal_cannula": "nasal cannula",
    "face_mask": "face mask",
    "hfnc": "high-flow nasal cannula",
    "niv": "non-invasive ventilation",
    "invasive_ventilation": "invasive ventilation",
    "ecmo": "ECMO",
}


def support_text(o: Observation | None, ref: dt.datetime | None = None) -> str:
    if o is None:
        return "no respiratory support charted before it"
    kind = norm_text(o.text)
    return f"{SUPPORT_TEXT.get(kind, kind)} charted at {fmt_time(o.time, ref)}"


@dataclass(frozen=True)
class PFPair:
    """A PaO2 with the FiO2 it is paired with (``fio2_obs``; ``None`` with ``fio2`` 0.21 when
    room air was charted; both ``None`` when it cannot be paired), the support charted last at
    or before it, and the ratio rounded to one decimal (``None`` when not paired)."""

    pao2: Observation
    fio2: float | None
    fio2_obs: Observation | None
    support: Observation | None
    ratio: float | None

    @property
    def on_ventilatory_support(self) -> bool:
        return self.support is not None and norm_text(self.support.text) in VENTILATORY_SUPPORT

    @property
    def on_room_air(self) -> bool:
        return self.support is not None and norm_text(self.support.text) == ROOM_AIR

    def text(self, ref: dt.datetime | None = None) -> str:
        """ "P/F 142 (PaO2 71 mmHg at 03/02 04:10 / FiO2 0.50 at 03/02 04:00)"."""
        if self.ratio is None:
            return f"{describe(self.pao2, ref)} (no FiO2 within 60 min, no room air charted)"
        if self.fio2_obs is not None:
            paired = describe(self.fio2_obs, ref)
        else:
            assert self.support is not None
            paired = f"FiO2 0.21 on room air, {support_text(self.support, ref)}"
        return f"P/F {fmt_num(self.ratio)} ({describe(self.pao2, ref)} / {paired})"

    def cited(self) -> tuple[Cited, ...]:
        rows = [cite(self.pao2)]
        if self.fio2_obs is not None:
            rows.append(cite(self.fio2_obs))
        if self.support is not None:
            rows.append(cite(self.support))
        return tuple(rows)


def pair_pf(index: Index, pao2: Observation) -> PFPair:
    """Pair one PaO2 with its FiO2 (the rule in the module's docstring)."""
    support = index.last_at_or_before(RESPIRATORY_SUPPORT, pao2.time)
    fio2_obs = index.nearest("fio2", pao2.time, FIO2_PAIRING_GAP)
    fio2: float | None = None
    if fio2_obs is not None and fio2_obs.value is not None and fio2_obs.value > 0:
        fio2 = fio2_obs.value
    else:
        fio2_obs = None
        if support is not None and norm_text(support.text) == ROOM_AIR:
            fio2 = ROOM_AIR_FIO2
    if fio2 is None or pao2.value is None:
        return PFPair(pao2, None, None, support, None)
    return PFPair(pao2, fio2, fio2_obs, support, round(pao2.value / fio2, 1))


def pairs_between(index: Index, start: dt.datetime, end: dt.datetime) -> list[PFPair]:
    return [pair_pf(index, o) for o in index.between("pao2", start, end) if o.value is not None]


def arf_window(chart: Chart) -> Window:
    return Window(
        start=chart.admitted,
        end=chart.admitted + DAY,
        rule=f"24 h from admission ({fmt_time(chart.admitted, chart.admitted)})",
        anchor="admission",
    )


def _valued(rows: Sequence[Observation]) -> list[Observation]:
    return [o for o in rows if o.value is not None]


def _pao2(index: Index, w: Window, ref: dt.datetime) -> Criterion:
    rows = _valued(index.between("pao2", w.start, w.end))
    label = "PaO2 below 60 mmHg"
    if not rows:
        return Criterion(
            "arf.pao2", label, None, "no PaO2 charted in the window", missing=("pao2",)
        )
    worst = min(rows, key=lambda o: (o.value, o.time))
    assert worst.value is not None
    met = worst.value < PAO2_LIMIT
    verb = "below" if met else "not below"
    return Criterion(
        "arf.pao2",
        label,
        met,
        f"lowest {describe(worst, ref)}: {verb} 60 mmHg",
        value=worst.value,
        unit=worst.unit,
        time=worst.time,
        cited=(cite(worst),),
    )


def _spo2(index: Index, w: Window, ref: dt.datetime) -> Criterion:
    rows = _valued(index.between("spo2", w.start, w.end))
    label = "SpO2 below 91% on room air"
    if not rows:
        return Criterion(
            "arf.spo2", label, None, "no SpO2 charted in the window", missing=("spo2",)
        )
    low = [o for o in rows if o.value is not None and o.value < SPO2_LIMIT]
    on_air: list[tuple[Observation, Observation]] = []
    unknown: list[Observation] = []
    for o in low:
        support = index.last_at_or_before(RESPIRATORY_SUPPORT, o.time)
        if support is None:
            unknown.append(o)
        elif norm_text(support.text) == ROOM_AIR:
            on_air.append((o, support))
    if on_air:
        o, support = min(on_air, key=lambda p: (p[0].value, p[0].time))
        assert o.value is not None
        return Criterion(
            "arf.spo2",
            label,
            True,
            f"lowest {describe(o, ref)} on room air ({support_text(support, ref)}): below 91%",
            value=o.value,
            unit=o.unit,
            time=o.time,
            cited=(cite(o), cite(support)),
        )
    if unknown:
        o = min(unknown, key=lambda p: (p.value, p.time))
        assert o.value is not None
        return Criterion(
            "arf.spo2",
            label,
            None,
            f"{describe(o, ref)} is below 91% but no respiratory support is charted before "
            "it: room air not established",
            value=o.value,
            unit=o.unit,
            time=o.time,
            cited=(cite(o),),
            missing=("respiratory_support",),
        )
    worst = min(rows, key=lambda p: (p.value, p.time))
    assert worst.value is not None
    why = (
        "no SpO2 below 91%"
        if not low
        else "every SpO2 below 91% was on supplemental oxygen, not room air"
    )
    return Criterion(
        "arf.spo2",
        label,
        False,
        f"lowest {describe(worst, ref)}: {why}",
        value=worst.value,
        unit=worst.unit,
        time=worst.time,
        cited=(cite(worst),),
    )


def _pf(index: Index, w: Window, ref: dt.datetime) -> Criterion:
    label = "PaO2/FiO2 below 300"
    pairs = pairs_between(index, w.start, w.end)
    if not pairs:
        return Criterion(
            "arf.pf_ratio", label, None, "no PaO2 charted in the window", missing=("pao2",)
        )
    paired = [p for p in pairs if p.ratio is not None]
    if not paired:
        return Criterion(
            "arf.pf_ratio",
            label,
            None,
            f"{len(pairs)} PaO2 in the window, none with an FiO2 within 60 min or room air "
            "charted: no P/F ratio",
            missing=("fio2",),
        )
    worst = min(paired, key=lambda p: (p.ratio, p.pao2.time))
    assert worst.ratio is not None
    met = worst.ratio < PF_LIMIT
    unpaired = len(pairs) - len(paired)
    note = f"; {unpaired} PaO2 with no FiO2 within 60 min not used" if unpaired else ""
    return Criterion(
        "arf.pf_ratio",
        label,
        met,
        f"worst {worst.text(ref)}: {'below' if met else 'not below'} 300{note}",
        value=worst.ratio,
        unit="mm[Hg]",
        time=worst.pao2.time,
        cited=worst.cited(),
    )


def _hypercapnic(index: Index, w: Window, ref: dt.datetime) -> Criterion:
    label = "Hypercapnic: PaCO2 above 50 mmHg with pH below 7.35 in the same blood gas"
    rows = _valued(index.between("paco2", w.start, w.end))
    if not rows:
        return Criterion(
            "arf.hypercapnic", label, None, "no PaCO2 charted in the window", missing=("paco2",)
        )
    high = [o for o in rows if o.value is not None and o.value > PACO2_LIMIT]
    acidemic: list[tuple[Observation, Observation]] = []
    unmatched: list[Observation] = []
    compensated: list[tuple[Observation, Observation]] = []
    for o in high:
        phs = [p for p in index.between("ph", o.time, o.time + dt.timedelta(microseconds=1))]
        ph = next((p for p in phs if p.value is not None), None)
        if ph is None:
            unmatched.append(o)
        elif ph.value is not None and ph.value < PH_LIMIT:
            acidemic.append((o, ph))
        else:
            compensated.append((o, ph))
    if acidemic:
        o, ph = max(acidemic, key=lambda p: (p[0].value, -p[0].time.timestamp()))
        assert o.value is not None
        return Criterion(
            "arf.hypercapnic",
            label,
            True,
            f"{describe(o, ref)} with {describe(ph, ref)} in the same blood gas: PaCO2 above "
            "50 mmHg with pH below 7.35",
            value=o.value,
            unit=o.unit,
            time=o.time,
            cited=(cite(o), cite(ph)),
        )
    if unmatched:
        o = max(unmatched, key=lambda p: (p.value, -p.time.timestamp()))
        assert o.value is not None
        return Criterion(
            "arf.hypercapnic",
            label,
            None,
            f"{describe(o, ref)} is above 50 mmHg but no pH is charted in the same blood gas",
            value=o.value,
            unit=o.unit,
            time=o.time,
            cited=(cite(o),),
            missing=("ph",),
        )
    if compensated:
        o, ph = max(compensated, key=lambda p: (p[0].value, -p[0].time.timestamp()))
        assert o.value is not None
        return Criterion(
            "arf.hypercapnic",
            label,
            False,
            f"{describe(o, ref)} with {describe(ph, ref)}: pH not below 7.35",
            value=o.value,
            unit=o.unit,
            time=o.time,
            cited=(cite(o), cite(ph)),
        )
    worst = max(rows, key=lambda p: (p.value, -p.time.timestamp()))
    assert worst.value is not None
    return Criterion(
        "arf.hypercapnic",
        label,
        False,
        f"highest {describe(worst, ref)}: not above 50 mmHg",
        value=worst.value,
        unit=worst.unit,
        time=worst.time,
        cited=(cite(worst),),
    )


def _resp_rate(index: Index, w: Window, ref: dt.datetime) -> list[Criterion]:
    rows = _valued(index.between("resp_rate", w.start, w.end))
    if not rows:
        missing = ("resp_rate",)
        return [
            Criterion(
                "arf.resp_rate",
                "Respiratory rate above 20",
                None,
                "no respiratory rate charted in the window",
                missing=missing,
            ),
            Criterion(
                "arf.resp_rate_30",
                "Respiratory rate above 30 (physical manifestation)",
                None,
                "no respiratory rate charted in the window",
                missing=missing,
            ),
        ]
    worst = max(rows, key=lambda o: (o.value, -o.time.timestamp()))
    assert worst.value is not None
    common = {"value": worst.value, "unit": worst.unit, "time": worst.time, "cited": (cite(worst),)}
    above20 = worst.value > RR_SUPPORTS
    above30 = worst.value > RR_MANIFEST
    return [
        Criterion(
            "arf.resp_rate",
            "Respiratory rate above 20 (supporting)",
            above20,
            f"highest {describe(worst, ref)}: {'above' if above20 else 'not above'} 20/min",
            **common,  # type: ignore[arg-type]
        ),
        Criterion(
            "arf.resp_rate_30",
            "Respiratory rate above 30 (physical manifestation of respiratory distress)",
            above30,
            f"highest {describe(worst, ref)}: {'above' if above30 else 'not above'} 30/min",
            **common,  # type: ignore[arg-type]
        ),
    ]


def score_arf(chart: Chart) -> ScoreResult:
    """Acute respiratory failure on the 24 hours from admission: hypoxemic (PaO2 < 60, SpO2 <
    91% on room air, or P/F < 300) or hypercapnic (PaCO2 > 50 with pH < 7.35 in the same
    gas); the respiratory rate supports."""
    index = Index(chart)
    w = arf_window(chart)
    ref = chart.admitted
    pao2 = _pao2(index, w, ref)
    spo2 = _spo2(index, w, ref)
    pf = _pf(index, w, ref)
    parts = [pao2, spo2, pf]
    hypoxemic_met = any_of(parts)
    met_parts = [c for c in parts if c.met]
    if met_parts:
        deciding = met_parts[0]
        rule = "met by " + "; ".join(c.rule for c in met_parts)
    else:
        deciding = None
        rule = "not met on the charted values" if hypoxemic_met is False else "undecided"
        rule += ": " + "; ".join(c.rule for c in parts)
    hypoxemic = Criterion(
        "arf.hypoxemic",
        "Hypoxemic: PaO2 below 60 mmHg, SpO2 below 91% on room air, or P/F below 300",
        hypoxemic_met,
        rule,
        value=deciding.value if deciding else None,
        unit=deciding.unit if deciding else "",
        time=deciding.time if deciding else None,
        cited=tuple(r for c in met_parts for r in c.cited),
        missing=() if hypoxemic_met else missing_of(parts),
    )
    hypercapnic = _hypercapnic(index, w, ref)
    verdict = any_of([hypoxemic, hypercapnic])
    criteria = [hypoxemic, hypercapnic, pao2, spo2, pf, *_resp_rate(index, w, ref)]
    missing = [] if verdict else list(missing_of([hypoxemic, hypercapnic]))
    return ScoreResult(
        name="arf",
        version=ARF_VERSION,
        window=w,
        criteria=criteria,
        verdict=verdict,
        missing=missing,
        conventions=[
            "the 24 hours from admission, [admission, admission + 24 h)",
            "each PaO2 paired with the FiO2 charted closest in time within 60 minutes; with "
            "none, FiO2 0.21 when the respiratory support charted last before it is room air; "
            "otherwise no P/F ratio",
            "P/F is rounded to one decimal before the threshold applies",
            "SpO2 counts only on room air: the respiratory support charted last at or before "
            "it is room air",
            "PaCO2 and pH are of the same blood gas when charted at the same time",
            "a criterion the chart cannot decide is undecided, never assumed; hypoxemic and the "
            "verdict are met when one part is met, not met when none is and at least one could "
            "be decided",
        ],
    )
