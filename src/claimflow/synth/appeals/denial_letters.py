"""The payer's denial letter: its facts (truth) and its text (plain ASCII lines)."""

from __future__ import annotations

import datetime as dt
import random
import textwrap
from dataclasses import dataclass, field

WIDTH = 78  # characters per line: the text PDF and the scans wrap the same lines

PAYERS = [
    ("Northwind Health Plan", ["Clinical Validation Unit", "PO Box 44120", "Columbus, OH 43204"]),
    (
        "Bluegate Insurance Company",
        ["Payment Integrity Department", "1200 Harbor Boulevard", "Tampa, FL 33602"],
    ),
    ("Summit Mutual Health", ["DRG Validation Services", "PO Box 9081", "Denver, CO 80209"]),
    (
        "Evergreen Care Alliance",
        ["Utilization and Clinical Review", "500 Pine Street, Suite 300", "Portland, OR 97204"],
    ),
    (
        "Lakeshore Medicare Advantage",
        ["Clinical Audit Division", "PO Box 7733", "Milwaukee, WI 53207"],
    ),
]
HOSPITAL = [
    "Riverside General Hospital",
    "Attn: Patient Financial Services",
    "2200 Riverside Drive",
    "Springfield, IL 62704",
]
REVIEWERS = [
    "Karen Holt, RN",
    "Michael Devereaux, RN, CCDS",
    "Angela Ruiz, RN",
    "Steven Park, MD",
    "Denise Walker, RN, CDIP",
]

DRG_TITLES = {
    "870": "Septicemia or Severe Sepsis with MV >96 Hours",
    "871": "Septicemia or Severe Sepsis without MV >96 Hours with MCC",
    "872": "Septicemia or Severe Sepsis without MV >96 Hours without MCC",
    "690": "Kidney and Urinary Tract Infections without MCC",
    "193": "Simple Pneumonia and Pleurisy with MCC",
    "189": "Pulmonary Edema and Respiratory Failure",
    "190": "Chronic Obstructive Pulmonary Disease with MCC",
    "191": "Chronic Obstructive Pulmonary Disease with CC",
    "207": "Respiratory System Diagnosis with Ventilator Support >96 Hours",
    "208": "Respiratory System Diagnosis with Ventilator Support <=96 Hours",
    "682": "Renal Failure with MCC",
    "683": "Renal Failure with CC",
    "684": "Renal Failure without CC/MCC",
}
DRG_CHANGES = {
    "sepsis": [("871", "872"), ("871", "872"), ("871", "690"), ("870", "871"), ("871", "193")],
    "respiratory_failure": [("189", "190"), ("189", "191"), ("190", "191"), ("207", "208")],
    "aki": [("682", "683"), ("683", "684"), ("682", "684")],
}
CONDITION_WORDS = {
    "sepsis": "sepsis",
    "respiratory_failure": "acute respiratory failure",
    "aki": "acute kidney injury",
}
ARGUMENTS: dict[str, dict[str, list[str]]] = {
    "sepsis": {
        "sofa_below_2": [
            "The SOFA score did not increase by 2 or more points from baseline.",
            "The documentation reflects a SOFA score below 2.",
        ],
        "lactate_not_elevated": [
            "The lactate level was not elevated.",
            "Lactic acid remained within normal limits.",
        ],
        "no_organ_dysfunction": [
            "There is no documentation of acute organ dysfunction.",
            "The record does not support organ dysfunction due to infection.",
        ],
        "sirs_only": [
            "The patient met SIRS criteria only, which does not establish sepsis under Sepsis-3.",
            "Sepsis-2 (SIRS) criteria alone are not accepted.",
        ],
    },
    "respiratory_failure": {
        "spo2_not_persistent": [
            "Oxygen saturation was not persistently below 91%.",
            "There were no consecutive SpO2 readings below 91%.",
        ],
        "no_abg_hypoxemia": [
            "No arterial blood gas demonstrated hypoxemia.",
            "The PaO2 was not below 60 mmHg and the P/F ratio was not below 300.",
        ],
        "symptoms_not_persistent": [
            "Respiratory distress was not sustained.",
            "Symptoms of respiratory failure were not persistent.",
        ],
    },
    "aki": {
        "creatinine_rise_insufficient": [
            "The creatinine rise does not meet KDIGO criteria for acute kidney injury.",
            "Creatinine did not rise to 1.5 times baseline.",
        ],
        "no_baseline_creatinine": [
            "No baseline creatinine was established.",
            "A baseline creatinine is not documented.",
        ],
        "urine_output_adequate": [
            "Urine output remained adequate.",
            "There was no documented oliguria.",
        ],
    },
}


@dataclass
class Denial:
    """What the letter says (the truth a reader must recover) and its lines."""

    payer: str
    letter_date: dt.date
    appeal_deadline: dt.date
    account_number: str
    claim_number: str
    member_id: str
    original_drg: str | None
    proposed_drg: str | None
    arguments: list[str]
    phrases: list[str] = field(default_factory=list)  # each argument as the letter words it
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


NBSP = "\u00a0"  # keeps "DRG 871" and a date on one line when wrapping


def wrap(paragraph: str, width: int = WIDTH) -> list[str]:
    """The paragraph's lines, never breaking inside "DRG 871" or a written date."""
    return [line.replace(NBSP, " ") for line in textwrap.wrap(paragraph, width)]


def long_date(d: dt.date) -> str:
    return f"{d:%B} {d.day}, {d.year}"


def write_denial(
    rng: random.Random,
    *,
    condition: str,
    patient_name: str,
    member_id: str,
    account_number: str,
    admitted: dt.date,
    discharged: dt.date,
    numbers: bool,
) -> Denial:
    """A denial letter for one case; ``numbers`` false writes the DRG change without DRG
    numbers."""
    payer, payer_address = rng.choice(PAYERS)
    letter_date = discharged + dt.timedelta(days=rng.randint(20, 55))
    claim_number = f"{letter_date.year}{rng.randint(10**8, 10**9 - 1)}"
    original, proposed = rng.choice(DRG_CHANGES[condition])
    ids = list(ARGUMENTS[condition])
    arguments = rng.sample(ids, rng.randint(1, min(3, len(ids))))
    deadline_style = rng.randint(0, 2)
    if deadline_style == 0:
        deadline = letter_date + dt.timedelta(days=60)
        deadline_text = "within 60 days of the date of this letter"
    elif deadline_style == 1:
        deadline = letter_date + dt.timedelta(days=90)
        deadline_text = "within 90 days of the date of this letter"
    else:
        deadline = letter_date + dt.timedelta(days=rng.randint(45, 75))
        deadline_text = f"no later than {long_date(deadline)}".replace(" ", NBSP)
    account_label = rng.choice(["Patient Account Number:", "Account #:"])
    words = CONDITION_WORDS[condition]

    lines = [
        payer,
        *payer_address,
        "",
        long_date(letter_date),
        "",
        *HOSPITAL,
        "",
        "RE: Clinical Validation Review - Inpatient Claim",
        "",
        f"Patient Name: {patient_name}",
        f"Member ID: {member_id}",
        f"{account_label} {account_number}",
        f"Claim Number: {claim_number}",
        f"Admission Date: {admitted:%m/%d/%Y}",
        f"Discharge Date: {discharged:%m/%d/%Y}",
        "",
        "Dear Provider,",
        "",
    ]
    para = [
        f"{payer} has completed a clinical validation review of the inpatient claim referenced "
        f"above. Based on our review of the medical record, the diagnosis of {words} was not "
        "clinically validated and has been removed from the claim."
    ]
    if not numbers:
        para.append(
            "As a result, the DRG has been reassigned to a lower-weighted DRG and the payment "
            "has been adjusted accordingly."
        )
    elif rng.random() < 0.5:
        para.append(
            f"As a result, DRG{NBSP}{original} ({DRG_TITLES[original]}) has been revised to "
            f"DRG{NBSP}{proposed} ({DRG_TITLES[proposed]})."
        )
    for p in para:
        lines += [*wrap(p), ""]
    if numbers and not any(f"DRG {original}" in line for line in lines):
        lines += [f"Billed DRG: {original}", f"Approved DRG: {proposed}", ""]
    lines += ["The determination is based on the following findings:", ""]
    phrases = []
    for arg in arguments:
        phrase = rng.choice(ARGUMENTS[condition][arg])
        phrases.append(phrase)
        wrapped = textwrap.wrap(phrase, WIDTH - 2)
        lines += ["- " + wrapped[0], *("  " + rest for rest in wrapped[1:])]
    lines.append("")
    closing = (
        "If you disagree with this determination, you may submit a written appeal with "
        f"supporting medical documentation {deadline_text}. Please include a copy of this "
        "letter with your appeal and send it to the address above."
    )
    lines += [
        *wrap(closing),
        "",
        "Sincerely,",
        "",
        rng.choice(REVIEWERS),
        "Clinical Validation Reviewer",
        payer,
    ]
    return Denial(
        payer=payer,
        letter_date=letter_date,
        appeal_deadline=deadline,
        account_number=account_number,
        claim_number=claim_number,
        member_id=member_id,
        original_drg=original if numbers else None,
        proposed_drg=proposed if numbers else None,
        arguments=arguments,
        phrases=phrases,
        lines=lines,
    )
