"""Drafted appeals and their outcomes (issue 20, docs/appeals.md): one row per draft in
``appeal_drafts`` (``claimflow appeal draft``: its strength, what the trace and the lint found,
where the two documents were written), and in ``appeal_outcomes`` what the payer decided on the
appeal (overturned, upheld, partially paid), from a later 835 matched to the claim or entered
by a person. Both append-only: a new draft or outcome is a new row, the latest one stands."""

from __future__ import annotations

from claimflow.schema._types import INT, TS, B, C, Column, D, J, M, T, Table

APPEAL_DRAFTS = Table(
    "appeal_drafts",
    (
        Column("draft_id", C, "case id and the drafting time"),
        Column("case_id", C, "the case drafted (appeal_cases)"),
        Column("drafted_at", TS, "when"),
        Column("drafted_by", C, "who ran the command"),
        Column("condition", C, "the profile used"),
        Column("verdict", B, "whether the chart meets the condition's criteria (NULL: undecided)"),
        Column("overall", INT, "the strength, 1-10"),
        Column("rating", C, "LOW (1-4), MODERATE (5-7) or HIGH (8-10)"),
        Column("numbers", INT, "numbers in the letter"),
        Column("untraced", INT, "numbers not traced to a row, a score, the case or the criteria"),
        Column("lint_findings", INT, "forbidden words in the letter's own words"),
        Column("problems", INT, "findings marked missing, all dimensions"),
        Column("conflicts", INT, "notes against structured values, for CDI review"),
        Column("assessment", J, "the five dimensions and their findings"),
        Column("template", T, "the profile default, or the library letter used, and its score"),
        Column("rephrased", T, "NULL: not asked; 'kept' or 'rejected: why'"),
        Column("out_dir", T, "where letter.docx, review.docx and draft.json were written"),
        Column("letter_sha256", C, "sha256 of letter.docx"),
        Column("review_sha256", C, "sha256 of review.docx"),
    ),
    primary_key="draft_id",
    doc="appeals: one row per draft (claimflow appeal draft), append-only.",
)

APPEAL_OUTCOMES = Table(
    "appeal_outcomes",
    (
        Column("case_id", C, "the case (appeal_cases)"),
        Column("outcome", C, "overturned, upheld or partially_paid"),
        Column("decided_on", D, "the payer's decision date"),
        Column("paid_amount", M, "what the payer paid after the appeal, when known"),
        Column("source", C, "'835' (matched to the claim) or 'person'"),
        Column("recorded_by", C, "who recorded it (for 'person')"),
        Column("recorded_at", TS, "when it was recorded"),
        Column("note", T, "free text (PHI possible)"),
    ),
    primary_key="case_id, recorded_at",
    doc="appeals: the payer's decision on each appeal, append-only; the latest per case stands.",
)

APPEAL_WORK_TABLES: tuple[Table, ...] = (APPEAL_DRAFTS, APPEAL_OUTCOMES)
