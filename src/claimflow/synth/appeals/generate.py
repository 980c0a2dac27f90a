"""``generate_appeals``: N synthetic appeal cases with their truth (issue 20)."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import random
import re
import shutil
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from claimflow.synth.appeals import courses
from claimflow.synth.appeals.chart import Chart
from claimflow.synth.appeals.denial_letters import write_denial
from claimflow.synth.appeals.ehr_csv import write_csv
from claimflow.synth.appeals.fhir import write_bundle, write_ndjson
from claimflow.synth.appeals.notes import write_notes
from claimflow.synth.appeals.scans import FILE_NAMES, write_letter
from claimflow.synth.appeals.story import Builder, Plan
from claimflow.synth.appeals.truth import Case, case_truth
from claimflow.synth.appeals.writing import Style

CONDITIONS = ("sepsis", "respiratory_failure", "aki")
RECORD_FORMATS = ("fhir_ndjson", "fhir_bundle", "csv")
# ten cases' letters: 4 text PDFs, 3 scanned PDFs, a text file, a PNG and a TIFF
LETTER_CYCLE = (
    "text_pdf",
    "scan_pdf",
    "text_pdf",
    "txt",
    "scan_pdf",
    "text_pdf",
    "png",
    "scan_pdf",
    "text_pdf",
    "tif",
)
GIVEN = {
    "male": ["James", "Robert", "Luis", "Kevin", "Samuel", "Anthony", "Henry", "Omar", "Victor"],
    "female": ["Mary", "Linda", "Grace", "Rosa", "Helen", "Nadia", "Carol", "Irene", "Dolores"],
}
FAMILY = [
    "Abbott",
    "Brennan",
    "Castillo",
    "Dawson",
    "Eriksen",
    "Fleming",
    "Gutierrez",
    "Hale",
    "Ingram",
    "Jansen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Pruitt",
]


@dataclass
class AppealsSummary:
    """What :func:`generate_appeals` wrote (also in ``truth/summary.json``)."""

    out_dir: Path
    cases: int
    truth: dict[str, Any] = field(default_factory=dict)


def case_id(index: int) -> str:
    return f"A{index + 1:04d}"


def build_case(index: int, seed: int) -> Case:
    """Case ``index`` of the run seeded ``seed`` (its own random stream: a case does not
    depend on the cases before it)."""
    rng = random.Random(f"claimflow-appeals:{seed}:{index}")
    condition = CONDITIONS[index % 3]
    k = index // 3
    meets = index % 5 != 4
    style = Style(
        si=index % 5 == 2,
        temp_f=index % 4 == 1,
        weight_lb=index % 5 == 0,
        fio2_percent=index % 2 == 0,
        pressor_mcg_min=condition == "sepsis" and k % 2 == 0,
    )
    sex = rng.choice(["male", "female"])
    admitted = dt.datetime(2025, 1, 6) + dt.timedelta(
        days=rng.randint(0, 290), minutes=rng.randint(0, 24 * 60 - 1)
    )
    stay_days = rng.randint(5, 8) if condition == "sepsis" and k % 3 == 1 else rng.randint(3, 7)
    discharged = dt.datetime.combine(
        admitted.date() + dt.timedelta(days=stay_days),
        dt.time(rng.randint(10, 15), rng.randint(0, 59)),
    )
    birth = admitted.date() - dt.timedelta(days=rng.randint(35 * 365, 89 * 365))
    chart = Chart(
        case_id=case_id(index),
        account_number=f"H{rng.randint(10**7, 10**8 - 1)}",
        member_id=f"W{rng.randint(10**8, 10**9 - 1)}",
        patient_name=f"{rng.choice(GIVEN[sex])} {rng.choice(FAMILY)}",
        birth_date=birth,
        sex=sex,
        admitted=admitted,
        discharged=discharged,
    )
    plan = Plan(condition=condition, meets=meets, index=index, k=k)
    builder = Builder(rng, chart, style, plan)
    story = {
        "sepsis": courses.sepsis,
        "respiratory_failure": courses.respiratory_failure,
        "aki": courses.aki,
    }[condition](builder)
    _untie(chart)
    chart.sort()
    infection_at = builder.anchor if builder.anchor != chart.admitted else None
    chart.notes = write_notes(
        rng,
        chart,
        condition,
        story,
        infection_at=infection_at,
        lab_conflicts=1 if index % 2 == 0 or rng.random() < 0.2 else 0,
        vital_conflicts=1 if index % 7 == 3 else 0,
    )
    chart.sort()
    denial = write_denial(
        rng,
        condition=condition,
        patient_name=chart.patient_name,
        member_id=chart.member_id,
        account_number=chart.account_number,
        admitted=admitted.date(),
        discharged=discharged.date(),
        numbers=index % 7 != 5,
    )
    return Case(
        chart=chart,
        condition=condition,
        record_format=RECORD_FORMATS[(index // 3) % 3],
        letter_format=LETTER_CYCLE[index % len(LETTER_CYCLE)],
        denial=denial,
        encounter_id=f"E{rng.randint(10**8, 10**9 - 1)}",
        tags=set(plan.tags),
    )


def _untie(chart: Chart) -> None:
    """No two values of one parameter at the same minute (the rules' ties stay out)."""
    seen: set[tuple[str, dt.datetime]] = set()
    for o in sorted(chart.observations, key=lambda o: (o.param, o.time)):
        while (o.param, o.time) in seen:
            o.time += dt.timedelta(minutes=1)
        seen.add((o.param, o.time))


def write_case(case: Case, root: Path, rng: random.Random) -> dict[str, Any]:
    """Writes the case directory; returns its truth."""
    case_dir = root / case.chart.case_id
    if case_dir.exists():
        shutil.rmtree(case_dir)
    case_dir.mkdir(parents=True)
    if case.record_format == "fhir_ndjson":
        case.note_positions = write_ndjson(case.chart, case_dir)
        case.note_file = "DocumentReference.ndjson"
    elif case.record_format == "fhir_bundle":
        case.note_positions = write_bundle(case.chart, case_dir)
        case.note_file = "bundle.json"
    else:
        case.note_positions = write_csv(case.chart, case_dir, case.encounter_id)
        case.note_file = "notes.csv"
    write_letter(case.denial.lines, case.letter_format, case_dir, rng)
    case.letter_file = FILE_NAMES[case.letter_format]
    case.record_files = sorted(p.name for p in case_dir.iterdir() if p.name != case.letter_file)
    return case_truth(case)


def _one(args: tuple[Path, int, int]) -> dict[str, Any]:
    """Builds and writes case ``index`` (in a worker process or not); returns its truth."""
    out, index, seed = args
    case = build_case(index, seed)
    letter_rng = random.Random(f"claimflow-appeals-letter:{seed}:{index}")
    return write_case(case, out, letter_rng)


def generate_appeals(
    out: Path, *, cases: int, seed: int, workers: int | None = None
) -> AppealsSummary:
    """Writes ``cases`` case directories and ``truth/`` under ``out``.

    Args:
        out: The folder (created). What an earlier run wrote there (case directories
            and truth files) is replaced or removed.
        cases: How many cases (at least 1).
        seed: Same seed, same bytes (whatever ``workers``).
        workers: Processes writing cases (default: the CPUs available, at most 4).

    Raises:
        ValueError: ``cases`` is below 1.
    """
    if cases < 1:
        raise ValueError(f"cases must be at least 1, not {cases}")
    out = Path(out)
    truth_dir = out / "truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    if workers is None:
        workers = min(4, len(os.sched_getaffinity(0)))
    jobs = [(out, index, seed) for index in range(cases)]
    if workers <= 1 or cases < 8:
        rows = [_one(job) for job in jobs]
    else:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            rows = list(pool.map(_one, jobs, chunksize=4))
    _remove_stale(out, {truth["case_id"] for truth in rows})
    tags: Counter[str] = Counter()
    for truth in rows:
        _dump(truth_dir / f"{truth['case_id']}.json", truth)
        tags.update(truth["hard_cases"])
    summary = {
        "generator": "claimflow synth appeals",
        "seed": seed,
        "cases": cases,
        "by_condition": dict(Counter(r["condition"] for r in rows)),
        "by_record_format": dict(Counter(r["record_format"] for r in rows)),
        "by_letter_format": dict(Counter(r["letter_format"] for r in rows)),
        "meets_criteria": sum(r["meets_criteria"] for r in rows),
        "does_not_meet_criteria": sum(not r["meets_criteria"] for r in rows),
        "conflicts": sum(len(r["conflicts"]) for r in rows),
        "agreements": sum(len(r["agreements"]) for r in rows),
        "hard_cases": dict(sorted(tags.items())),
        "case_list": [
            {
                "case_id": r["case_id"],
                "condition": r["condition"],
                "record_format": r["record_format"],
                "letter_format": r["letter_format"],
                "meets_criteria": r["meets_criteria"],
            }
            for r in rows
        ],
    }
    _dump(truth_dir / "summary.json", summary)
    return AppealsSummary(out, cases, summary)


CASE_ID = re.compile(r"A\d{4,}")


def _remove_stale(out: Path, written: set[str]) -> None:
    """What an earlier, longer run wrote and this one did not: its case directories (named
    like ours, holding a denial letter) and their truth files."""
    for path in out.iterdir():
        if (
            path.is_dir()
            and CASE_ID.fullmatch(path.name)
            and path.name not in written
            and any(path.glob("denial.*"))
        ):
            shutil.rmtree(path)
    for path in (out / "truth").glob("A*.json"):
        if CASE_ID.fullmatch(path.stem) and path.stem not in written:
            path.unlink()


def _dump(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=True) + "\n", encoding="utf-8")
