"""SOFA by organ (docs/appeals.md, "SOFA by organ"): every rule and every boundary, values
computed by hand from the spec. Without an infection sign the window is [admission, +24 h)."""

from __future__ import annotations

import pytest

from claimflow.clinical.results import Criterion, ScoreResult
from claimflow.clinical.sofa import SOFA_VERSION, score_sofa
from tests.clinical.charts import ChartBuilder, check_citations


def sofa(b: ChartBuilder) -> ScoreResult:
    result = score_sofa(b.build())
    check_citations(result)
    return result


def organ(b: ChartBuilder, name: str) -> Criterion:
    return sofa(b).criterion(f"sofa.{name}")


# -- the table's boundaries (half-open) -----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "points"),
    [(150, 0), (149.9, 1), (100, 1), (99.9, 2), (50, 2), (49.9, 3), (20, 3), (19.9, 4)],
)
def test_platelets(value: float, points: int) -> None:
    c = organ(ChartBuilder().obs("platelets", 3, value), "coagulation")
    assert c.points == points
    assert c.met is (points > 0)
    assert c.value == value


@pytest.mark.parametrize(
    ("value", "points"),
    [(1.1, 0), (1.2, 1), (1.9, 1), (1.99, 1), (2.0, 2), (5.9, 2), (6.0, 3), (11.9, 3), (12.0, 4)],
)
def test_bilirubin(value: float, points: int) -> None:
    assert organ(ChartBuilder().obs("bilirubin", 3, value), "liver").points == points


@pytest.mark.parametrize(
    ("value", "points"),
    [(1.1, 0), (1.2, 1), (1.95, 1), (2.0, 2), (3.4, 2), (3.5, 3), (4.9, 3), (5.0, 4), (7.2, 4)],
)
def test_creatinine(value: float, points: int) -> None:
    assert organ(ChartBuilder().obs("creatinine", 3, value), "renal").points == points


def test_the_worst_value_in_the_window_decides_and_is_cited() -> None:
    b = ChartBuilder().obs("platelets", 2, 140).obs("platelets", 10, 45).obs("platelets", 20, 90)
    c = organ(b, "coagulation")
    assert (c.points, c.value) == (3, 45)
    assert [r.value for r in c.cited] == [45]
    assert "lowest platelets 45 ×10³/µL at 03/01 18:00" in c.rule


def test_values_outside_the_window_are_ignored() -> None:
    b = (
        ChartBuilder()
        .obs("platelets", 24, 10)  # the window's end is excluded
        .obs("platelets", 30, 10)
        .obs("platelets", 23.9, 120)
    )
    c = organ(b, "coagulation")
    assert (c.points, c.value) == (1, 120)


# -- respiration ----------------------------------------------------------------------------


def test_pf_with_invasive_ventilation_scores_3_and_cites_pao2_fio2_and_support() -> None:
    b = (
        ChartBuilder()
        .support(3, "invasive_ventilation")
        .obs("fio2", 4, 0.50)
        .obs("pao2", 4 + 10 / 60, 71)
    )
    c = organ(b, "respiration")
    assert (c.points, c.value) == (3, 142)
    assert "P/F 142 (PaO2 71 mmHg at 03/01 12:10 / FiO2 0.50 at 03/01 12:00)" in c.rule
    assert "invasive ventilation" in c.rule
    assert {r.param for r in c.cited} == {"pao2", "fio2", "respiratory_support"}


def test_pf_below_100_with_niv_scores_4() -> None:
    b = ChartBuilder().support(1, "niv").obs("fio2", 2, 0.6).obs("pao2", 2, 55)
    c = organ(b, "respiration")
    assert c.points == 4
    assert c.value == pytest.approx(91.7)


@pytest.mark.parametrize("support", [None, "nasal_cannula", "hfnc", "face_mask"])
def test_pf_below_200_without_ventilatory_support_is_capped_at_2(support: str | None) -> None:
    b = ChartBuilder()
    if support:
        b.support(1, support)
    b.obs("fio2", 2, 0.6).obs("pao2", 2, 55)  # P/F 91.7
    c = organ(b, "respiration")
    assert c.points == 2
    assert "capped at 2" in c.rule


def test_support_charted_after_the_pao2_does_not_count() -> None:
    b = ChartBuilder().obs("fio2", 2, 0.6).obs("pao2", 2, 90).support(3, "invasive_ventilation")
    assert organ(b, "respiration").points == 2  # P/F 150, support charted 1 h after


@pytest.mark.parametrize(
    ("pao2", "fio2", "points"),
    [
        (80, 0.2, 0),
        (79.9, 0.2, 1),
        (60, 0.2, 1),
        (59.9, 0.2, 2),
        (40, 0.2, 2),
        (39.9, 0.2, 3),
        (20, 0.2, 3),
        (19.9, 0.2, 4),
    ],
)
def test_pf_boundaries(pao2: float, fio2: float, points: int) -> None:
    # P/F 400, 399.5, 300, 299.5, 200, 199.5, 100, 99.5 with invasive ventilation
    b = ChartBuilder().support(0, "invasive_ventilation").obs("fio2", 2, fio2).obs("pao2", 2, pao2)
    assert organ(b, "respiration").points == points


def test_fio2_is_paired_within_60_minutes_closest_first() -> None:
    b = (
        ChartBuilder()
        .obs("fio2", 2 - 50 / 60, 0.40)
        .obs("fio2", 2 + 20 / 60, 0.60)
        .obs("pao2", 2, 120)
    )
    c = organ(b, "respiration")
    assert (c.value, c.points) == (200, 2)  # 120 / 0.60, the closer FiO2
    assert "FiO2 0.60 at 03/01 10:20" in c.rule

    exactly_60 = ChartBuilder().obs("fio2", 1, 0.40).obs("pao2", 2, 120)
    assert organ(exactly_60, "respiration").value == 300


def test_no_fio2_within_60_minutes_is_not_assessable() -> None:
    b = ChartBuilder().obs("fio2", 2 - 61 / 60, 0.40).obs("pao2", 2, 70)
    c = organ(b, "respiration")
    assert c.points is None and c.met is None
    assert c.missing == ("fio2",)
    assert "not assessable" in c.rule


def test_room_air_pairs_with_021() -> None:
    b = ChartBuilder().support(1, "room_air").obs("pao2", 2, 63)
    c = organ(b, "respiration")
    assert c.value == 300  # 63 / 0.21, not below 300
    assert c.points == 1
    assert "FiO2 0.21 on room air" in c.rule
    assert {r.param for r in c.cited} == {"pao2", "respiratory_support"}


def test_an_unpaired_pao2_is_not_used_and_said() -> None:
    b = ChartBuilder().obs("pao2", 2, 50).obs("fio2", 10, 0.5).obs("pao2", 10, 150)
    c = organ(b, "respiration")
    assert (c.value, c.points) == (300, 1)
    assert "1 PaO2 with no FiO2 within 60 min not used" in c.rule


def test_no_pao2_is_missing() -> None:
    c = organ(ChartBuilder().obs("fio2", 2, 0.5), "respiration")
    assert c.points is None and c.missing == ("pao2",)


# -- cardiovascular -------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "points"), [(69, 1), (69.9, 1), (70, 0), (85, 0)])
def test_map(value: float, points: int) -> None:
    assert organ(ChartBuilder().obs("map", 5, value), "cardiovascular").points == points


@pytest.mark.parametrize(
    ("drug", "rate", "points"),
    [
        ("dopamine", 3, 2),
        ("dopamine", 5, 2),  # exactly 5: 2 points (the convention)
        ("dopamine", 5.1, 3),
        ("dopamine", 15, 3),
        ("dopamine", 15.1, 4),
        ("norepinephrine", 0.05, 3),
        ("norepinephrine", 0.1, 3),
        ("norepinephrine", 0.11, 4),
        ("epinephrine", 0.1, 3),
        ("epinephrine", 0.2, 4),
        ("dobutamine", 2.5, 2),
        ("dobutamine", 20, 2),
    ],
)
def test_vasoactive_bands(drug: str, rate: float, points: int) -> None:
    b = ChartBuilder().obs("map", 3, 72).med(drug, 4, 8, rate=rate, rate_unit="ug/kg/min")
    c = organ(b, "cardiovascular")
    assert c.points == points
    assert c.value == rate and c.unit == "ug/kg/min"
    assert c.cited[0].param == drug


def test_mcg_per_min_is_converted_with_the_weight_charted_last_before_the_start() -> None:
    b = (
        ChartBuilder()
        .obs("weight", -2, 100)
        .obs("weight", 1, 80)
        .med("norepinephrine", 2, 6, rate=12, rate_unit="ug/min")
        .obs("weight", 3, 60)
    )
    c = organ(b, "cardiovascular")
    assert c.points == 4  # 12 / 80 = 0.15 > 0.1
    assert c.value == 0.15
    assert "12 µg/min ÷ weight 80 kg (03/01 09:00) = 0.15 µg/kg/min" in c.rule
    assert [(r.param, r.value) for r in c.cited] == [("norepinephrine", 12), ("weight", 80)]


def test_mcg_per_min_at_exactly_01_scores_3() -> None:
    b = ChartBuilder().obs("weight", 0, 80).med("norepinephrine", 2, 6, rate=8, rate_unit="ug/min")
    c = organ(b, "cardiovascular")
    assert (c.points, c.value) == (3, 0.1)


def test_the_first_weight_is_used_when_none_is_charted_before_the_start() -> None:
    b = ChartBuilder().med("epinephrine", 2, 6, rate=10, rate_unit="ug/min").obs("weight", 5, 50)
    c = organ(b, "cardiovascular")
    assert (c.points, c.value) == (4, 0.2)


def test_an_unconvertible_rate_without_weight_scores_3_and_says_so() -> None:
    b = ChartBuilder().med("norepinephrine", 2, 6, rate=20, rate_unit="ug/min")
    c = organ(b, "cardiovascular")
    assert c.points == 3
    assert "no weight charted" in c.rule and "lowest band" in c.rule


def test_a_pressor_given_under_60_minutes_is_ignored() -> None:
    b = (
        ChartBuilder()
        .obs("map", 3, 72)
        .med("norepinephrine", 4, 4.75, rate=0.3, rate_unit="ug/kg/min")
    )
    c = organ(b, "cardiovascular")
    assert c.points == 0
    assert "45 min (< 60 min): not counted" in c.rule

    hour = (
        ChartBuilder()
        .obs("map", 3, 72)
        .med("norepinephrine", 4, 5, rate=0.3, rate_unit="ug/kg/min")
    )
    assert organ(hour, "cardiovascular").points == 4  # exactly 60 minutes counts


def test_a_running_pressor_counts_only_when_started_an_hour_before_the_window_end() -> None:
    late = (
        ChartBuilder()
        .obs("map", 3, 72)
        .med("norepinephrine", 23.5, None, rate=0.3, rate_unit="ug/kg/min")
    )
    assert organ(late, "cardiovascular").points == 0
    early = (
        ChartBuilder()
        .obs("map", 3, 72)
        .med("norepinephrine", 23, None, rate=0.3, rate_unit="ug/kg/min")
    )
    assert organ(early, "cardiovascular").points == 4


def test_a_pressor_outside_the_window_is_ignored() -> None:
    b = (
        ChartBuilder()
        .obs("map", 3, 72)
        .med("norepinephrine", 25, 30, rate=0.3, rate_unit="ug/kg/min")
    )
    assert organ(b, "cardiovascular").points == 0


def test_vasopressin_alone_scores_nothing() -> None:
    b = ChartBuilder().obs("map", 3, 75).med("vasopressin", 2, 10, rate=0.04, rate_unit="U/min")
    c = organ(b, "cardiovascular")
    assert c.points == 0
    assert "vasopressin" in c.rule and "not in the SOFA table" in c.rule
    alone = organ(
        ChartBuilder().med("vasopressin", 2, 10, rate=0.04, rate_unit="U/min"), "cardiovascular"
    )
    assert alone.points is None and alone.missing == ("map",)


def test_the_worst_of_map_and_pressors_decides() -> None:
    b = (
        ChartBuilder()
        .obs("map", 3, 58)
        .med("dopamine", 2, 4, rate=4, rate_unit="ug/kg/min")
        .med("norepinephrine", 5, 9, rate=0.08, rate_unit="ug/kg/min")
    )
    c = organ(b, "cardiovascular")
    assert (c.points, c.value) == (3, 0.08)


# -- central nervous system -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("gcs", "points"), [(15, 0), (14, 1), (13, 1), (12, 2), (10, 2), (9, 3), (6, 3), (5, 4), (3, 4)]
)
def test_gcs(gcs: int, points: int) -> None:
    assert organ(ChartBuilder().obs("gcs", 2, gcs), "cns").points == points


def test_a_sedated_gcs_is_ignored() -> None:
    b = ChartBuilder().obs("gcs", 2, 14).obs("gcs", 6, 3, qualifier="sedated")
    c = organ(b, "cns")
    assert (c.points, c.value) == (1, 14)
    assert "1 GCS assessed under sedation not used" in c.rule


def test_the_pre_sedation_gcs_is_used_when_every_gcs_in_the_window_is_sedated() -> None:
    # a culture at 6 h anchors the window at [6 h, 30 h); GCS 9 at 2 h is before it
    b = (
        ChartBuilder()
        .culture(6)
        .obs("gcs", 1, 13)
        .obs("gcs", 2, 9)
        .obs("gcs", 8, 3, qualifier="sedated")
        .obs("gcs", 12, 3, qualifier="sedated")
    )
    c = organ(b, "cns")
    assert (c.points, c.value) == (3, 9)
    assert "pre-sedation GCS 9 at 03/01 10:00" in c.rule


def test_every_gcs_sedated_and_none_before_is_not_assessable() -> None:
    c = organ(ChartBuilder().obs("gcs", 8, 3, qualifier="sedated"), "cns")
    assert c.points is None and c.missing == ("gcs",)


# -- renal ----------------------------------------------------------------------------------


def full_day(b: ChartBuilder, total: float, start: float = 0) -> ChartBuilder:
    for i in range(4):
        b.urine(start + 6 * i, start + 6 * (i + 1), total / 4)
    return b


@pytest.mark.parametrize(("ml", "points"), [(500, 0), (499, 3), (200, 3), (199, 4)])
def test_urine_output_over_24_hours(ml: float, points: int) -> None:
    c = organ(full_day(ChartBuilder(), ml), "renal")
    assert c.points == points
    assert c.value == ml and c.unit == "mL"
    assert len(c.cited) == 4


def test_renal_is_the_worse_of_creatinine_and_urine_output() -> None:
    b = full_day(ChartBuilder().obs("creatinine", 3, 1.5), 450)
    c = organ(b, "renal")
    assert (c.points, c.value) == (3, 450)
    assert "creatinine 1.5 mg/dL" in c.rule
    worse_creat = full_day(ChartBuilder().obs("creatinine", 3, 5.2), 450)
    assert organ(worse_creat, "renal").value == 5.2


def test_urine_output_not_covering_24_hours_is_ignored() -> None:
    b = ChartBuilder().obs("creatinine", 3, 1.5)
    for i in range(3):
        b.urine(6 * i, 6 * (i + 1), 50)  # 18 h only
    c = organ(b, "renal")
    assert (c.points, c.value) == (1, 1.5)
    assert "cover 18 h of 24 h" in c.rule
    only_urine = ChartBuilder().urine(0, 6, 50)
    assert organ(only_urine, "renal").missing == ("creatinine", "urine_output")


def test_a_urine_period_crossing_the_window_end_is_not_counted() -> None:
    b = ChartBuilder()
    for i in range(3):
        b.urine(6 * i, 6 * (i + 1), 50)
    b.urine(18, 26, 50)
    assert organ(b, "renal").points is None


# -- total, baseline, delta, missing --------------------------------------------------------


def test_missing_organs_are_listed_and_add_nothing() -> None:
    result = sofa(ChartBuilder().obs("platelets", 2, 90))
    assert result.total == 2
    assert result.missing == ["respiration", "liver", "cardiovascular", "cns", "renal"]
    assert result.version == SOFA_VERSION == "SOFA-1 (Vincent 1996)"
    assert [c.id for c in result.criteria] == [
        "sofa.respiration",
        "sofa.coagulation",
        "sofa.liver",
        "sofa.cardiovascular",
        "sofa.cns",
        "sofa.renal",
    ]
    assert result.criterion("sofa.liver").missing == ("bilirubin",)


def test_baseline_from_pre_admission_labs_and_delta() -> None:
    b = (
        ChartBuilder()
        .obs("creatinine", -24 * 30, 1.0)
        .obs("creatinine", -24 * 10, 2.1)  # the last before admission: 2 points
        .obs("creatinine", 4, 3.6)  # 3 points
        .obs("platelets", -24 * 5, 140)  # baseline 1
        .obs("platelets", 4, 80)  # 2 points
        .obs("bilirubin", 4, 2.5)  # 2 points, no baseline: 0
        .obs("map", 4, 65)  # 1 point; a vital: baseline 0
    )
    result = sofa(b)
    assert result.total == 3 + 2 + 2 + 1
    assert result.baseline == 2 + 1
    assert result.delta == 8 - 3
    renal = result.criterion("sofa.renal")
    assert renal.baseline_points == 2
    assert [r.value for r in renal.baseline_cited] == [2.1]
    assert "baseline 2 points (creatinine 2.1 mg/dL at 02/19 08:00, before admission)" in renal.rule
    liver = result.criterion("sofa.liver")
    assert (
        liver.baseline_points == 0
        and "baseline 0 (assumed: no value charted before admission)" in liver.rule
    )


def test_a_pre_admission_pf_sets_the_respiration_baseline() -> None:
    b = (
        ChartBuilder()
        .support(-30, "room_air")
        .obs("pao2", -24, 60)  # 60 / 0.21 = 285.7: 2 points
        .obs("fio2", 3, 0.5)
        .obs("pao2", 3, 100)  # 200: 2 points
    )
    result = sofa(b)
    c = result.criterion("sofa.respiration")
    assert (c.points, c.baseline_points) == (2, 2)
    assert result.delta == 0


def test_an_empty_chart_scores_nothing_and_misses_everything() -> None:
    result = sofa(ChartBuilder())
    assert (result.total, result.baseline, result.delta) == (0, 0, 0)
    assert len(result.missing) == 6
    assert all(c.met is None and c.points is None for c in result.criteria)


def test_an_infusion_charted_as_several_short_rates_counts_at_the_rate_held_throughout() -> None:
    b = (
        ChartBuilder()
        .obs("map", 3, 72)
        .med("norepinephrine", 4, 4.5, rate=0.05, rate_unit="ug/kg/min")
        .med("norepinephrine", 4.5, 5, rate=0.08, rate_unit="ug/kg/min")
        .med("norepinephrine", 5, 5.5, rate=0.12, rate_unit="ug/kg/min")
    )
    c = organ(b, "cardiovascular")
    assert (c.points, c.value) == (3, 0.05)  # 0.12 was held 30 min only: 3, not 4
    assert "given continuously from 03/01 12:00 to 03/01 13:30 (1 h 30 min)" in c.rule
    assert len(c.cited) == 3


def test_a_long_rate_inside_an_infusion_still_scores_on_its_own() -> None:
    b = (
        ChartBuilder()
        .med("norepinephrine", 4, 6, rate=0.3, rate_unit="ug/kg/min")
        .med("norepinephrine", 6, 6.5, rate=0.05, rate_unit="ug/kg/min")
    )
    assert organ(b, "cardiovascular").points == 4


def test_short_rates_with_a_gap_are_not_one_infusion() -> None:
    b = (
        ChartBuilder()
        .obs("map", 3, 72)
        .med("norepinephrine", 4, 4.5, rate=0.05, rate_unit="ug/kg/min")
        .med("norepinephrine", 4.75, 5.25, rate=0.05, rate_unit="ug/kg/min")
    )
    assert organ(b, "cardiovascular").points == 0


def test_two_pressors_in_the_same_band_the_earliest_decides() -> None:
    b = (
        ChartBuilder()
        .med("dopamine", 6, 9, rate=10, rate_unit="ug/kg/min")
        .med("norepinephrine", 3, 9, rate=0.05, rate_unit="ug/kg/min")
    )
    c = organ(b, "cardiovascular")
    assert (c.points, c.value) == (3, 0.05)


def test_a_pressor_started_before_the_window_and_running_in_it_counts() -> None:
    b = ChartBuilder().culture(6).med("norepinephrine", 2, 12, rate=0.2, rate_unit="ug/kg/min")
    c = organ(b, "cardiovascular")
    assert c.points == 4
    assert "started before the window and running in it" in c.rule


def test_room_air_is_stated_once() -> None:
    b = ChartBuilder().support(1, "room_air").obs("pao2", 2, 50)  # 238.1
    c = organ(b, "respiration")
    assert c.rule.startswith(
        "worst P/F 238.1 (PaO2 50 mmHg at 03/01 10:00 / FiO2 0.21 on room air, room air "
        "charted at 03/01 09:00): 2 points"
    )
