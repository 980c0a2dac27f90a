"""Classify every distinct denial text in the warehouse once per classifier version."""

from __future__ import annotations

import datetime as dt

import duckdb

from claimflow.denials.classifier import DenialClassifier, normalize
from claimflow.warehouse.sql import insert_rows

REASON_MAP = "cf_reason_map"

"""Temporary table: each raw ``denial_reason`` and its normalised text."""


def classify_denial_texts(
    conn: duckdb.DuckDBPyConnection, classifier: DenialClassifier, *, run_id: str
) -> tuple[int, int]:
    """Fill ``denial_text_classifications`` for texts not yet classified by this version.

    Also builds the temporary table ``cf_reason_map`` (raw text → normalised text) that the
    decision query joins through.

    Returns:
        (distinct normalised texts in the warehouse, texts classified by this call).
    """
    raw_texts = [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT denial_reason FROM claims_header WHERE denial_reason IS NOT NULL"
        ).fetchall()
    ]
    pairs = [(raw, normalize(raw)) for raw in raw_texts]
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE {REASON_MAP} (denial_reason VARCHAR, normalized_text VARCHAR)"
    )
    insert_rows(conn, REASON_MAP, pairs)
    known = {
        r[0]
        for r in conn.execute(
            "SELECT normalized_text FROM denial_text_classifications WHERE classifier_version = ?",
            [classifier.version],
        ).fetchall()
    }
    todo = sorted({norm for _, norm in pairs} - known)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows: list[tuple[object, ...]] = []
    for text in todo:
        result = classifier.classify(text)
        rows.append(
            (
                text,
                classifier.version,
                result.label,
                result.category,
                result.confidence,
                result.layer,
                result.explanation,
                result.disposition,
                result.auto_resubmit,
                result.model_version,
                now,
                run_id,
            )
        )
    insert_rows(conn, "denial_text_classifications", rows)
    return len({norm for _, norm in pairs}), len(rows)
