"""What holds of every score on any chart: every point rests on cited rows of the chart whose
values the rule states, undecided criteria say what is missing, and scoring is fast."""

from __future__ import annotations

import random
import time

import pytest

from claimflow.clinical.kidney import score_kdigo
from claimflow.clinical.records import Chart
from claimflow.clinical.respiratory import score_arf
from claimflow.clinical.results import ScoreResult
from claimflow.clinical.sepsis import score_qsofa, score_sepsis3, score_sirs, sep1_timing
from claimflow.clinical.sofa import score_sofa, sofa_window
from tests.clinical.charts import ChartBuilder, check_citations

RANGES = {
    "pao2": (40, 120),
    "paco2": (25, 80),
    "ph": (7.1, 7.5),
    "fio2": (0.21, 1.0),
    "platelets": (10, 300),
    "bilirubin": (0.3, 14),
    "creatinine": (0.5, 6),
    "map": (45, 95),
    "sbp": (70, 150),
    "gcs": (3, 15),
    "resp_rate": (10, 40),
    "heart_rate": (50, 150),
    "temperature": (35, 40.5),
    "wbc": (1, 25),
    "bands": (0, 20),
    "spo2": (80, 100),
    "lactate": (0.5, 8),
}
INTEGER = {"pao2", "paco2", "platelets", "map", "sbp", "gcs", "resp_rate", "heart_rate", "spo2"}


def random_chart(seed: int, rows: int) -> Chart:
    rng = random.Random(seed)
    b = ChartBuilder()
    b.obs("weight", rng.uniform(-2, 2), round(rng.uniform(45, 120), 1))
    if rng.random() < 0.5:
        b.dx(rng.choice(["A41.9", "J18.9", "N39.0", "I10"]), rng.choice(["Y", "N", "W", "U"]))
    if rng.random() < 0.7:
        b.culture(rng.uniform(-2, 12))
    if rng.random() < 0.7:
        b.antibiotic(rng.uniform(-2, 12))
    for _ in range(rows):
        param = rng.choice(list(RANGES))
        lo, hi = RANGES[param]
        value = rng.uniform(lo, hi)
        value = float(round(value)) if param in INTEGER else round(value, 2)
        sedated = "sedated" if param == "gcs" and rng.random() < 0.3 else None
        b.obs(param, rng.uniform(-72, 96), value, qualifier=sedated)
    for h in range(0, 72, 2):
        b.urine(h, h + 2, rng.choice([10, 40, 80, 150]))
    for h in range(-6, 60, 8):
        b.support(h, rng.choice(["room_air", "nasal_cannula", "niv", "invasive_ventilation"]))
    for _ in range(4):
        drug = rng.choice(
            ["norepinephrine", "epinephrine", "dopamine", "dobutamine", "vasopressin"]
        )
        start = rng.uniform(-2, 40)
        end = rng.choice([None, start + rng.uniform(0.2, 8)])
        unit = rng.choice(["ug/kg/min", "ug/min"])
        rate = rng.uniform(0.01, 0.3) if unit == "ug/kg/min" else rng.uniform(2, 30)
        if drug == "dopamine":
            rate = rng.uniform(2, 20) if unit == "ug/kg/min" else rng.uniform(100, 1500)
        b.med(drug, start, end, rate=round(rate, 3), rate_unit=unit)
    for _ in range(3):
        b.fluid(rng.uniform(0, 10), rng.choice([500, 1000]))
    return b.build()


def every_score(chart: Chart) -> list[ScoreResult]:
    sofa = score_sofa(chart)
    window = sofa_window(chart)
    return [
        sofa,
        score_sepsis3(chart, sofa),
        score_qsofa(chart, window),
        score_sirs(chart, window),
        sep1_timing(chart),
        score_arf(chart),
        score_kdigo(chart),
    ]


@pytest.mark.parametrize("seed", range(40))
def test_every_point_rests_on_rows_of_the_chart(seed: int) -> None:
    chart = random_chart(seed, 150)
    sources = {o.source for o in chart.observations}
    sources |= {m.source for m in chart.medications} | {d.source for d in chart.diagnoses}
    for result in every_score(chart):
        check_citations(result)
        for c in result.criteria:
            assert {r.source for r in (*c.cited, *c.baseline_cited)} <= sources
            if c.met is None and c.points is None and "not applicable" not in c.rule:
                assert c.missing, f"{c.id} undecided without saying what is missing: {c.rule}"
            if c.points is not None and c.points > 0:
                assert c.cited
        if result.name == "sofa":
            assert result.total == sum(c.points or 0 for c in result.criteria)
            assert result.delta == (result.total or 0) - (result.baseline or 0)
            assert result.window is not None
            for c in result.criteria:
                if c.time is None:
                    continue
                assert c.time < result.window.end, c.rule
                if c.id not in ("sofa.cns", "sofa.cardiovascular"):  # pre-sedation GCS, a
                    # pressor running into the window
                    assert result.window.start <= c.time, c.rule


def test_scoring_a_chart_of_thousands_of_rows_takes_milliseconds() -> None:
    chart = random_chart(7, 4000)
    started = time.perf_counter()
    every_score(chart)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5, f"{elapsed:.3f} s"
