"""A small chart builder for the scorers' tests: times in hours from admission, values in
canonical units, every row with its own lineage hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools

from claimflow.clinical.evidence import fmt_value
from claimflow.clinical.records import (
    CANONICAL_UNITS,
    Chart,
    Diagnosis,
    MedicationAdministration,
    Observation,
    Source,
)
from claimflow.clinical.results import Criterion, ScoreResult

ADMITTED = dt.datetime(2026, 3, 1, 8, 0)
_counter = itertools.count(1)


def at(hours: float) -> dt.datetime:
    """``hours`` after admission (negative: before)."""
    return ADMITTED + dt.timedelta(hours=hours)


def source() -> Source:
    n = next(_counter)
    return Source(hashlib.sha256(str(n).encode()).hexdigest(), "test.ndjson", str(n))


class ChartBuilder:
    def __init__(self, admitted: dt.datetime = ADMITTED) -> None:
        self.chart = Chart("case-1", admitted, admitted + dt.timedelta(days=5))

    def obs(
        self,
        param: str,
        hours: float,
        value: float | None,
        *,
        text: str | None = None,
        end_hours: float | None = None,
        qualifier: str | None = None,
    ) -> ChartBuilder:
        self.chart.observations.append(
            Observation(
                param=param,
                time=at(hours),
                value=value,
                unit=CANONICAL_UNITS.get(param, ""),
                source=source(),
                text=text,
                end=None if end_hours is None else at(end_hours),
                qualifier=qualifier,
            )
        )
        return self

    def support(self, hours: float, kind: str) -> ChartBuilder:
        return self.obs("respiratory_support", hours, None, text=kind)

    def culture(self, hours: float, text: str = "drawn") -> ChartBuilder:
        return self.obs("blood_culture", hours, None, text=text)

    def urine(self, start: float, end: float, ml: float) -> ChartBuilder:
        return self.obs("urine_output", start, ml, end_hours=end)

    def med(
        self,
        drug: str,
        start: float,
        end: float | None = None,
        *,
        rate: float | None = None,
        rate_unit: str | None = None,
        dose: float | None = None,
        dose_unit: str | None = None,
        drug_class: str | None = None,
    ) -> ChartBuilder:
        if drug_class is None and drug in (
            "norepinephrine",
            "epinephrine",
            "dopamine",
            "dobutamine",
            "vasopressin",
            "phenylephrine",
        ):
            drug_class = "vasoactive"
        self.chart.medications.append(
            MedicationAdministration(
                drug=drug,
                drug_class=drug_class,
                start=at(start),
                end=None if end is None else at(end),
                rate=rate,
                rate_unit=rate_unit,
                dose=dose,
                dose_unit=dose_unit,
                source=source(),
            )
        )
        return self

    def antibiotic(self, start: float, drug: str = "ceftriaxone") -> ChartBuilder:
        return self.med(drug, start, start + 0.5, dose=1, dose_unit="g", drug_class="antibiotic")

    def fluid(self, start: float, ml: float) -> ChartBuilder:
        return self.med(
            "lactated ringers", start, start + 1, dose=ml, dose_unit="mL", drug_class="crystalloid"
        )

    def dx(self, code: str, poa: str = "Y") -> ChartBuilder:
        self.chart.diagnoses.append(Diagnosis(code, "", poa, None, source()))
        return self

    def build(self) -> Chart:
        return self.chart


def check_citations(result: ScoreResult) -> None:
    """The citation invariant: a criterion with points > 0 (or met) cites at least one row
    whose value is written in its rule; every cited value is written in the rule."""
    for c in result.criteria:
        _check_criterion(c)


def _check_criterion(c: Criterion) -> None:
    if (c.points or 0) > 0 or c.met:
        valued = [r for r in c.cited if r.value is not None]
        assert c.cited, f"{c.id} has no cited rows: {c.rule}"
        if valued:
            assert any(
                fmt_value(r.param, r.value) in c.rule for r in valued if r.value is not None
            ), f"{c.id}: no cited value in the rule {c.rule!r}"
    for r in (*c.cited, *c.baseline_cited):
        if r.value is not None and r.param in CANONICAL_UNITS:
            assert fmt_value(r.param, r.value) in c.rule, (
                f"{c.id}: {r.param} {r.value} not in {c.rule!r}"
            )
