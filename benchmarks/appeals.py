"""Benchmark: the appeal engine against the synthetic generator's truth (issue 20 goals).

Usage::

    python benchmarks/appeals.py [--cases 200] [--seed 20] [--work DIR] [--json]

1. ``claimflow synth appeals --cases N --seed S --out DIR/cases`` (timed);
2. ``claimflow appeal prepare`` on every case and ``claimflow appeal draft --all`` (timed, as
   the user runs them: whole processes, in one batch each);
3. every figure the issue names, against ``DIR/cases/truth/``:
   - SOFA per organ and total, the window, and the Sepsis-3 / ARF / KDIGO verdicts equal to
     truth (share of cases);
   - conflicts: recall and precision against the planted ones (matched by parameter, the
     note's value and the structured value);
   - DRGs and account numbers right, on text letters (txt and text PDF) and on scans;
   - untraced numbers, lint findings and unanswered arguments over all letters;
   - the checker's catch rate over every mutation of every letter;
4. one case end to end (prepare then draft, two processes, pinned to one core with taskset)
   for a text PDF and for a scan, with the floors measured in the same run: the interpreter's
   start (``python -c pass``) and, for the scan, Tesseract alone on its page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

BIN = Path(sys.executable).parent
CLAIMFLOW = str(BIN / "claimflow")
ORGANS = ("respiration", "coagulation", "liver", "cardiovascular", "cns", "renal")
TEXT_LETTERS = ("txt", "text_pdf")


def _run(args: list[str], *, pin: bool = False) -> float:
    """Seconds the command took (it must exit 0 or 3: rows quarantined is a finished run)."""
    cmd = (["taskset", "-c", "0"] if pin and shutil.which("taskset") else []) + args
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    if done.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(args)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return took


def _truths(cases: Path) -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted((cases / "truth").glob("A*.json"))}


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _sofa_equal(truth: dict[str, Any], score: dict[str, Any]) -> tuple[bool, list[str]]:
    """SOFA per organ, total, baseline, delta and window equal to truth; what differed."""
    diffs: list[str] = []
    t = truth["sofa"]
    organs = {c["id"].removeprefix("sofa."): c for c in score["criteria"]}
    for organ in ORGANS:
        expected = t["organs"][organ]
        got = organs.get(organ, {})
        want = expected["points"] if expected.get("assessable", True) else None
        if got.get("points") != want:
            diffs.append(f"{organ} {got.get('points')} != {want}")
    for key in ("total", "baseline", "delta"):
        if score.get(key) != t.get(key):
            diffs.append(f"{key} {score.get(key)} != {t.get(key)}")
    window = score.get("window") or {}
    tw = t["window"]
    if (window.get("start"), window.get("end"), window.get("anchor")) != (
        tw["start"],
        tw["end"],
        tw["anchor"],
    ):
        diffs.append(f"window {window.get('start')}..{window.get('end')} != {tw}")
    return not diffs, diffs


def _verdicts(truth: dict[str, Any], scores: dict[str, Any]) -> tuple[bool, list[str]]:
    diffs: list[str] = []
    if truth.get("sepsis3") is not None:
        got = (scores.get("sepsis3") or {}).get("verdict")
        if got != truth["sepsis3"]:
            diffs.append(f"sepsis3 {got} != {truth['sepsis3']}")
    if truth.get("arf") is not None:
        got = (scores.get("arf") or {}).get("verdict")
        if got != truth["arf"]["verdict"]:
            diffs.append(f"arf {got} != {truth['arf']['verdict']}")
    if truth.get("kdigo") is not None and truth["condition"] == "aki":
        got = (scores.get("kdigo") or {}).get("stage")
        if got != truth["kdigo"]["stage"]:
            diffs.append(f"kdigo stage {got} != {truth['kdigo']['stage']}")
    return not diffs, diffs


def _conflict_key(
    param: str, note_value: float, structured_value: float
) -> tuple[str, float, float]:
    return (param, round(float(note_value), 2), round(float(structured_value), 2))


def evaluate(work: Path, truths: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Every accuracy figure, from the warehouse and the drafts' JSON."""
    conn = duckdb.connect(str(work / "appeals.duckdb"), read_only=True)
    cursor = conn.execute("SELECT * FROM appeal_cases")
    names = [d[0] for d in cursor.description]
    cases = {r[0]: dict(zip(names, r, strict=True)) for r in cursor.fetchall()}
    conn.close()
    sofa_ok = verdict_ok = 0
    sofa_misses: list[str] = []
    verdict_misses: list[str] = []
    fields = {"text": [0, 0], "scan": [0, 0]}
    field_misses: list[str] = []
    true_conflicts = found_conflicts = matched = 0
    untraced = lint = unanswered = numbers = 0
    for case_id, truth in truths.items():
        draft_file = work / "drafts" / case_id / "draft.json"
        if case_id not in cases or not draft_file.exists():
            sofa_misses.append(f"{case_id}: not prepared or not drafted")
            verdict_misses.append(f"{case_id}: not prepared or not drafted")
            continue
        draft = json.loads(draft_file.read_text())
        scores = draft["scores"]
        ok, diffs = _sofa_equal(truth, scores["sofa"])
        sofa_ok += ok
        if not ok:
            sofa_misses.append(f"{case_id}: {'; '.join(diffs)}")
        ok, diffs = _verdicts(truth, scores)
        verdict_ok += ok
        if not ok:
            verdict_misses.append(f"{case_id}: {'; '.join(diffs)}")
        row = cases[case_id]
        kind = "text" if truth["letter_format"] in TEXT_LETTERS else "scan"
        right = (
            row["original_drg"] == truth["original_drg"]
            and row["proposed_drg"] == truth["proposed_drg"]
            and row["account_number"] == truth["account_number"]
        )
        fields[kind][0] += right
        fields[kind][1] += 1
        if not right:
            field_misses.append(
                f"{case_id} ({truth['letter_format']}): DRG {row['original_drg']}->"
                f"{row['proposed_drg']} vs {truth['original_drg']}->{truth['proposed_drg']}, "
                f"account {row['account_number']} vs {truth['account_number']}"
            )
        want = {
            _conflict_key(c["param"], c["note_value"], c["structured_value"])
            for c in truth["conflicts"]
        }
        got = {
            _conflict_key(c["param"], c["note_value"], c["structured_value"])
            for c in draft["conflicts"]
        }
        true_conflicts += len(want)
        found_conflicts += len(got)
        matched += len(want & got)
        a = draft["assessment"]
        numbers += a["numbers"]
        untraced += len(a["untraced"])
        lint += sum(1 for f in a["formatting"]["findings"] if f["status"] == "missing")
        unanswered += sum(
            1
            for f in a["argument_structure"]["findings"]
            if f["status"] == "missing" and f["item"].startswith(("not answered", "not quoted"))
        )
    n = len(truths)
    return {
        "cases": n,
        "sofa_equal": sofa_ok / n,
        "verdicts_equal": verdict_ok / n,
        "sofa_misses": sofa_misses[:20],
        "verdict_misses": verdict_misses[:20],
        "conflicts_true": true_conflicts,
        "conflicts_found": found_conflicts,
        "conflict_recall": matched / true_conflicts if true_conflicts else None,
        "conflict_precision": matched / found_conflicts if found_conflicts else None,
        "fields_text": fields["text"][0] / fields["text"][1] if fields["text"][1] else None,
        "fields_scan": fields["scan"][0] / fields["scan"][1] if fields["scan"][1] else None,
        "letters_text": fields["text"][1],
        "letters_scan": fields["scan"][1],
        "field_misses": field_misses[:20],
        "numbers": numbers,
        "untraced": untraced,
        "lint_findings": lint,
        "unanswered_arguments": unanswered,
    }


def mutation_rate(work: Path) -> dict[str, Any]:
    """Every mutation of every letter, re-assessed: the share the checker catches."""
    from claimflow.appeals.draft import make_draft
    from claimflow.appeals.mutations import mutants
    from claimflow.appeals.profiles import load_profiles
    from claimflow.appeals.store import read_chart
    from claimflow.appeals.strength import assess

    profiles = load_profiles()
    conn = duckdb.connect(str(work / "appeals.duckdb"), read_only=True)
    total = caught = 0
    by_kind: dict[str, list[int]] = {}
    missed: list[str] = []
    ids = [
        str(r[0]) for r in conn.execute("SELECT case_id FROM appeal_cases ORDER BY 1").fetchall()
    ]
    from claimflow.appeals.draft import facts_of

    for case_id in ids:
        made, record = make_draft(conn, case_id, profiles, out_dir=work / "unused")
        profile = profiles[made.letter.condition]
        facts = facts_of(record)
        chart = read_chart(conn, case_id)
        clean = made.assessment
        for m in mutants(made.letter, profile, facts, chart, made.scores):
            got = assess(m.letter, profile, facts, chart, made.scores).catches(clean)
            total += 1
            caught += got
            by_kind.setdefault(m.kind, [0, 0])
            by_kind[m.kind][0] += got
            by_kind[m.kind][1] += 1
            if not got and len(missed) < 20:
                missed.append(f"{case_id} {m.kind}: {m.description}")
    conn.close()
    return {
        "mutations": total,
        "caught": caught,
        "catch_rate": caught / total if total else None,
        "by_kind": {k: f"{v[0]}/{v[1]}" for k, v in sorted(by_kind.items())},
        "missed": missed,
    }


def one_case(cases: Path, truths: dict[str, dict[str, Any]], letter_format: str) -> dict[str, Any]:
    """One case, prepare then draft, as processes on one core, with its floors."""
    case_id = next(c for c, t in truths.items() if t["letter_format"] == letter_format)
    with tempfile.TemporaryDirectory() as tmp:
        w = str(Path(tmp) / "one.duckdb")
        # a user's warehouse exists already: its creation (the migrations) is not the case's
        _run([CLAIMFLOW, "appeal", "prepare", str(cases / case_id), "-w", w])
        both = _run(
            [
                CLAIMFLOW,
                "appeal",
                "prepare",
                str(cases / case_id),
                "--draft",
                str(Path(tmp) / "d"),
                "-w",
                w,
            ],
            pin=True,
        )
        prepare = _run([CLAIMFLOW, "appeal", "prepare", str(cases / case_id), "-w", w], pin=True)
        draft = _run(
            [CLAIMFLOW, "appeal", "draft", case_id, "--out", str(Path(tmp) / "d"), "-w", w],
            pin=True,
        )
    floor = _run([sys.executable, "-c", "pass"], pin=True)
    result = {
        "case": case_id,
        "letter_format": letter_format,
        "prepare_s": round(prepare, 2),
        "draft_s": round(draft, 2),
        "two_commands_s": round(prepare + draft, 2),
        "prepare_with_draft_s": round(both, 2),
        "interpreter_start_s": round(floor, 3),
    }
    if letter_format == "scan_pdf" and shutil.which("tesseract"):
        from pypdf import PdfReader

        reader = PdfReader(str(cases / case_id / "denial.pdf"))
        with tempfile.TemporaryDirectory() as tmp:
            pages = []
            for i, page in enumerate(reader.pages):
                for j, image in enumerate(page.images):
                    path = Path(tmp) / f"p{i}_{j}.png"
                    image.image.save(path)  # type: ignore[union-attr]
                    pages.append(path)
            start = time.perf_counter()
            for path in pages:
                subprocess.run(
                    ["taskset", "-c", "0", "tesseract", str(path), "-", "--psm", "6"],
                    capture_output=True,
                    check=True,
                    env={**os.environ, "OMP_THREAD_LIMIT": "1"},
                )
            result["tesseract_alone_s"] = round(time.perf_counter() - start, 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="appeals-bench-"))
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    cases = work / "cases"
    w = str(work / "appeals.duckdb")
    figures: dict[str, Any] = {"load_average_before": os.getloadavg()}
    figures["synth_s"] = round(
        _run(
            [
                CLAIMFLOW,
                "synth",
                "appeals",
                "--cases",
                str(args.cases),
                "--seed",
                str(args.seed),
                "--out",
                str(cases),
            ]
        ),
        1,
    )
    truths = _truths(cases)
    dirs = [str(cases / c) for c in truths]
    start = time.perf_counter()
    _run([CLAIMFLOW, "appeal", "prepare", *dirs, "-w", w])
    figures["prepare_all_s"] = round(time.perf_counter() - start, 1)
    figures["draft_all_s"] = round(
        _run([CLAIMFLOW, "appeal", "draft", "--all", "--out", str(work / "drafts"), "-w", w]), 1
    )
    figures["prepare_and_draft_all_s"] = round(figures["prepare_all_s"] + figures["draft_all_s"], 1)
    figures["accuracy"] = evaluate(work, truths)
    figures["checker"] = mutation_rate(work)
    figures["one_case_text_pdf"] = one_case(cases, truths, "text_pdf")
    figures["one_case_scan"] = one_case(cases, truths, "scan_pdf")
    figures["load_average_after"] = os.getloadavg()
    figures["work"] = str(work)
    if args.json:
        print(json.dumps(figures, indent=2, default=str))
        return
    a, c = figures["accuracy"], figures["checker"]
    print(f"Appeals benchmark: {a['cases']} cases, seed {args.seed} ({work})")
    print(
        f"  synth {figures['synth_s']} s; prepare {figures['prepare_all_s']} s; draft {figures['draft_all_s']} s;"
        f" together {figures['prepare_and_draft_all_s']} s (goal <= 300)"
    )
    print(
        f"  SOFA equal to truth: {a['sofa_equal']:.1%}; verdicts: {a['verdicts_equal']:.1%} (goal 100%)"
    )
    for line in a["sofa_misses"][:8] + a["verdict_misses"][:8]:
        print(f"    {line}")
    print(
        f"  conflicts: recall {a['conflict_recall']}, precision {a['conflict_precision']} "
        f"({a['conflicts_found']} found, {a['conflicts_true']} planted; goal >= 95%)"
    )
    print(
        f"  DRGs and account: text {a['fields_text']} of {a['letters_text']} (goal 100%), "
        f"scans {a['fields_scan']} of {a['letters_scan']} (goal >= 98%)"
    )
    for line in a["field_misses"][:8]:
        print(f"    {line}")
    print(
        f"  letters: {a['numbers']} numbers, {a['untraced']} untraced; {a['lint_findings']} lint findings;"
        f" {a['unanswered_arguments']} arguments unanswered (goal 0 each)"
    )
    print(
        f"  checker: {c['caught']}/{c['mutations']} mutations caught ({c['catch_rate']}); {c['by_kind']} (goal >= 99%)"
    )
    for line in c["missed"][:8]:
        print(f"    {line}")
    for key in ("one_case_text_pdf", "one_case_scan"):
        print(f"  {key}: {figures[key]} (goals 3 s text PDF, 15 s OCR)")
    print(
        f"  load average before {figures['load_average_before']}, after {figures['load_average_after']}"
    )


if __name__ == "__main__":
    main()
