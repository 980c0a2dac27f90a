"""Classify each distinct denial input once per classifier version, and keep it in the warehouse.

Two kinds of input share the cache table ``denial_text_classifications``:

* EMR free-text denial reasons, keyed by their normalised text (:func:`classify_denial_texts`);
* code combinations from 835 adjustments, 277CA statuses and 999 errors (with any text), keyed
  by :func:`input_key` — ``codes|group|carc|rarcs|status|entity|999 codes|text``
  (:func:`classify_inputs`).

A re-run with the same classifier version (rules digest + model version) classifies nothing
again; a new version classifies everything once more and keeps the old answers beside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import duckdb

from claimflow.denials.classifier import Classification, DenialClassifier, DenialInput, normalize
from claimflow.warehouse.sql import insert_rows

REASON_MAP = "cf_reason_map"

"""Temporary table: each raw ``denial_reason`` and its normalised text."""

CODE_KEY_PREFIX = "codes|"
"""Cache keys of code combinations start with this (no normalised text contains a ``|``)."""


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
    todo = sorted({norm for _, norm in pairs} - _known(conn, classifier.version))
    now = _now()
    rows = [_row(text, classifier.classify(text), classifier, now, run_id) for text in todo]
    insert_rows(conn, "denial_text_classifications", rows)
    return len({norm for _, norm in pairs}), len(rows)


def input_key(item: DenialInput) -> str:
    """The cache key of one input: its codes (upper-cased, remarks sorted) and normalised text."""
    parts = (
        item.group_code,
        item.carc,
        ",".join(sorted({r.strip().upper() for r in item.rarcs if r and r.strip()})),
        item.status_category,
        item.status_code,
        item.entity_code,
        item.segment_error_code,
        item.element_error_code,
    )
    codes = "|".join((p or "").strip().upper() for p in parts)
    return f"{CODE_KEY_PREFIX}{codes}|{normalize(item.text) if item.text else ''}"


def classify_inputs(
    conn: duckdb.DuckDBPyConnection,
    classifier: DenialClassifier,
    items: Iterable[DenialInput],
    *,
    run_id: str | None,
) -> tuple[dict[str, Classification], int]:
    """Classify each distinct input once, reusing what this classifier version already cached.

    Returns:
        (cache key → classification for every input given, inputs classified by this call).
    """
    by_key = {input_key(item): item for item in items}
    cached: dict[str, Classification] = {}
    if by_key:
        for row in conn.execute(
            "SELECT normalized_text, label, category, confidence, layer, explanation,"
            " disposition, auto_resubmit, model_version FROM denial_text_classifications"
            " WHERE classifier_version = ? AND list_contains(?, normalized_text)",
            [classifier.version, list(by_key)],
        ).fetchall():
            key, label, category, confidence, layer, why, disposition, auto, model = row
            cached[key] = Classification(
                key, label, category, float(confidence), layer, why, disposition, bool(auto),
                model or "",
            )  # fmt: skip
    todo = sorted(set(by_key) - set(cached))
    now = _now()
    rows = []
    for key in todo:
        result = classifier.classify(by_key[key])
        cached[key] = result
        rows.append(_row(key, result, classifier, now, run_id))
    insert_rows(conn, "denial_text_classifications", rows)
    return cached, len(rows)


def _known(conn: duckdb.DuckDBPyConnection, version: str) -> set[str]:
    return {
        r[0]
        for r in conn.execute(
            "SELECT normalized_text FROM denial_text_classifications WHERE classifier_version = ?",
            [version],
        ).fetchall()
    }


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _row(
    key: str,
    result: Classification,
    classifier: DenialClassifier,
    now: dt.datetime,
    run_id: str | None,
) -> tuple[object, ...]:
    return (
        key, classifier.version, result.label, result.category, result.confidence, result.layer,
        result.explanation, result.disposition, result.auto_resubmit, result.model_version, now,
        run_id,
    )  # fmt: skip
