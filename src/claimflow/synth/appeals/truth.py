"""``truth/<case_id>.json``: what an engine reading the case must find, computed by the oracle
(``scoring``, ``crosscheck``) from the planted chart and by the letter writer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from claimflow.synth.appeals import scoring
from claimflow.synth.appeals.chart import NOTE_KINDS, Chart
from claimflow.synth.appeals.crosscheck import compare
from claimflow.synth.appeals.denial_letters import Denial
from claimflow.synth.appeals.ehr_csv import bare_fio2
from claimflow.synth.appeals.notes import LABS

BASELINE_PARAMS = ("creatinine", "bilirubin", "platelets")


@dataclass
class Case:
    """One generated case: its chart, its letter, and how both were written."""

    chart: Chart
    condition: str
    record_format: str
    letter_format: str
    denial: Denial
    encounter_id: str
    tags: set[str] = field(default_factory=set)
    note_file: str = ""
    note_positions: dict[int, str] = field(default_factory=dict)
    record_files: list[str] = field(default_factory=list)
    letter_file: str = ""


def case_truth(case: Case) -> dict[str, Any]:
    chart = case.chart
    sofa = scoring.score_sofa(chart)
    kdigo = scoring.kdigo(chart) if case.condition == "aki" else None
    arf = scoring.arf(chart) if case.condition == "respiratory_failure" else None
    sepsis3 = scoring.sepsis3(chart, sofa) if case.condition == "sepsis" else None
    if case.condition == "sepsis":
        meets = bool(sepsis3)
    elif arf is not None:
        meets = bool(arf["verdict"])
    else:
        assert kdigo is not None
        meets = kdigo["stage"] >= 1
    conflicts: list[dict[str, Any]] = []
    agreements: list[dict[str, Any]] = []
    for c in compare(chart):
        loinc, title = NOTE_KINDS[c.note.kind]
        item = {
            "note": {
                "index": c.note_index,
                "type": title,
                "loinc": loinc,
                "time": c.note.time.isoformat(),
                "file": case.note_file,
                "position": case.note_positions.get(c.note_index, ""),
            },
            "param": c.param,
            "mention": c.phrase,
            "note_value": c.note_value,
            "structured_value": round(c.structured.value or 0.0, 4),
            "structured_time": c.structured.time.isoformat(),
        }
        (conflicts if c.conflict else agreements).append(item)
    tags = set(case.tags) | derived_tags(case, sofa, conflicts, meets)
    d = case.denial
    return {
        "case_id": chart.case_id,
        "condition": case.condition,
        "record_format": case.record_format,
        "record_files": case.record_files,
        "letter_format": case.letter_format,
        "letter_file": case.letter_file,
        "encounter_id": case.encounter_id,
        "account_number": chart.account_number,
        "claim_number": d.claim_number,
        "member_id": chart.member_id,
        "patient_name": chart.patient_name,
        "payer": d.payer,
        "letter_date": d.letter_date.isoformat(),
        "appeal_deadline": d.appeal_deadline.isoformat(),
        "original_drg": d.original_drg,
        "proposed_drg": d.proposed_drg,
        "arguments": d.arguments,
        "argument_phrases": d.phrases,
        "admitted": chart.admitted.isoformat(),
        "discharged": chart.discharged.isoformat(),
        "hard_cases": sorted(tags),
        "sofa": sofa.as_json(),
        "sepsis3": sepsis3,
        "qsofa": scoring.qsofa(chart, sofa) if case.condition == "sepsis" else None,
        "sirs": scoring.sirs(chart, sofa) if case.condition == "sepsis" else None,
        "arf": arf,
        "kdigo": kdigo,
        "conflicts": conflicts,
        "agreements": agreements,
        "meets_criteria": meets,
    }


def derived_tags(
    case: Case, sofa: scoring.Sofa, conflicts: list[dict[str, Any]], meets: bool
) -> set[str]:
    """The hard cases read off what was written."""
    chart = case.chart
    obs = chart.observations
    tags: set[str] = set()
    if any(m.rate_unit == "mcg/min" for m in chart.medications):
        tags.add("pressor_mcg_min")
    if any(o.param == "fio2" and o.unit == "%" for o in obs):
        tags.add("fio2_percent")
    if any(o.param == "fio2" and o.unit == "1" for o in obs):
        tags.add("fio2_fraction")
    if case.record_format == "csv" and bare_fio2(chart):
        tags.add("fio2_bare_number")
    if any(o.param == "gcs" and o.sedated for o in obs):
        tags.add("sedated_gcs")
    if any(o.param == "weight" and o.unit == "[lb_av]" for o in obs):
        tags.add("weight_lb")
    if any(o.unit == "umol/L" for o in obs):
        tags.add("units_si")
    if any(o.unit == "[degF]" for o in obs):
        tags.add("temperature_f")
    if any(o.param in BASELINE_PARAMS and o.time < chart.admitted for o in obs):
        tags.add("baseline_labs")
    if case.denial.original_drg is None:
        tags.add("no_drg_numbers")
    if any(c["param"] in LABS for c in conflicts):
        tags.add("note_contradicts_lab")
    if any(c["param"] not in LABS for c in conflicts):
        tags.add("note_contradicts_vital")
    if not meets:
        tags.add("does_not_meet_criteria")
    if sofa.anchor == "infection":
        tags.add("infection_anchor")
    if any(d.code.startswith(scoring.SEPSIS_CODES) and d.poa == "N" for d in chart.diagnoses):
        tags.add("sepsis_not_poa")
    if sofa.baseline > 0:
        tags.add("baseline_sofa")
    if sofa.missing:
        tags.add("missing_organs")
    if any(o.param == "urine_output" for o in obs):
        tags.add("urine_output")
    return tags
