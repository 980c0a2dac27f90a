"""KDIGO 2012 over the whole stay (docs/appeals.md, "Acute kidney injury")."""

from __future__ import annotations

import pytest

from claimflow.clinical.kidney import score_kdigo
from claimflow.clinical.results import ScoreResult
from tests.clinical.charts import ChartBuilder, check_citations

DAY = 24


def kdigo(b: ChartBuilder) -> ScoreResult:
    result = score_kdigo(b.build())
    check_citations(result)
    return result


def test_baseline_is_the_lowest_value_in_the_7_days_before_admission() -> None:
    b = (
        ChartBuilder()
        .obs("creatinine", -10 * DAY, 0.6)  # more than 7 days before: not a baseline
        .obs("creatinine", -5 * DAY, 1.0)
        .obs("creatinine", -2 * DAY, 1.2)
        .obs("creatinine", 30, 2.0)
    )
    result = kdigo(b)
    base = result.criterion("kdigo.baseline")
    assert base.value == 1.0
    assert "lowest creatinine in the 7 days before admission" in base.rule
    c = result.criterion("kdigo.creatinine")
    assert (c.points, c.value) == (2, 2.0)
    assert "2.0 × baseline" in c.rule
    assert (result.stage, result.verdict) == (2, True)


def test_baseline_is_the_first_value_of_the_stay_when_none_before() -> None:
    b = (
        ChartBuilder()
        .obs("creatinine", -10 * DAY, 0.6)
        .obs("creatinine", 2, 1.1)
        .obs("creatinine", 80, 1.7)
    )
    result = kdigo(b)
    base = result.criterion("kdigo.baseline")
    assert base.value == 1.1
    assert "first value of the stay" in base.rule
    assert result.stage == 1  # 1.7 / 1.1 = 1.55


@pytest.mark.parametrize(
    ("peak", "stage"),
    [(1.4, 0), (1.5, 1), (1.99, 1), (2.0, 2), (2.99, 2), (3.0, 3), (3.6, 3)],
)
def test_stage_by_ratio(peak: float, stage: int) -> None:
    # baseline 1.0 five days before admission; one value in the stay, no rise within 48 h
    result = kdigo(ChartBuilder().obs("creatinine", -5 * DAY, 1.0).obs("creatinine", 10, peak))
    assert result.stage == stage
    assert result.verdict is (stage >= 1)


def test_ratios_are_compared_rounded() -> None:
    # 2.4 / 1.6 is 1.4999999999999998 in floating point: 1.5 ×
    result = kdigo(ChartBuilder().obs("creatinine", -3 * DAY, 1.6).obs("creatinine", 10, 2.4))
    assert result.stage == 1


def test_4_mg_dl_with_an_acute_rise_is_stage_3() -> None:
    rise = kdigo(ChartBuilder().obs("creatinine", -3 * DAY, 2.5).obs("creatinine", 10, 4.0))
    assert rise.stage == 3  # 1.6 × and at least 4.0 mg/dL
    assert "at least 4.0 mg/dL" in rise.criterion("kdigo.creatinine").rule
    stable = kdigo(ChartBuilder().obs("creatinine", -3 * DAY, 3.9).obs("creatinine", 10, 4.1))
    assert stable.stage == 0  # 4.1 is no acute rise over 3.9


def test_a_rise_of_03_within_48_hours_is_stage_1() -> None:
    b = ChartBuilder().obs("creatinine", 2, 0.9).obs("creatinine", 40, 1.2)
    result = kdigo(b)
    rise = result.criterion("kdigo.rise_48h")
    assert rise.met is True and rise.value == 0.3  # 1.2 - 0.9, rounded
    assert result.stage == 1
    late = kdigo(ChartBuilder().obs("creatinine", 2, 0.9).obs("creatinine", 51, 1.2))
    assert late.criterion("kdigo.rise_48h").met is False
    assert late.stage == 0


def full_weight(b: ChartBuilder) -> ChartBuilder:
    return b.obs("weight", 0, 80)


@pytest.mark.parametrize(
    ("ml_per_hour", "hours", "stage"),
    [
        (30, 5, 0),  # 0.375 mL/kg/h for 5 h
        (30, 6, 1),  # for 6 h
        (30, 12, 2),  # for 12 h
        (20, 23, 2),  # 0.25 for 23 h
        (20, 24, 3),  # 0.25 for 24 h
        (40, 12, 0),  # 0.5 is not below 0.5
    ],
)
def test_stage_by_urine_output(ml_per_hour: float, hours: int, stage: int) -> None:
    b = full_weight(ChartBuilder())
    for h in range(hours):
        b.urine(h, h + 1, ml_per_hour)
    result = kdigo(b)
    c = result.criterion("kdigo.urine_output")
    assert c.points == stage
    assert result.stage == stage


def test_urine_runs_must_be_consecutive() -> None:
    b = full_weight(ChartBuilder())
    b.urine(0, 3, 90).urine(4, 7, 90)  # 0.375 mL/kg/h, but a gap between 3 h and 4 h
    assert kdigo(b).criterion("kdigo.urine_output").points == 0


def test_urine_output_in_ml_per_kg_per_hour_cites_volume_and_weight() -> None:
    b = full_weight(ChartBuilder()).urine(0, 6, 180)  # 180 / 80 / 6 = 0.375
    c = kdigo(b).criterion("kdigo.urine_output")
    assert c.points == 1
    assert "180 mL from 03/01 08:00 to 03/01 14:00 ÷ 80 kg = 0.38 mL/kg/h" in c.rule
    assert {r.param for r in c.cited} == {"urine_output", "weight"}


def test_urine_output_without_weight_is_undecided() -> None:
    c = kdigo(ChartBuilder().urine(0, 6, 100)).criterion("kdigo.urine_output")
    assert c.met is None and c.missing == ("weight",)


def test_stage_is_the_higher_of_creatinine_and_urine_output() -> None:
    b = full_weight(ChartBuilder().obs("creatinine", -2 * DAY, 1.0).obs("creatinine", 20, 1.6))
    for h in range(12):
        b.urine(h, h + 1, 30)
    result = kdigo(b)
    assert result.criterion("kdigo.creatinine").points == 1
    assert result.criterion("kdigo.urine_output").points == 2
    stage = result.criterion("kdigo.stage")
    assert (result.stage, stage.points, stage.met) == (2, 2, True)


def test_nothing_to_stage() -> None:
    result = kdigo(ChartBuilder())
    assert (result.stage, result.verdict) == (None, None)
    assert "creatinine" in result.missing
