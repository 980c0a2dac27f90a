"""Sepsis-3, qSOFA, SIRS and the SEP-1 timing facts (docs/appeals.md, "Sepsis")."""

from __future__ import annotations

import pytest

from claimflow.clinical.results import ScoreResult
from claimflow.clinical.sepsis import score_qsofa, score_sepsis3, score_sirs, sep1_timing
from claimflow.clinical.sofa import score_sofa, sofa_window
from tests.clinical.charts import ChartBuilder, check_citations


def sepsis3(b: ChartBuilder) -> ScoreResult:
    chart = b.build()
    result = score_sepsis3(chart, score_sofa(chart))
    check_citations(result)
    return result


def qsofa(b: ChartBuilder) -> ScoreResult:
    chart = b.build()
    result = score_qsofa(chart, sofa_window(chart))
    check_citations(result)
    return result


def sirs(b: ChartBuilder) -> ScoreResult:
    chart = b.build()
    result = score_sirs(chart, sofa_window(chart))
    check_citations(result)
    return result


def sep1(b: ChartBuilder) -> ScoreResult:
    result = sep1_timing(b.build())
    check_citations(result)
    return result


# -- Sepsis-3 -------------------------------------------------------------------------------


def test_sepsis3_met_with_infection_and_a_delta_of_2() -> None:
    # culture at 1 h: window [1 h, 25 h); platelets 90 (2)
    result = sepsis3(ChartBuilder().culture(1).obs("platelets", 3, 90))
    assert result.verdict is True
    assert (result.total, result.baseline, result.delta) == (2, 0, 2)
    infection = result.criterion("sepsis3.infection")
    assert infection.met is True and "blood culture drawn at 03/01 09:00" in infection.rule
    delta = result.criterion("sepsis3.sofa_delta")
    assert delta.met is True and delta.value == 2
    assert "delta 2" in delta.rule


def test_sepsis3_not_met_with_a_delta_of_1() -> None:
    result = sepsis3(ChartBuilder().culture(1).obs("platelets", 3, 120))
    assert result.verdict is False
    assert result.criterion("sepsis3.sofa_delta").met is False
    assert "respiration" in result.missing


def test_sepsis3_baseline_from_pre_admission_labs_lowers_the_delta() -> None:
    b = (
        ChartBuilder()
        .culture(1)
        .obs("creatinine", -24 * 20, 2.1)  # baseline renal 2
        .obs("creatinine", 3, 2.5)  # renal 2
        .obs("platelets", 3, 120)  # coagulation 1
    )
    result = sepsis3(b)
    assert (result.total, result.baseline, result.delta) == (3, 2, 1)
    assert result.verdict is False


def test_sepsis3_not_met_without_a_sign_of_infection() -> None:
    result = sepsis3(ChartBuilder().obs("platelets", 3, 40))
    assert result.criterion("sepsis3.infection").met is False
    assert result.delta == 3
    assert result.verdict is False


def test_an_infection_diagnosis_is_a_sign_of_infection() -> None:
    result = sepsis3(ChartBuilder().dx("J18.9", "Y").obs("platelets", 3, 40))
    assert result.verdict is True
    assert "infection diagnosis J18.9" in result.criterion("sepsis3.infection").rule


# -- qSOFA ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rr", "gcs", "sbp", "total", "verdict"),
    [
        (22, 15, 101, 1, False),
        (21, 14, 101, 1, False),
        (21, 15, 100, 1, False),
        (22, 14, 120, 2, True),
        (30, 13, 90, 3, True),
        (21, 15, 101, 0, False),
    ],
)
def test_qsofa(rr: float, gcs: float, sbp: float, total: int, verdict: bool) -> None:
    result = qsofa(ChartBuilder().obs("resp_rate", 2, rr).obs("gcs", 2, gcs).obs("sbp", 2, sbp))
    assert (result.total, result.verdict) == (total, verdict)


def test_qsofa_ignores_a_sedated_gcs() -> None:
    b = (
        ChartBuilder()
        .obs("resp_rate", 2, 24)
        .obs("gcs", 2, 15)
        .obs("gcs", 5, 3, qualifier="sedated")
    )
    b.obs("sbp", 2, 120)
    result = qsofa(b)
    assert result.criterion("qsofa.mentation").met is False
    assert result.verdict is False


def test_qsofa_undecided_when_the_missing_criteria_could_still_reach_2() -> None:
    result = qsofa(ChartBuilder().obs("resp_rate", 2, 24).obs("sbp", 2, 120))
    assert result.total == 1 and result.verdict is None
    assert result.missing == ["gcs"]
    assert qsofa(ChartBuilder().obs("resp_rate", 2, 18).obs("sbp", 2, 120)).verdict is False


def test_qsofa_outside_the_window_is_ignored() -> None:
    result = qsofa(ChartBuilder().obs("resp_rate", 30, 30).obs("gcs", 2, 15).obs("sbp", 30, 80))
    assert result.total == 0


# -- SIRS -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("param", "value", "met"),
    [
        ("temperature", 38.0, False),
        ("temperature", 38.1, True),
        ("temperature", 36.0, False),
        ("temperature", 35.9, True),
        ("heart_rate", 90, False),
        ("heart_rate", 91, True),
        ("resp_rate", 20, False),
        ("resp_rate", 21, True),
        ("paco2", 32, False),
        ("paco2", 31, True),
        ("wbc", 12.0, False),
        ("wbc", 12.1, True),
        ("wbc", 4.0, False),
        ("wbc", 3.9, True),
        ("bands", 10, False),
        ("bands", 11, True),
    ],
)
def test_sirs_thresholds(param: str, value: float, met: bool) -> None:
    result = sirs(ChartBuilder().obs(param, 2, value))
    assert result.total == int(met)
    ids = {
        "temperature": "sirs.temperature",
        "heart_rate": "sirs.heart_rate",
        "resp_rate": "sirs.respiratory",
        "paco2": "sirs.respiratory",
        "wbc": "sirs.wbc",
        "bands": "sirs.wbc",
    }
    assert result.criterion(ids[param]).met is met


def test_sirs_counts_criteria_not_measures() -> None:
    b = (
        ChartBuilder()
        .obs("temperature", 2, 38.9)
        .obs("heart_rate", 2, 112)
        .obs("resp_rate", 2, 28)
        .obs("paco2", 2, 30)
        .obs("wbc", 2, 15.2)
    )
    result = sirs(b)
    assert (result.total, result.verdict) == (4, True)
    temp = result.criterion("sirs.temperature")
    assert temp.value == 38.9 and "temperature 38.9 °C" in temp.rule
    one = sirs(ChartBuilder().obs("heart_rate", 2, 112).obs("temperature", 2, 37))
    assert (one.total, one.verdict) == (1, None)  # respiratory and WBC not charted
    none = sirs(
        ChartBuilder().obs("heart_rate", 2, 80).obs("temperature", 2, 37).obs("resp_rate", 2, 16)
    )
    assert (none.total, none.verdict) == (0, False)


# -- SEP-1 timing facts ---------------------------------------------------------------------


def bundle() -> ChartBuilder:
    return (
        ChartBuilder()
        .obs("weight", 0, 70)
        .culture(2)  # time zero 03/01 10:00
        .obs("lactate", 2.5, 4.5)
        .antibiotic(4)
        .fluid(2.5, 1000)
        .fluid(3.5, 1100)
        .obs("map", 5, 60)
        .med("norepinephrine", 6, 10, rate=0.1, rate_unit="ug/kg/min")
    )


def test_sep1_facts_of_a_bundle_given_in_time() -> None:
    result = sep1(bundle())
    assert result.verdict is None
    assert result.window is not None and result.window.anchor == "infection"
    lactate = result.criterion("sep1.lactate_3h")
    assert (lactate.met, lactate.value) == (True, 30)
    culture = result.criterion("sep1.culture_before_antibiotic")
    assert (culture.met, culture.value) == (True, 120)
    abx = result.criterion("sep1.antibiotic_3h")
    assert (abx.met, abx.value) == (True, 120)
    assert "2 h after time zero 03/01 10:00" in abx.rule
    fluids = result.criterion("sep1.fluids_30ml_kg")
    assert (fluids.met, fluids.value) == (True, 30)  # 2100 mL / 70 kg
    assert "1000 + 1100 mL = 2100 mL" in fluids.rule
    pressor = result.criterion("sep1.vasopressor_6h")
    assert (pressor.met, pressor.value) == (True, 240)


def test_sep1_antibiotic_after_3_hours_and_before_the_culture() -> None:
    late = sep1(ChartBuilder().culture(2).antibiotic(5.5))
    assert late.criterion("sep1.antibiotic_3h").met is False
    assert late.criterion("sep1.antibiotic_3h").value == 210
    first = sep1(ChartBuilder().antibiotic(2).culture(3))
    assert first.criterion("sep1.culture_before_antibiotic").met is False
    assert first.criterion("sep1.antibiotic_3h").met is True  # the antibiotic is time zero


def test_sep1_fluids_short_of_30_ml_per_kg() -> None:
    b = ChartBuilder().obs("weight", 0, 70).culture(2).obs("map", 2.5, 58).fluid(3, 2000)
    fluids = sep1(b).criterion("sep1.fluids_30ml_kg")
    assert fluids.met is False and fluids.value == 28.6


def test_sep1_fluids_not_applicable_without_hypotension_or_lactate_4() -> None:
    b = ChartBuilder().culture(2).obs("map", 3, 75).obs("lactate", 3, 2.1)
    result = sep1(b)
    fluids = result.criterion("sep1.fluids_30ml_kg")
    assert fluids.met is None and "not applicable" in fluids.rule and fluids.missing == ()


def test_sep1_without_a_sign_of_infection_has_no_time_zero() -> None:
    result = sep1(ChartBuilder().obs("lactate", 2, 3))
    assert all(c.met is None for c in result.criteria)
    assert result.window is None
