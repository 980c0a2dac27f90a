"""Clinical notes: narrative, with numbers written in the cross-check forms of docs/appeals.md.

Every number a note writes for a parameter is recorded as a ``Mention``; the only other
numbers a note holds are the patient's age ("67-year-old"). A mention agrees with the
structured value closest to the note's time, or contradicts it on purpose; one the rule
could read either way (a tie, the 12-hour edge, the 10% edge, a sedated GCS) is not written.
"""

from __future__ import annotations

import datetime as dt
import random

from claimflow.synth.appeals.chart import Chart, Mention, NoteDoc
from claimflow.synth.appeals.crosscheck import ambiguous, closest
from claimflow.synth.appeals.writing import NOTE_FORMS

AUTHORS = [
    "Maria Alvarez, MD",
    "David Chen, MD",
    "Priya Natarajan, MD",
    "James O'Neill, DO",
    "Sarah Whitfield, MD",
    "Ahmed Haddad, MD",
    "Laura Kim, NP",
    "Thomas Berg, MD",
]
LABS = ("lactate", "creatinine", "platelets", "bilirubin", "wbc")
REACH = dt.timedelta(hours=10)

PHRASES: dict[str, list[str]] = {
    "lactate": ["lactate {v}", "lactic acid of {v} mmol/L"],
    "creatinine": ["creatinine {v}", "Cr {v}"],
    "platelets": ["platelets {v}"],
    "bilirubin": ["bilirubin {v}"],
    "wbc": ["WBC {v}"],
    "map": ["MAP {v}"],
    "heart_rate": ["HR {v}"],
    "resp_rate": ["RR {v}"],
    "temperature": ["temp {v}"],
    "spo2": ["SpO2 {v}%", "O2 sat {v}%"],
    "gcs": ["GCS {v}"],
}


class NoteWriter:
    """Writes one case's notes, planting ``lab_conflicts`` contradicted lab values and
    ``vital_conflicts`` contradicted vital signs (as many as the notes have room for)."""

    def __init__(
        self, rng: random.Random, chart: Chart, lab_conflicts: int, vital_conflicts: int
    ) -> None:
        self.rng = rng
        self.chart = chart
        self.lab_conflicts = lab_conflicts
        self.vital_conflicts = vital_conflicts
        self.mentions: list[Mention] = []
        self.time = chart.admitted

    def start(self, t: dt.datetime) -> None:
        self.time = t
        self.mentions = []

    def m(self, param: str) -> str | None:
        """A phrase for ``param`` at the note's time ("lactate 4.2"), or ``None`` when there
        is no value to cite or the rule would be ambiguous."""
        near = closest(self.chart, param, self.time)
        if len(near) != 1 or abs(near[0].time - self.time) > REACH:
            return None
        value = near[0].value
        assert value is not None
        is_lab = param in LABS
        budget = self.lab_conflicts if is_lab else self.vital_conflicts
        conflict = budget > 0 and param in (*LABS, "map", "gcs", "heart_rate")
        written = NOTE_FORMS[param].format(self._contradict(param, value) if conflict else value)
        if float(written) == 0 or ambiguous(self.chart, param, self.time, float(written)):
            return None
        if conflict:
            if is_lab:
                self.lab_conflicts -= 1
            else:
                self.vital_conflicts -= 1
        phrase = self.rng.choice(PHRASES[param]).format(v=written)
        self.mentions.append(Mention(param, written, phrase))
        return phrase

    def _contradict(self, param: str, value: float) -> float:
        rng = self.rng
        if param == "gcs":
            shift = rng.choice([2, 3])
            return value - shift if value - shift >= 3 else min(15, value + shift)
        factor = rng.uniform(1.7, 2.3)
        if param in ("map", "heart_rate"):
            factor = rng.uniform(1.35, 1.5)
        # the note's number stays plausible: a high lab written low, a low count written high
        if param == "platelets":
            up = value < 150
        elif param in ("lactate", "creatinine", "bilirubin", "wbc"):
            up = value < {"lactate": 2.5, "creatinine": 1.6, "bilirubin": 1.5, "wbc": 11}[param]
        else:  # MAP, heart rate
            up = value < (75 if param == "map" else 95)
        return value * factor if up else value / factor

    def listing(self, *params: str) -> str:
        """The phrases that could be written, joined in prose ("HR 112, RR 28 and temp
        38.9"), or an empty string."""
        parts = [p for p in (self.m(param) for param in params) if p]
        if not parts:
            return ""
        if len(parts) == 1:
            return parts[0]
        return ", ".join(parts[:-1]) + " and " + parts[-1]

    def note(self, kind: str, author: str, paragraphs: list[str]) -> NoteDoc:
        text = "\n\n".join(p for p in paragraphs if p)
        return NoteDoc(kind, self.time, author, text, list(self.mentions))


def _age(chart: Chart) -> int:
    born = chart.birth_date
    today = chart.admitted.date()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def write_notes(
    rng: random.Random,
    chart: Chart,
    condition: str,
    story: str,
    *,
    infection_at: dt.datetime | None,
    lab_conflicts: int,
    vital_conflicts: int,
) -> list[NoteDoc]:
    """The case's notes (2-4): H&P, progress note(s), a consult, the discharge summary."""
    w = NoteWriter(rng, chart, lab_conflicts, vital_conflicts)
    who = "man" if chart.sex == "male" else "woman"
    age = _age(chart)
    adm = chart.admitted
    authors = rng.sample(AUTHORS, 4)
    notes: list[NoteDoc] = []

    def sentence(lead: str, body: str, tail: str = ".") -> str:
        return f"{lead} {body}{tail}" if body else ""

    # H&P
    w.start(adm + dt.timedelta(minutes=rng.randint(95, 170)))
    if condition == "sepsis" and infection_at is None:
        hp = [
            "HISTORY AND PHYSICAL",
            f"Chief complaint: fever and weakness.\n\nHPI: {age}-year-old {who} presenting with "
            f"fever, chills and malaise, concerning for sepsis from {story}.",
            sentence("On evaluation", w.listing("heart_rate", "resp_rate", "temperature", "map")),
            sentence("Labs notable for", w.listing("lactate", "wbc", "creatinine", "platelets")),
            "Assessment and plan: sepsis, source "
            + story
            + ". Blood cultures drawn, broad-spectrum "
            "antibiotics started and fluid resuscitation given.",
        ]
    elif condition == "sepsis":
        hp = [
            "HISTORY AND PHYSICAL",
            f"HPI: {age}-year-old {who} admitted with {story}. No fever or chills at presentation.",
            sentence("Vital signs stable with", w.listing("heart_rate", "map")),
            sentence("Admission labs:", w.listing("wbc", "creatinine")),
            "Plan: admit to the medical floor, monitor, treat the admitting problem.",
        ]
    elif condition == "respiratory_failure":
        hp = [
            "HISTORY AND PHYSICAL",
            f"HPI: {age}-year-old {who} presenting with worsening shortness of breath from {story}.",
            sentence("On arrival", w.listing("spo2", "resp_rate", "heart_rate")),
            "Increased work of breathing with accessory muscle use noted on examination.",
            "Assessment and plan: acute respiratory failure. Supplemental oxygen titrated, "
            "arterial blood gas obtained, bronchodilators and steroids as indicated.",
        ]
    else:
        hp = [
            "HISTORY AND PHYSICAL",
            f"HPI: {age}-year-old {who} presenting with decreased oral intake and reduced urine "
            f"output after {story}.",
            sentence("Admission labs show", w.listing("creatinine")),
            sentence("Hemodynamics:", w.listing("map", "heart_rate")),
            "Assessment and plan: acute kidney injury. Hold nephrotoxins, intravenous fluids, "
            "strict intake and output, renal dosing of medications.",
        ]
    notes.append(w.note("hp", authors[0], hp))

    # the sepsis that began after admission: its progress note
    if condition == "sepsis" and infection_at is not None:
        w.start(infection_at + dt.timedelta(minutes=rng.randint(150, 300)))
        notes.append(
            w.note(
                "progress",
                authors[1],
                [
                    "PROGRESS NOTE",
                    f"Rapid response this shift for new fever and hypotension. Source: {story}.",
                    sentence("Now", w.listing("temperature", "heart_rate", "map", "gcs")),
                    sentence(
                        "Labs:", w.listing("lactate", "wbc", "platelets", "creatinine", "bilirubin")
                    ),
                    "Assessment: sepsis. Blood cultures, broad-spectrum antibiotics, fluids; transfer to "
                    "the intensive care unit.",
                ],
            )
        )

    # the next morning's progress note
    day2 = dt.datetime.combine(
        adm.date() + dt.timedelta(days=1), dt.time(rng.randint(7, 9), rng.randint(0, 59))
    )
    if infection_at is not None and day2 <= infection_at + dt.timedelta(hours=6):
        day2 = dt.datetime.combine(
            infection_at.date() + dt.timedelta(days=1), dt.time(8, rng.randint(0, 59))
        )
    if day2 < chart.discharged - dt.timedelta(hours=6):
        w.start(day2)
        if condition == "sepsis":
            body = [
                sentence("Overnight:", w.listing("map", "heart_rate", "gcs")),
                sentence(
                    "Morning labs:", w.listing("creatinine", "platelets", "bilirubin", "lactate")
                ),
                "Assessment: sepsis, continuing antibiotics and hemodynamic support as needed.",
            ]
        elif condition == "respiratory_failure":
            body = [
                sentence("Overnight:", w.listing("spo2", "resp_rate")),
                "Remains on supplemental oxygen; weaning as tolerated.",
                sentence("Labs:", w.listing("wbc")),
            ]
        else:
            body = [
                sentence("Morning labs:", w.listing("creatinine")),
                "Urine output being followed closely; renal ultrasound without hydronephrosis.",
                sentence("Vital signs:", w.listing("map")),
            ]
        notes.append(w.note("progress", authors[1], ["PROGRESS NOTE", *body]))

    # a consult for some respiratory and kidney cases
    if condition in ("respiratory_failure", "aki") and rng.random() < 0.5:
        w.start(adm + dt.timedelta(minutes=rng.randint(5 * 60, 9 * 60)))
        if condition == "aki":
            consult = [
                "NEPHROLOGY CONSULT",
                "Asked to evaluate acute kidney injury.",
                sentence("Current", w.listing("creatinine")),
                "Recommend volume repletion, avoid nephrotoxins, daily renal function.",
            ]
        else:
            consult = [
                "PULMONARY CONSULT",
                "Asked to evaluate hypoxemia and work of breathing.",
                sentence("Currently", w.listing("spo2", "resp_rate", "heart_rate")),
                "Recommend continued oxygen support and serial blood gases.",
            ]
        notes.append(w.note("consult", authors[2], consult))

    # discharge summary
    w.start(chart.discharged - dt.timedelta(minutes=rng.randint(20, 90)))
    course = {
        "sepsis": f"Admitted and treated for sepsis due to {story} with intravenous antibiotics.",
        "respiratory_failure": f"Admitted with acute respiratory failure due to {story}; oxygen "
        "weaned to baseline.",
        "aki": f"Admitted with acute kidney injury after {story}; renal function improved with "
        "fluids.",
    }[condition]
    last_lab = {
        "sepsis": ("wbc", "creatinine"),
        "respiratory_failure": ("wbc",),
        "aki": ("creatinine",),
    }[condition]
    notes.append(
        w.note(
            "discharge",
            authors[3],
            [
                "DISCHARGE SUMMARY",
                "Hospital course: " + course,
                sentence("At discharge", w.listing(*last_lab)),
                "Discharged in stable condition with outpatient follow-up.",
            ],
        )
    )
    return notes
