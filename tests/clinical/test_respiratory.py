"""Acute respiratory failure on the 24 hours from admission (docs/appeals.md, "Acute
respiratory failure")."""

from __future__ import annotations

import pytest

from claimflow.clinical.respiratory import score_arf
from claimflow.clinical.results import ScoreResult
from tests.clinical.charts import ChartBuilder, at, check_citations


def arf(b: ChartBuilder) -> ScoreResult:
    result = score_arf(b.build())
    check_citations(result)
    return result


def test_window_is_24_hours_from_admission_and_ids_are_stable() -> None:
    result = arf(ChartBuilder())
    assert result.window is not None
    assert (result.window.start, result.window.end) == (at(0), at(24))
    assert [c.id for c in result.criteria] == [
        "arf.hypoxemic",
        "arf.hypercapnic",
        "arf.pao2",
        "arf.spo2",
        "arf.pf_ratio",
        "arf.resp_rate",
        "arf.resp_rate_30",
    ]
    assert result.verdict is None  # nothing charted: undecided, never assumed


@pytest.mark.parametrize(("pao2", "met"), [(59.9, True), (60, False)])
def test_hypoxemic_by_pao2(pao2: float, met: bool) -> None:
    result = arf(ChartBuilder().obs("pao2", 3, pao2))
    c = result.criterion("arf.pao2")
    assert c.met is met and c.value == pao2
    assert result.criterion("arf.hypoxemic").met is met
    assert result.verdict is met


def test_hypoxemic_by_spo2_on_room_air_only() -> None:
    on_air = arf(ChartBuilder().support(1, "room_air").obs("spo2", 3, 89))
    c = on_air.criterion("arf.spo2")
    assert c.met is True and "SpO2 89% at 03/01 11:00" in c.rule and "room air" in c.rule
    assert {r.param for r in c.cited} == {"spo2", "respiratory_support"}
    assert on_air.verdict is True

    on_oxygen = arf(ChartBuilder().support(1, "nasal_cannula").obs("spo2", 3, 89))
    assert on_oxygen.criterion("arf.spo2").met is False
    assert "supplemental oxygen" in on_oxygen.criterion("arf.spo2").rule

    unknown = arf(ChartBuilder().obs("spo2", 3, 89))
    assert unknown.criterion("arf.spo2").met is None
    assert unknown.criterion("arf.spo2").missing == ("respiratory_support",)

    boundary = arf(ChartBuilder().support(1, "room_air").obs("spo2", 3, 91))
    assert boundary.criterion("arf.spo2").met is False


@pytest.mark.parametrize(("pao2", "fio2", "met"), [(80, 0.3, True), (90, 0.3, False)])
def test_hypoxemic_by_pf(pao2: float, fio2: float, met: bool) -> None:
    result = arf(ChartBuilder().obs("fio2", 3, fio2).obs("pao2", 3.5, pao2))
    c = result.criterion("arf.pf_ratio")
    assert c.met is met
    assert c.value == round(pao2 / fio2, 1)  # 266.7 and 300
    assert {r.param for r in c.cited} == {"pao2", "fio2"}
    assert result.criterion("arf.hypoxemic").met is met


def test_pf_needs_an_fio2_within_60_minutes_or_room_air() -> None:
    result = arf(ChartBuilder().obs("fio2", 1, 0.3).obs("pao2", 3, 80))
    assert result.criterion("arf.pf_ratio").met is None
    assert result.criterion("arf.pf_ratio").missing == ("fio2",)
    assert result.criterion("arf.pao2").met is False  # 80 is not below 60
    assert result.criterion("arf.hypoxemic").met is False


def test_hypercapnic_needs_ph_below_735_in_the_same_gas() -> None:
    gas = arf(ChartBuilder().obs("paco2", 3, 55).obs("ph", 3, 7.30))
    c = gas.criterion("arf.hypercapnic")
    assert c.met is True and c.value == 55
    assert "PaCO2 55 mmHg at 03/01 11:00 with pH 7.30 at 03/01 11:00" in c.rule
    assert gas.verdict is True

    other_time = arf(ChartBuilder().obs("paco2", 3, 55).obs("ph", 3.1, 7.30))
    assert other_time.criterion("arf.hypercapnic").met is None
    assert other_time.criterion("arf.hypercapnic").missing == ("ph",)

    compensated = arf(ChartBuilder().obs("paco2", 3, 55).obs("ph", 3, 7.36))
    assert compensated.criterion("arf.hypercapnic").met is False

    at_50 = arf(ChartBuilder().obs("paco2", 3, 50).obs("ph", 3, 7.20))
    assert at_50.criterion("arf.hypercapnic").met is False


@pytest.mark.parametrize(
    ("rr", "over20", "over30"),
    [(20, False, False), (21, True, False), (30, True, False), (31, True, True)],
)
def test_respiratory_rate_supports(rr: float, over20: bool, over30: bool) -> None:
    result = arf(ChartBuilder().obs("resp_rate", 3, rr))
    assert result.criterion("arf.resp_rate").met is over20
    assert result.criterion("arf.resp_rate_30").met is over30
    assert result.verdict is None  # the rate supports, it does not decide


def test_values_after_the_first_24_hours_are_ignored() -> None:
    result = arf(ChartBuilder().obs("pao2", 25, 45).obs("pao2", 3, 85))
    assert result.criterion("arf.pao2").value == 85
    assert result.verdict is False


def test_not_met_on_a_normal_chart() -> None:
    b = (
        ChartBuilder()
        .support(0, "room_air")
        .obs("spo2", 2, 96)
        .obs("pao2", 3, 85)  # P/F 404.8 on room air
        .obs("paco2", 3, 40)
        .obs("ph", 3, 7.40)
        .obs("resp_rate", 3, 16)
    )
    result = arf(b)
    assert result.verdict is False
    assert result.criterion("arf.pf_ratio").value == 404.8
    assert result.missing == []
