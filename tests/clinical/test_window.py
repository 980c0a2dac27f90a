"""The SOFA window (docs/appeals.md, "The SOFA window"): anchored at admission or at the first
sign of infection, [anchor, anchor + 24 h), stated in words."""

from __future__ import annotations

import datetime as dt

import pytest

from claimflow.clinical.sofa import score_sofa, sofa_window
from claimflow.clinical.window import first_sign_of_infection
from tests.clinical.charts import ChartBuilder, at, check_citations


def test_no_sign_of_infection_anchors_at_admission() -> None:
    w = sofa_window(ChartBuilder().obs("platelets", 2, 100).build())
    assert (w.start, w.end, w.anchor) == (at(0), at(24), "admission")
    assert w.rule.startswith("24 h from admission (03/01 08:00)")
    assert "no blood culture or antibiotic" in w.rule


@pytest.mark.parametrize(
    ("code", "poa"), [("A41.9", "Y"), ("A419", "Y"), ("R65.21", "W"), ("A40.0", "y")]
)
def test_sepsis_present_on_admission_anchors_at_admission(code: str, poa: str) -> None:
    w = sofa_window(ChartBuilder().dx(code, poa).culture(6).antibiotic(7).build())
    assert (w.start, w.anchor) == (at(0), "admission")
    assert f"sepsis diagnosis {code} present on admission" in w.rule
    assert [c.text for c in w.cited] == [code]


def test_sepsis_not_present_on_admission_anchors_at_the_first_sign_of_infection() -> None:
    b = ChartBuilder().dx("A41.9", "N").culture(6).antibiotic(5)
    w = sofa_window(b.build())
    assert (w.start, w.end, w.anchor) == (at(5), at(29), "infection")
    assert "antibiotic started (ceftriaxone) at 03/01 13:00" in w.rule
    assert w.cited[0].param == "ceftriaxone"


def test_a_culture_before_the_antibiotic_is_the_first_sign() -> None:
    w = sofa_window(ChartBuilder().culture(6).antibiotic(7).build())
    assert w.start == at(6)
    assert "blood culture drawn at 03/01 14:00" in w.rule


def test_an_infection_diagnosis_that_is_not_sepsis_does_not_anchor_at_admission() -> None:
    w = sofa_window(ChartBuilder().dx("J18.9", "Y").culture(6).build())
    assert w.anchor == "infection"


def test_signs_before_admission_do_not_anchor() -> None:
    chart = ChartBuilder().culture(-2).antibiotic(-1).build()
    assert first_sign_of_infection(chart) is None
    assert sofa_window(chart).anchor == "admission"


def test_values_are_read_inside_the_infection_window_only() -> None:
    b = (
        ChartBuilder()
        .culture(6)
        .obs("platelets", 2, 10)  # before the window
        .obs("platelets", 28, 90)  # inside [6 h, 30 h)
        .obs("platelets", 30, 10)  # the window's end
    )
    result = score_sofa(b.build())
    check_citations(result)
    c = result.criterion("sofa.coagulation")
    assert (c.points, c.value) == (2, 90)
    assert result.window is not None and result.window.start == at(6)


def test_a_given_window_is_scored_as_given() -> None:
    chart = ChartBuilder().obs("platelets", 40, 30).build()
    w = sofa_window(chart)
    moved = type(w)(at(36), at(60), "24 h from 03/02 20:00 (a test)", "admission")
    assert score_sofa(chart).criterion("sofa.coagulation").points is None
    assert score_sofa(chart, moved).criterion("sofa.coagulation").points == 3
    assert score_sofa(chart, moved).window == moved
    assert moved.end - moved.start == dt.timedelta(hours=24)
