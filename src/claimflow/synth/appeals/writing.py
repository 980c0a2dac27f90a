"""How one case writes its numbers: the units and forms it uses (the hard cases of units)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Style:
    """A case's charting habits: SI units for creatinine and bilirubin, temperature in
    degrees Fahrenheit, weight in pounds, FiO2 as a percentage (40) instead of a fraction
    (0.40), vasopressor rates in mcg/min instead of mcg/kg/min."""

    si: bool = False
    temp_f: bool = False
    weight_lb: bool = False
    fio2_percent: bool = False
    pressor_mcg_min: bool = False

    def write(self, param: str, value: float) -> tuple[str, str]:
        """The written number and unit key (UCUM) of a canonical value."""
        if param == "creatinine":
            return (f"{round(value * 88.4)}", "umol/L") if self.si else (f"{value:.2f}", "mg/dL")
        if param == "bilirubin":
            return (f"{round(value * 17.1)}", "umol/L") if self.si else (f"{value:.1f}", "mg/dL")
        if param == "temperature":
            if self.temp_f:
                return f"{value * 9 / 5 + 32:.1f}", "[degF]"
            return f"{value:.1f}", "Cel"
        if param == "weight":
            if self.weight_lb:
                return f"{round(value / 0.45359237)}", "[lb_av]"
            return f"{value:.1f}", "kg"
        if param == "fio2":
            return (f"{round(value * 100)}", "%") if self.fio2_percent else (f"{value:.2f}", "1")
        fmt, unit = NUMBER_FORMS[param]
        return fmt.format(value), unit


NUMBER_FORMS: dict[str, tuple[str, str]] = {
    "lactate": ("{:.1f}", "mmol/L"),
    "platelets": ("{:.0f}", "10*3/uL"),
    "wbc": ("{:.1f}", "10*3/uL"),
    "bands": ("{:.0f}", "%"),
    "pao2": ("{:.0f}", "mm[Hg]"),
    "paco2": ("{:.0f}", "mm[Hg]"),
    "ph": ("{:.2f}", "[pH]"),
    "inr": ("{:.1f}", "{INR}"),
    "map": ("{:.0f}", "mm[Hg]"),
    "sbp": ("{:.0f}", "mm[Hg]"),
    "heart_rate": ("{:.0f}", "/min"),
    "resp_rate": ("{:.0f}", "/min"),
    "spo2": ("{:.0f}", "%"),
    "gcs": ("{:.0f}", "{score}"),
    "urine_output": ("{:.0f}", "mL"),
    "peep": ("{:.0f}", "cm[H2O]"),
}

# How a note writes a parameter's number (canonical units, conventional forms).
NOTE_FORMS: dict[str, str] = {
    "lactate": "{:.1f}",
    "creatinine": "{:.1f}",
    "bilirubin": "{:.1f}",
    "platelets": "{:.0f}",
    "wbc": "{:.1f}",
    "map": "{:.0f}",
    "heart_rate": "{:.0f}",
    "resp_rate": "{:.0f}",
    "temperature": "{:.1f}",
    "spo2": "{:.0f}",
    "gcs": "{:.0f}",
}
