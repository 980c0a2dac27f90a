"""Units: every value of the chart is converted to its parameter's canonical unit on load.

One table (``UNITS``) says, per parameter, which unit spellings are read and how each converts
to the canonical unit of ``claimflow.clinical.records.CANONICAL_UNITS``; docs/appeals.md lists
the same. A unit the table does not list is not guessed at: the readers quarantine the row,
naming the units known (:class:`UnknownUnitError`).

Units are compared trimmed, case-insensitively, with ``µ``/``μ`` read as ``u`` and ``mcg`` as
``ug``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from claimflow.clinical.records import CANONICAL_UNITS, TEXT_PARAMS

Convert = Callable[[float], float]


def _times(factor: float) -> Convert:
    return lambda v: v * factor


def _divided(divisor: float) -> Convert:
    return lambda v: v / divisor


def _same(v: float) -> float:
    return v


def _fahrenheit(v: float) -> float:
    return (v - 32.0) * 5.0 / 9.0


def _fraction(v: float) -> float:
    """FiO2: a number above 1 is a percentage (40 and 0.40 are the same)."""
    return v / 100.0 if v > 1.0 else v


NO_UNIT = ""
"""The spelling of "no unit" in the table (an empty or absent unit)."""

UNITS: dict[str, dict[str, Convert]] = {
    "lactate": {"mmol/L": _same, "mg/dL": _divided(9.01)},
    "creatinine": {"mg/dL": _same, "umol/L": _divided(88.4)},
    "bilirubin": {"mg/dL": _same, "umol/L": _divided(17.1)},
    "platelets": {"10*3/uL": _same, "K/uL": _same, "10^3/uL": _same, "10*9/L": _same},
    "wbc": {"10*3/uL": _same, "K/uL": _same, "10^3/uL": _same, "10*9/L": _same},
    "bands": {"%": _same},
    "pao2": {"mm[Hg]": _same, "mmHg": _same, "kPa": _times(7.50062)},
    "paco2": {"mm[Hg]": _same, "mmHg": _same, "kPa": _times(7.50062)},
    "ph": {NO_UNIT: _same, "[pH]": _same},
    "fio2": {NO_UNIT: _fraction, "1": _fraction, "%": _fraction},
    "inr": {NO_UNIT: _same, "{INR}": _same},
    "map": {"mm[Hg]": _same, "mmHg": _same},
    "sbp": {"mm[Hg]": _same, "mmHg": _same},
    "heart_rate": {"/min": _same, "bpm": _same, "beats/min": _same},
    "resp_rate": {"/min": _same, "breaths/min": _same},
    "temperature": {
        "Cel": _same,
        "degC": _same,
        "°C": _same,
        "degF": _fahrenheit,
        "[degF]": _fahrenheit,
        "°F": _fahrenheit,
    },
    "spo2": {"%": _same},
    "gcs": {NO_UNIT: _same, "{score}": _same},
    "urine_output": {"mL": _same},
    "weight": {"kg": _same, "lb": _times(0.45359237), "[lb_av]": _times(0.45359237)},
    "peep": {"cm[H2O]": _same, "cmH2O": _same},
}
"""Per parameter: unit as written → conversion to the canonical unit. The one table."""

RANGES: dict[str, tuple[float, float]] = {"fio2": (0.21, 1.0)}
"""Values that cannot be physiological after conversion (an FiO2 of 1.5): quarantined."""

RATE_UNITS: dict[str, tuple[str, Convert]] = {
    "ug/kg/min": ("ug/kg/min", _same),
    "ug/min": ("ug/min", _same),
    "U/min": ("U/min", _same),
    "units/min": ("U/min", _same),
    "unit/min": ("U/min", _same),
    "U/h": ("U/min", _divided(60.0)),
    "units/h": ("U/min", _divided(60.0)),
    "units/hr": ("U/min", _divided(60.0)),
    "mL/h": ("mL/h", _same),
    "mL/hr": ("mL/h", _same),
}
"""A medication's rate as written → (canonical rate unit, conversion). Pressors are in ug/kg/min
or ug/min (the scorer divides ug/min by the charted weight), vasopressin in U/min, fluids in
mL/h."""

DOSE_UNITS: dict[str, tuple[str, Convert]] = {
    "mL": ("mL", _same),
    "L": ("mL", _times(1000.0)),
    "mg": ("mg", _same),
    "g": ("g", _same),
    "ug": ("ug", _same),
    "U": ("U", _same),
    "units": ("U", _same),
}
"""A medication's dose as written → (canonical dose unit, conversion): fluids in mL, drugs in
mg, g, ug or units as charted."""


def normalise(unit: str | None) -> str:
    """The comparable form of a unit: trimmed, lower case, µ as u, mcg as ug."""
    text = (unit or "").strip().replace("µ", "u").replace("μ", "u").lower()
    return text.replace("mcg", "ug").replace(" ", "")


class UnknownUnitError(ValueError):
    """A unit the table does not list for the parameter (or a value out of its range)."""

    def __init__(self, what: str, unit: str, known: list[str], message: str = "") -> None:
        self.what = what
        self.unit = unit
        self.known = known
        shown = ", ".join(k if k else "(no unit)" for k in known)
        super().__init__(
            message or f"unit {unit.strip() or '(none)'!r} is not known for {what} (known: {shown})"
        )


@dataclass(frozen=True)
class Converted:
    """A value in its canonical unit."""

    value: float
    unit: str


def _lookup(table: dict[str, Convert], unit: str | None) -> Convert | None:
    wanted = normalise(unit)
    for spelling, convert in table.items():
        if normalise(spelling) == wanted:
            return convert
    return None


def known_units(param: str) -> list[str]:
    """The units read for ``param`` (``""`` is "no unit")."""
    return list(UNITS.get(param, {}))


def to_canonical(param: str, value: float, unit: str | None) -> Converted:
    """``value`` in ``unit`` converted to ``param``'s canonical unit.

    Raises:
        UnknownUnitError: ``unit`` is not listed for ``param``, or the converted value lies
            outside the parameter's possible range.
        KeyError: ``param`` is not a numeric parameter.
    """
    if param in TEXT_PARAMS or param not in CANONICAL_UNITS:
        raise KeyError(f"{param!r} is not a numeric parameter")
    convert = _lookup(UNITS[param], unit)
    if convert is None:
        raise UnknownUnitError(param, unit or "", known_units(param))
    converted = convert(value)
    low_high = RANGES.get(param)
    if low_high is not None and not low_high[0] <= converted <= low_high[1]:
        raise UnknownUnitError(
            param,
            unit or "",
            known_units(param),
            f"{param} {converted:g} (after conversion) is outside {low_high[0]:g}..{low_high[1]:g}",
        )
    return Converted(converted, CANONICAL_UNITS[param])


def rate_to_canonical(value: float, unit: str | None) -> Converted:
    """A medication rate in its canonical unit.

    Raises:
        UnknownUnitError: ``unit`` is not a rate unit the table lists.
    """
    return _medication(RATE_UNITS, "a medication rate", value, unit)


def dose_to_canonical(value: float, unit: str | None) -> Converted:
    """A medication dose in its canonical unit.

    Raises:
        UnknownUnitError: ``unit`` is not a dose unit the table lists.
    """
    return _medication(DOSE_UNITS, "a medication dose", value, unit)


def _medication(
    table: dict[str, tuple[str, Convert]], what: str, value: float, unit: str | None
) -> Converted:
    wanted = normalise(unit)
    for spelling, (canonical, convert) in table.items():
        if normalise(spelling) == wanted:
            return Converted(convert(value), canonical)
    raise UnknownUnitError(what, unit or "", list(table))
