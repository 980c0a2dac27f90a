"""Condition profiles: packaged ones, a new one added as a file, and the errors of a bad one."""

from __future__ import annotations

from pathlib import Path

import pytest

from claimflow.appeals.profiles import ProfileError, detect_condition, load_profiles

TOY = """
condition: thrombocytopenia
display_name: Thrombocytopenia
drgs: {"813": Coagulation disorders}
icd10: [D69.6]
keywords: ['thrombocytopeni', 'platelet']
definition: A platelet count below 50 x10^3/uL.
scorers: [platelets_low]
verdict: platelets_low
criteria:
  - {id: platelets_low, label: Platelets below 50, param: platelets, op: "<", threshold: 50,
     window: stay}
arguments:
  - id: platelets_not_low
    label: the platelet count was not low
    patterns: ['platelet count was not (low|decreased)']
    answer_with: [platelets_low]
    rebuttal: {met: The platelet count was below 50 x10^3/uL.}
sections:
  - {kind: opening, text: We appeal.}
"""


def test_the_packaged_profiles_are_the_three_conditions() -> None:
    profiles = load_profiles()
    assert set(profiles) == {"sepsis", "respiratory_failure", "aki"}
    assert set(profiles["sepsis"].drgs) == {"870", "871", "872"}
    assert {"189", "207", "208"} <= set(profiles["respiratory_failure"].drgs)


@pytest.mark.parametrize(
    ("condition", "text", "expected"),
    [
        (
            "sepsis",
            "The SOFA score did not increase by 2 or more points from baseline. Lactic acid "
            "remained within normal limits.",
            ["sofa_below_2", "lactate_not_elevated"],
        ),
        (
            "sepsis",
            "Sepsis-2 (SIRS) criteria alone are not accepted. The record does not support organ\n"
            "dysfunction due to infection. The documentation reflects a SOFA score below 2.",
            ["sirs_only", "no_organ_dysfunction", "sofa_below_2"],
        ),
        (
            "respiratory_failure",
            "There were no consecutive SpO2 readings below 91%. Symptoms of respiratory "
            "failure were not persistent.",
            ["spo2_not_persistent", "symptoms_not_persistent"],
        ),
        (
            "aki",
            "A baseline creatinine is not documented. There was no documented oliguria.",
            ["no_baseline_creatinine", "urine_output_adequate"],
        ),
        ("sepsis", "The claim was reviewed and the DRG was revised.", []),
    ],
)
def test_arguments_are_found_in_letter_order(
    condition: str, text: str, expected: list[str]
) -> None:
    assert load_profiles()[condition].match_arguments(text) == expected


def test_the_condition_comes_from_the_drg_then_the_words_then_the_diagnoses() -> None:
    profiles = load_profiles()
    assert detect_condition(profiles, "871", "872", "", [])
    assert detect_condition(profiles, "871", None, "", []).condition == "sepsis"  # type: ignore[union-attr]
    by_words = detect_condition(profiles, None, None, "acute respiratory failure, SpO2", [])
    assert by_words is not None and by_words.condition == "respiratory_failure"
    by_dx = detect_condition(profiles, None, None, "the DRG was revised", ["N17.9"])
    assert by_dx is not None and by_dx.condition == "aki"
    assert detect_condition(profiles, None, None, "the DRG was revised", []) is None


def test_a_new_condition_is_a_new_file(tmp_path: Path) -> None:
    (tmp_path / "thrombocytopenia.yaml").write_text(TOY, encoding="utf-8")
    profiles = load_profiles(tmp_path)
    toy = profiles["thrombocytopenia"]
    assert toy.match_arguments("The platelet count was not low.") == ["platelets_not_low"]
    found = detect_condition(profiles, "813", None, "", [])
    assert found is not None and found.condition == "thrombocytopenia"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("param: platelets", "param: sodium"), "criteria.platelets_low.param: 'sodium'"),
        (("verdict: platelets_low", "verdict: [1, 2"), "not YAML"),
        (
            ("condition: thrombocytopenia", "conditio: thrombocytopenia"),
            "condition: Field required",
        ),
        (("not (low|decreased)", "not (low"), "arguments.platelets_not_low.patterns"),
    ],
)
def test_a_bad_profile_names_the_file_and_the_field(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    (tmp_path / "toy.yaml").write_text(TOY.replace(*change), encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        load_profiles(tmp_path)
    assert "toy.yaml" in str(caught.value) and message in str(caught.value)
