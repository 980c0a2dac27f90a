"""Draft one prepared case: score, cross-check, retrieve, write, (reword), assess, and write
``letter.docx``, ``review.docx`` and ``draft.json``; record the draft in ``appeal_drafts``."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from claimflow.appeals.crosscheck import Comparison, cross_check
from claimflow.appeals.documents import write_letter, write_review
from claimflow.appeals.letter import DenialFacts, Letter, Paragraph, compose, day
from claimflow.appeals.library import find_letter
from claimflow.appeals.lint import lint
from claimflow.appeals.profiles import Profile
from claimflow.appeals.rephrase import Endpoint, RephraseError, rephrase
from claimflow.appeals.scoring import CaseScores, score_case
from claimflow.appeals.store import read_case, read_chart
from claimflow.appeals.strength import Assessment, assess
from claimflow.atomic import atomic_path
from claimflow.clinical.records import Chart
from claimflow.clinical.results import ScoreResult
from claimflow.errors import ClaimflowError
from claimflow.schema.appeal_drafts import APPEAL_DRAFTS
from claimflow.warehouse.connection import table_names


class DraftError(ClaimflowError):
    """A case that cannot be drafted (no condition decided, no clinical rows)."""


@dataclass
class Draft:
    case_id: str
    letter: Letter
    assessment: Assessment
    scores: CaseScores
    comparisons: list[Comparison]
    out_dir: Path
    template: str
    rephrased: str | None


def facts_of(record: dict[str, Any]) -> DenialFacts:
    """The case's own fields, from its ``appeal_cases`` row."""
    return DenialFacts(
        case_id=str(record["case_id"]),
        condition=str(record["condition"]),
        payer=record.get("payer"),
        account_number=record.get("account_number"),
        claim_number=record.get("claim_number"),
        admitted=record["admitted"],
        discharged=record.get("discharged"),
        original_drg=record.get("original_drg"),
        proposed_drg=record.get("proposed_drg"),
        letter_date=record.get("letter_date"),
        appeal_deadline=record.get("appeal_deadline"),
        arguments=tuple(record.get("arguments") or ()),
        denial_text=str(record.get("letter_text") or ""),
    )


_OWN_WORDS = re.compile(r"^(dear|re:|sincerely|to whom)", re.IGNORECASE)


def template_from(text: str) -> dict[str, str]:
    """A past winning letter as a template: its first and last paragraphs of general prose
    (no number, no salutation, at least twelve words) become the opening and the conclusion.
    Nothing of its clinical content is reused."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    prose = [
        p
        for p in paragraphs
        if len(p.split()) >= 12 and not re.search(r"\d", p) and not _OWN_WORDS.match(p)
    ]
    if len(prose) < 2:
        return {}
    return {"opening": prose[0], "conclusion": prose[-1]}


def _library_template(
    conn: duckdb.DuckDBPyConnection, facts: DenialFacts
) -> tuple[dict[str, str], str]:
    if "appeal_library" not in table_names(conn):
        return {}, "profile default (no library)"
    match = find_letter(conn, facts.condition, list(facts.arguments), facts.denial_text)
    if match is None:
        return {}, "profile default (no library letter above the calibrated threshold)"
    sections = template_from(match.text)
    if not sections or any(lint_text(t) for t in sections.values()):
        return {}, f"profile default (library letter {match.letter_id} has no usable prose)"
    return sections, (
        f"library letter {match.letter_id} (score {match.score:.2f}, threshold "
        f"{match.threshold:.2f})"
    )


def lint_text(text: str) -> bool:
    """Whether a text alone has a lint finding."""
    probe = Letter("", "", dt.date.min, [Paragraph(text, "body")])
    return bool(lint(probe))


def make_draft(
    conn: duckdb.DuckDBPyConnection,
    case_id: str,
    profiles: dict[str, Profile],
    *,
    out_dir: Path,
    now: dt.datetime | None = None,
    endpoint: Endpoint | None = None,
) -> tuple[Draft, dict[str, Any]]:
    """The draft of a prepared case, and its ``appeal_cases`` row; nothing written.

    Raises:
        CaseNotFoundError: No prepared case has that id.
        DraftError: The case's condition is undecided or has no profile, or the case has no
            clinical rows.
    """
    record = read_case(conn, case_id)
    condition = record.get("condition")
    if not condition:
        raise DraftError(
            f"case {case_id}: the condition is undecided (no DRG of a profile, no profile's words "
            "in the denial, no single diagnosis of one); add a profile or a DRG to the letter"
        )
    if condition not in profiles:
        raise DraftError(
            f"case {case_id}: no profile for condition {condition!r} "
            f"(profiles: {', '.join(sorted(profiles))})"
        )
    profile = profiles[condition]
    chart = read_chart(conn, case_id)
    if not chart.observations and not chart.medications:
        raise DraftError(f"case {case_id}: no clinical observation or medication was loaded")
    facts = facts_of(record)
    now = now or dt.datetime.now().replace(microsecond=0)
    scores = score_case(chart, profile)
    comparisons = cross_check(chart)
    sections, template = _library_template(conn, facts)
    letter = compose(profile, facts, scores, now.date(), sections, template)
    assessment = assess(letter, profile, facts, chart, scores)
    rephrased: str | None = None
    if endpoint is not None:
        letter, assessment, rephrased = _reworded(
            letter, assessment, profile, facts, chart, scores, endpoint
        )
    made = Draft(case_id, letter, assessment, scores, comparisons, out_dir, template, rephrased)
    return made, record


def draft_case(
    conn: duckdb.DuckDBPyConnection,
    case_id: str,
    out_dir: Path,
    profiles: dict[str, Profile],
    *,
    drafted_by: str = "unknown",
    now: dt.datetime | None = None,
    endpoint: Endpoint | None = None,
) -> Draft:
    """Draft the case, write its documents into ``out_dir`` and record it in
    ``appeal_drafts`` (``make_draft`` raises what this raises)."""
    now = now or dt.datetime.now()
    made, record = make_draft(conn, case_id, profiles, out_dir=out_dir, now=now, endpoint=endpoint)
    write_documents(made, record)
    _record(conn, made, drafted_by, now)
    return made


def _reworded(
    letter: Letter,
    assessment: Assessment,
    profile: Profile,
    facts: DenialFacts,
    chart: Chart,
    scores: CaseScores,
    endpoint: Endpoint,
) -> tuple[Letter, Assessment, str]:
    """The reworded letter when it is as clean as the original; else the original, and why."""
    try:
        candidate = rephrase(letter, endpoint)
    except RephraseError as exc:
        return letter, assessment, f"rejected: {exc}"
    checked = assess(candidate, profile, facts, chart, scores)
    reasons = []
    if checked.untraced:
        reasons.append(
            f"{len(checked.untraced)} number(s) not traced ({', '.join(n.text for n in checked.untraced[:3])})"
        )
    if checked.lint:
        reasons.append(f"lint: {', '.join(sorted({f.word for f in checked.lint}))}")
    if checked.problems > assessment.problems:
        reasons.append(f"{checked.problems - assessment.problems} new problem(s)")
    if reasons:
        return letter, assessment, "rejected: " + "; ".join(reasons)
    return candidate, checked, "kept"


def _header(record: dict[str, Any], draft: Draft) -> dict[str, str]:
    return {
        "Case": draft.case_id,
        "Payer": str(record.get("payer") or "unknown"),
        "Patient account": str(record.get("account_number") or "unknown"),
        "Claim": str(record.get("claim_number") or "unknown"),
        "DRG": f"{record.get('original_drg') or 'unknown'} -> {record.get('proposed_drg') or 'unknown'}",
        "Appeal deadline": day(record.get("appeal_deadline")),
        "Denial read": "with OCR" if record.get("ocr") else "from text",
        "Arguments": ", ".join(record.get("arguments") or ()) or "none recognised",
        "Template": draft.template,
        **({"Rewording": draft.rephrased} if draft.rephrased else {}),
    }


def _score_json(result: ScoreResult) -> dict[str, Any]:
    return {
        "name": result.name,
        "version": result.version,
        "window": None
        if result.window is None
        else {
            "start": result.window.start.isoformat(),
            "end": result.window.end.isoformat(),
            "anchor": result.window.anchor,
            "rule": result.window.rule,
        },
        "total": result.total,
        "baseline": result.baseline,
        "delta": result.delta,
        "stage": result.stage,
        "verdict": result.verdict,
        "missing": result.missing,
        "conventions": result.conventions,
        "criteria": [
            {
                "id": c.id,
                "label": c.label,
                "met": c.met,
                "points": c.points,
                "value": c.value,
                "unit": c.unit,
                "time": None if c.time is None else c.time.isoformat(),
                "rule": c.rule,
                "missing": list(c.missing),
                "cited": [
                    {
                        "param": x.param,
                        "value": x.value,
                        "unit": x.unit,
                        "text": x.text,
                        "time": x.time.isoformat(),
                        "file": x.source.file,
                        "position": x.source.position,
                        "lineage_hash": x.source.lineage_hash,
                    }
                    for x in c.cited
                ],
            }
            for c in result.criteria
        ],
    }


def draft_json(draft: Draft, record: dict[str, Any]) -> dict[str, Any]:
    """The draft as JSON: the letter, the review's content and every score with its sources."""
    a = draft.assessment
    return {
        "case_id": draft.case_id,
        "condition": draft.letter.condition,
        "drafted": draft.letter.drafted.isoformat(),
        "template": draft.template,
        "rephrased": draft.rephrased,
        "header": _header(record, draft),
        "letter": {
            "paragraphs": [
                {"kind": p.kind, "argument": p.argument, "text": p.text}
                for p in draft.letter.paragraphs
            ],
            "table": None
            if draft.letter.table is None
            else {
                "title": draft.letter.table.title,
                "columns": list(draft.letter.table.columns),
                "rows": [list(r) for r in draft.letter.table.rows],
                "note": draft.letter.table.note,
            },
        },
        "assessment": {
            "overall": a.overall,
            "rating": a.rating,
            "summary": a.summary,
            "verdict": a.verdict,
            **{
                name: {
                    "score": d.score,
                    "findings": [{"status": f.status, "item": f.item} for f in d.findings],
                }
                for name, d in a.dimensions.items()
            },
            "numbers": len(a.numbers),
            "untraced": [n.text for n in a.untraced],
        },
        "conflicts": [
            {
                "param": c.mention.param,
                "note": f"{c.mention.note.source.file} {c.mention.note.source.position}",
                "note_value": c.mention.value,
                "structured_value": c.structured.value,
                "structured_time": c.structured.time.isoformat(),
                "structured_lineage_hash": c.structured.source.lineage_hash,
                "question": c.question,
            }
            for c in draft.comparisons
            if c.conflict
        ],
        "scores": {name: _score_json(r) for name, r in draft.scores.results.items()},
        "criteria": {
            cid: {"label": c.label, "met": c.met, "value": c.value, "rule": c.rule}
            for cid, c in draft.scores.criteria.items()
        },
    }


def write_documents(draft: Draft, record: dict[str, Any]) -> None:
    """``letter.docx``, ``review.docx`` and ``draft.json`` in the draft's ``out_dir``, each
    written whole or not at all."""
    draft.out_dir.mkdir(parents=True, exist_ok=True)
    write_letter(draft.letter, draft.out_dir / "letter.docx")
    write_review(
        draft.letter,
        draft.assessment,
        draft.scores,
        draft.comparisons,
        _header(record, draft),
        draft.out_dir / "review.docx",
    )
    with atomic_path(draft.out_dir / "draft.json") as tmp:
        tmp.write_text(
            json.dumps(draft_json(draft, record), indent=2, ensure_ascii=False, default=str) + "\n",
            encoding="utf-8",
        )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _record(
    conn: duckdb.DuckDBPyConnection, draft: Draft, drafted_by: str, now: dt.datetime
) -> None:
    a = draft.assessment
    assessment = {
        name: [{"status": f.status, "item": f.item} for f in d.findings]
        for name, d in a.dimensions.items()
    }
    row = {
        "draft_id": f"{draft.case_id}@{now.isoformat()}",
        "case_id": draft.case_id,
        "drafted_at": now,
        "drafted_by": drafted_by,
        "condition": draft.letter.condition,
        "verdict": a.verdict,
        "overall": a.overall,
        "rating": a.rating,
        "numbers": len(a.numbers),
        "untraced": len(a.untraced),
        "lint_findings": len(a.lint),
        "problems": a.problems,
        "conflicts": sum(c.conflict for c in draft.comparisons),
        "assessment": json.dumps(assessment, ensure_ascii=False),
        "template": draft.template,
        "rephrased": draft.rephrased,
        "out_dir": str(draft.out_dir),
        "letter_sha256": _sha256(draft.out_dir / "letter.docx"),
        "review_sha256": _sha256(draft.out_dir / "review.docx"),
    }
    names = APPEAL_DRAFTS.column_names
    conn.execute(
        f"INSERT INTO {APPEAL_DRAFTS.name} ({', '.join(names)}) VALUES "
        f"({', '.join('?' for _ in names)})",
        [row[n] for n in names],
    )
