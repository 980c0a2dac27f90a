"""Units: every parameter's canonical unit is read as is, and each other spelling converts by
its published factor (computed here from the factor, not from the table)."""

from __future__ import annotations

import pytest

from claimflow.appeals.units import (
    UNITS,
    UnknownUnitError,
    dose_to_canonical,
    known_units,
    rate_to_canonical,
    to_canonical,
)
from claimflow.clinical.records import CANONICAL_UNITS


def test_every_numeric_parameter_has_its_canonical_unit_as_identity() -> None:
    assert set(UNITS) == set(CANONICAL_UNITS)
    for param, unit in CANONICAL_UNITS.items():
        if param == "fio2":
            continue  # a fraction: 40 is read as a percentage (below)
        converted = to_canonical(param, 7.25, unit)
        assert (converted.value, converted.unit) == (7.25, unit), param


@pytest.mark.parametrize(
    ("param", "value", "unit", "expected"),
    [
        ("lactate", 27.03, "mg/dL", 27.03 / 9.01),
        ("lactate", 2.0, "MMOL/L", 2.0),
        ("creatinine", 176.8, "umol/L", 176.8 / 88.4),
        ("creatinine", 176.8, "µmol/L", 176.8 / 88.4),
        ("creatinine", 176.8, "μmol/L", 176.8 / 88.4),  # Greek mu
        ("bilirubin", 34.2, "umol/L", 34.2 / 17.1),
        ("platelets", 95.0, "K/uL", 95.0),
        ("platelets", 95.0, "10^3/uL", 95.0),
        ("wbc", 15.2, "10*9/L", 15.2),
        ("pao2", 8.0, "kPa", 8.0 * 7.50062),
        ("paco2", 52.0, "mmHg", 52.0),
        ("temperature", 102.2, "degF", (102.2 - 32) * 5 / 9),
        ("temperature", 101.3, "[degF]", (101.3 - 32) * 5 / 9),
        ("weight", 176.37, "lb", 176.37 * 0.45359237),
        ("weight", 200.0, "[lb_av]", 200.0 * 0.45359237),
        ("heart_rate", 112.0, "bpm", 112.0),
        ("resp_rate", 28.0, "breaths/min", 28.0),
        ("peep", 8.0, "cmH2O", 8.0),
        ("gcs", 13.0, "", 13.0),
        ("ph", 7.31, None, 7.31),
    ],
)
def test_conversions(param: str, value: float, unit: str | None, expected: float) -> None:
    converted = to_canonical(param, value, unit)
    assert converted.value == pytest.approx(expected, rel=1e-12)
    assert converted.unit == CANONICAL_UNITS[param]


@pytest.mark.parametrize(
    ("value", "unit"), [(40, "%"), (40, ""), (0.40, ""), (0.4, "1"), (40, None)]
)
def test_fio2_40_and_0_40_are_the_same(value: float, unit: str | None) -> None:
    assert to_canonical("fio2", value, unit).value == pytest.approx(0.40)


def test_fio2_out_of_range_is_refused() -> None:
    with pytest.raises(UnknownUnitError, match=r"outside 0\.21\.\.1"):
        to_canonical("fio2", 150, "%")


def test_an_unknown_unit_names_the_units_known() -> None:
    with pytest.raises(UnknownUnitError) as caught:
        to_canonical("lactate", 4.2, "mEq/L")
    message = str(caught.value)
    assert "'mEq/L'" in message and "lactate" in message
    assert "mmol/L" in message and "mg/dL" in message
    assert caught.value.known == known_units("lactate")


def test_a_numeric_unit_on_a_unitless_score_is_unknown() -> None:
    with pytest.raises(UnknownUnitError, match="gcs"):
        to_canonical("gcs", 13, "mmHg")


@pytest.mark.parametrize(
    ("value", "unit", "expected", "canonical"),
    [
        (0.12, "mcg/kg/min", 0.12, "ug/kg/min"),
        (0.12, "µg/kg/min", 0.12, "ug/kg/min"),
        (8.0, "mcg/min", 8.0, "ug/min"),
        (0.04, "units/min", 0.04, "U/min"),
        (2.4, "units/hr", 2.4 / 60, "U/min"),
        (125.0, "mL/hr", 125.0, "mL/h"),
    ],
)
def test_rates(value: float, unit: str, expected: float, canonical: str) -> None:
    converted = rate_to_canonical(value, unit)
    assert converted.value == pytest.approx(expected)
    assert converted.unit == canonical


def test_doses_and_unknown_medication_units() -> None:
    assert dose_to_canonical(2, "L").value == 2000.0
    assert dose_to_canonical(2, "L").unit == "mL"
    assert dose_to_canonical(4.5, "g").unit == "g"
    with pytest.raises(UnknownUnitError, match="mg/hr"):
        rate_to_canonical(5, "mg/hr")
    with pytest.raises(UnknownUnitError, match="tablet"):
        dose_to_canonical(1, "tablet")
