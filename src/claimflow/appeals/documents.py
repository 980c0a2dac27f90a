"""The two documents of a draft: ``letter.docx`` for the payer and ``review.docx`` for the CDI
reviewer. Two files, so the internal review never reaches the payer."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.shared import Pt

from claimflow.appeals.crosscheck import Comparison
from claimflow.appeals.letter import Letter, Table, when
from claimflow.appeals.scoring import CaseScores
from claimflow.appeals.strength import Assessment
from claimflow.atomic import atomic_path

_MARK = {"present": "\u2713", "could_strengthen": "\u25b3", "missing": "\u2717"}
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _runs(doc_paragraph: object, text: str) -> None:
    """Add ``text`` to a python-docx paragraph, ``**marked**`` parts in bold."""
    position = 0
    for m in _BOLD.finditer(text):
        if m.start() > position:
            doc_paragraph.add_run(text[position : m.start()])  # type: ignore[attr-defined]
        doc_paragraph.add_run(m.group(1)).bold = True  # type: ignore[attr-defined]
        position = m.end()
    if position < len(text):
        doc_paragraph.add_run(text[position:])  # type: ignore[attr-defined]


def _table(doc: DocumentObject, table: Table) -> None:
    doc.add_heading(f"Appendix: {table.title}", level=2)
    if table.note:
        doc.add_paragraph(table.note)
    grid = doc.add_table(rows=1, cols=len(table.columns))
    grid.style = "Table Grid"
    for cell, name in zip(grid.rows[0].cells, table.columns, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(name).bold = True
    for row in table.rows:
        cells = grid.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = ""
            _runs(cell.paragraphs[0], value)


def _document() -> DocumentObject:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(11)
    return doc


def docx_text(document: Path | bytes) -> str:
    """A DOCX's text, its paragraphs then its tables' cells, a line each (what a reader of the
    document sees: to check it names no identifier a role may not see)."""
    source = io.BytesIO(document) if isinstance(document, bytes) else str(document)
    doc = Document(source)
    texts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        texts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(texts)


def write_letter(letter: Letter, path: Path) -> None:
    """The letter for the payer: its paragraphs, bold where marked, and the appendix table."""
    doc = _document()
    for paragraph in letter.paragraphs:
        if paragraph.kind == "heading":
            doc.add_heading(paragraph.text.replace("**", ""), level=2)
            continue
        p = doc.add_paragraph()
        if paragraph.kind == "quote":
            p.paragraph_format.left_indent = Pt(24)
        _runs(p, paragraph.text)
    if letter.table is not None and letter.table.rows:
        _table(doc, letter.table)
    _save(doc, path)


def write_review(
    letter: Letter,
    assessment: Assessment,
    scores: CaseScores,
    comparisons: list[Comparison],
    header: dict[str, str],
    path: Path,
) -> None:
    """The review for the CDI reviewer: the assessment, the conflicts, every score with its
    sources, what was missing, and the numbers that could not be traced."""
    doc = _document()
    doc.add_heading(f"Appeal review (internal): case {letter.case_id}", level=1)
    for key, value in header.items():
        p = doc.add_paragraph()
        p.add_run(f"{key}: ").bold = True
        p.add_run(value)
    doc.add_heading(f"Strength: {assessment.overall}/10 ({assessment.rating})", level=2)
    doc.add_paragraph(assessment.summary)
    for name, dim in assessment.dimensions.items():
        doc.add_paragraph().add_run(
            f"{name.replace('_', ' ').capitalize()}: {dim.score}/10"
        ).bold = True
        for finding in dim.findings:
            doc.add_paragraph(f"{_MARK[finding.status]} {finding.item}", style="List Bullet")
    conflicts = [c for c in comparisons if c.conflict]
    doc.add_heading(
        f"Conflicts for CDI review: {len(conflicts)}" if conflicts else "Conflicts: none",
        level=2,
    )
    for conflict in conflicts:
        doc.add_paragraph(conflict.question, style="List Bullet")
    doc.add_heading("Scores and their sources", level=2)
    for name, result in scores.results.items():
        title = f"{name.upper()} ({result.version})"
        if result.total is not None:
            title += f": total {result.total}"
            if result.baseline is not None:
                title += f", baseline {result.baseline}, delta {result.delta}"
        if result.stage is not None:
            title += f": stage {result.stage}"
        if result.verdict is not None:
            title += f": {'met' if result.verdict else 'not met'}"
        doc.add_paragraph().add_run(title).bold = True
        if result.window is not None:
            doc.add_paragraph(
                f"Window: {when(result.window.start)} to {when(result.window.end)} "
                f"({result.window.rule})"
            )
        for c in result.criteria:
            state = {True: "met", False: "not met", None: "not assessable"}[c.met]
            points = "" if c.points is None else f", {c.points} point(s)"
            doc.add_paragraph(f"{c.label}: {state}{points}. {c.rule}", style="List Bullet")
            for x in c.cited:
                value = "" if x.value is None else f"{x.value:g} {x.unit}"
                doc.add_paragraph(
                    f"{x.param} {value or x.text or ''} at {when(x.time)}: "
                    f"{x.source.file} {x.source.position}, lineage {x.source.lineage_hash[:16]}",
                    style="List Bullet 2",
                )
        if result.missing:
            doc.add_paragraph(f"Missing: {', '.join(result.missing)}")
        for convention in result.conventions:
            doc.add_paragraph(f"Convention: {convention}")
    for c in scores.criteria.values():
        state = {True: "met", False: "not met", None: "not assessable"}[c.met]
        doc.add_paragraph(f"{c.label}: {state}. {c.rule}", style="List Bullet")
    untraced = assessment.untraced
    doc.add_heading(
        f"Numbers not traced: {len(untraced)}" if untraced else "Every number traced",
        level=2,
    )
    for n in untraced:
        doc.add_paragraph(f"{n.text}: {n.status} ({n.source})", style="List Bullet")
    _save(doc, path)


def _save(doc: DocumentObject, path: Path) -> None:
    doc.core_properties.created = dt.datetime(2000, 1, 1)
    doc.core_properties.modified = dt.datetime(2000, 1, 1)
    doc.core_properties.last_modified_by = "claimflow"
    doc.core_properties.author = "claimflow"
    with atomic_path(path) as tmp:
        doc.save(str(tmp))
