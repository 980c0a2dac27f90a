"""The resubmission decision: which denied claims are resubmitted automatically, and why not.

A claim is a candidate when all hold: its status is the denied status; a patient (member) id
is present; more than ``min_days_since_submission`` days separate its submission from the
reference date; and its denial text is classified into a retryable label with a confidence at
or above the threshold.

Each excluded claim gets one reason. Among the checks the later one wins, in this order:
``missing_patient_id`` → ``missing_submitted_at`` → ``too_recent`` → ``non_retryable`` →
``missing_denial_reason``. A claim that is not denied is ``not_denied`` and nothing else is
checked. ``ambiguous`` (the classifier could not settle the text) is the reason only when
nothing else excludes the claim: a data defect a person can fix comes first.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from claimflow.config import ResubmissionPolicy
from claimflow.denials.cache import REASON_MAP
from claimflow.resubmit.fixes import recommend
from claimflow.warehouse.sql import execute, insert_rows, sql_str

DECISIONS = "cf_decisions"
"""Temporary table: one row per denied EMR claim with its classification and decision.

A claim that is not denied is decided without a row (``not_denied``, nothing else checked):
at millions of claims, a third of them paid, their rows would only be counted, and the table
is the widest the run keeps in memory. :data:`CLAIM_COUNTS` counts them. Its few-valued text
columns are ENUMs (:func:`_enum_columns`): one byte a value, so that at 5,000,000 claims it
fits DuckDB's memory budget much better (decide and write 14.3 → 9.7 s).

Its rows are in the order of the run's files (source system, then the provider's claim id):
the candidates and the rejection log are written straight from it, in its order, so the run
sorts its decisions once instead of once per file (5,000,000 claims: this table takes 3.9 s
more to build, the two files 6.7 s less to write; docs/benchmarks.md). Each row also says whether it goes
to the rejection log this run (``to_log``: its reason needs a person, and the log does not
hold this decision yet) and with which fix (``fix_id``, an index into :data:`EMR_FIXES`), so
that the log's lines are a plain filter of it: nothing joined, no ``IN`` list (DuckDB 2.0
rewrites one into a join, and a join does not keep the order).
"""

EMR_FIXES = "cf_emr_fixes"
"""Temporary table: the rejection log's fix sentence (``fix``) of every (reason, category,
label fix) a logged EMR decision can have, numbered by ``fix_id`` from 1."""

CLAIM_COUNTS = "cf_claim_counts"
"""Temporary table: per ``source_system``, the EMR claims with a status and the denied ones."""

LOGGED_REASONS = (
    "missing_patient_id",
    "missing_submitted_at",
    "non_retryable",
    "missing_denial_reason",
    "ambiguous",
)
"""Exclusions that need a person, and so go to the rejection log (``too_recent`` waits)."""


def decide(
    conn: duckdb.DuckDBPyConnection,
    policy: ResubmissionPolicy,
    *,
    classifier_version: str,
    reference_date: dt.date,
    fixes: dict[str, str],
) -> None:
    """Build ``cf_decisions`` for every denied EMR claim in the warehouse, and
    ``cf_claim_counts``."""
    conn.execute("CREATE OR REPLACE TEMP TABLE cf_fixes (label VARCHAR, fix VARCHAR)")
    if fixes:
        conn.execute(
            "INSERT INTO cf_fixes SELECT unnest($l), unnest($f)",
            {"l": list(fixes), "f": list(fixes.values())},
        )
    _stage_emr_fixes(conn, classifier_version)
    logged = ", ".join(f"'{r}'" for r in LOGGED_REASONS)
    execute(
        conn,
        f"""
CREATE OR REPLACE TEMP TABLE {DECISIONS} AS
WITH classified AS (
  SELECT h.claim_id, h.patient_control_number, h.member_id, h.submission_date,
         h.denial_reason, h.source_system, h.lineage_hash, h.total_charge,
         c.label, c.category, c.confidence, c.layer, c.disposition,
         c.model_version,
         CASE
           WHEN c.label IS NULL THEN NULL
           WHEN c.label = 'ambiguous' OR c.confidence < $threshold THEN 'ambiguous'
           WHEN list_contains($retryable, c.label) THEN 'retryable'
           ELSE 'non_retryable'
         END AS classification
  FROM claims_header AS h
  LEFT JOIN {REASON_MAP} AS m ON m.denial_reason = h.denial_reason
  LEFT JOIN denial_text_classifications AS c
    ON c.normalized_text = m.normalized_text AND c.classifier_version = $version
  WHERE h.claim_status = $denied
), decided AS (
  SELECT k.*,
    CASE
      WHEN k.denial_reason IS NULL THEN 'missing_denial_reason'
      WHEN k.classification = 'non_retryable' THEN 'non_retryable'
      WHEN k.submission_date IS NULL THEN 'missing_submitted_at'
      WHEN date_diff('day', k.submission_date, $reference_date) <= $min_days THEN 'too_recent'
      WHEN $require_patient AND k.member_id IS NULL THEN 'missing_patient_id'
      WHEN k.classification = 'ambiguous' THEN 'ambiguous'
    END AS exclusion_reason,
    f.fix AS recommended_change
  FROM classified AS k
  LEFT JOIN cf_fixes AS f ON f.label = k.label
)
SELECT d.* REPLACE ({_enum_columns(conn, classifier_version)}), x.fix_id,
  COALESCE(d.exclusion_reason IN ({logged}) AND NOT EXISTS (
    SELECT 1 FROM rejection_log AS l
    WHERE l.claim_id = d.claim_id AND l.reason = d.exclusion_reason
      AND l.classification IS NOT DISTINCT FROM d.classification
      AND l.label IS NOT DISTINCT FROM d.label), false) AS to_log
FROM decided AS d
LEFT JOIN {EMR_FIXES} AS x
  ON x.reason = d.exclusion_reason AND x.category IS NOT DISTINCT FROM d.category
 AND x.change IS NOT DISTINCT FROM d.recommended_change
ORDER BY d.source_system, d.patient_control_number, d.claim_id
""",
        {
            "threshold": policy.confidence_threshold,
            "retryable": list(policy.retryable_labels),
            "version": classifier_version,
            "denied": policy.denied_status,
            "reference_date": reference_date,
            "min_days": policy.min_days_since_submission,
            "require_patient": policy.require_patient,
        },
    )
    conn.execute("DROP TABLE cf_fixes")
    execute(
        conn,
        f"""
CREATE OR REPLACE TEMP TABLE {CLAIM_COUNTS} AS
SELECT source_system, count(*) AS claims, count(*) FILTER (WHERE claim_status = $denied) AS denied
FROM claims_header WHERE claim_status IS NOT NULL GROUP BY source_system
""",
        {"denied": policy.denied_status},
    )


EXCLUSION_REASONS = (
    "missing_denial_reason",
    "non_retryable",
    "missing_submitted_at",
    "too_recent",
    "missing_patient_id",
    "ambiguous",
)
"""Every ``exclusion_reason`` the decision query's CASE can give (NULL: a candidate); the
decisions' ENUM of the column is this set, so a new reason must be added here too."""


MAX_ENUM_TEXTS = 10_000
"""Up to this many distinct denial texts, the decisions hold them as an ENUM."""


def _enum_columns(conn: duckdb.DuckDBPyConnection, classifier_version: str) -> str:
    """The decisions' few-valued text columns as ENUMs of the values they can take.

    An ENUM value is one byte in the table where the text took 16 and more: at 5,000,000
    claims the decisions (3.15M rows) then fit DuckDB's memory budget instead of spilling
    (docs/benchmarks.md, ninth round). The values come from the classifications of this
    classifier version and the fixes, so no decision can fall outside its column's set; a
    column with no value at all stays text.
    """
    domains: dict[str, list[str]] = {
        "classification": ["ambiguous", "non_retryable", "retryable"],
        "exclusion_reason": list(EXCLUSION_REASONS),
    }
    for column in ("label", "category", "layer", "disposition", "model_version"):
        domains[column] = [
            str(r[0])
            for r in conn.execute(
                f"SELECT DISTINCT {column} FROM denial_text_classifications"
                f" WHERE classifier_version = ? AND {column} IS NOT NULL ORDER BY 1",
                [classifier_version],
            ).fetchall()
        ]
    domains["recommended_change"] = [
        str(r[0])
        for r in conn.execute(
            "SELECT DISTINCT fix FROM cf_fixes WHERE fix IS NOT NULL ORDER BY 1"
        ).fetchall()
    ]
    # every denial text in the warehouse, as the classification's map holds them (free text:
    # only while they are few enough for a type)
    texts = conn.execute(
        f"SELECT denial_reason FROM {REASON_MAP} WHERE denial_reason IS NOT NULL"
        f" ORDER BY 1 LIMIT {MAX_ENUM_TEXTS + 1}"
    ).fetchall()
    if len(texts) <= MAX_ENUM_TEXTS:
        domains["denial_reason"] = [str(r[0]) for r in texts]
    return ", ".join(
        f"CAST(d.{column} AS ENUM({', '.join(sql_str(v) for v in values)})) AS {column}"
        for column, values in domains.items()
        if values
    )


def _stage_emr_fixes(conn: duckdb.DuckDBPyConnection, classifier_version: str) -> None:
    """Fill :data:`EMR_FIXES` for every (reason, category, label fix) a logged decision can
    have: each logged reason with each (category, label fix) of the texts this classifier
    version classified, and with none (a claim without a classified text). A few hundred
    sentences, computed once, not once per claim."""
    pairs = conn.execute(
        "SELECT DISTINCT c.category, f.fix FROM denial_text_classifications AS c"
        " LEFT JOIN cf_fixes AS f ON f.label = c.label WHERE c.classifier_version = ?",
        [classifier_version],
    ).fetchall()
    combos: list[tuple[str | None, str | None]] = sorted({*pairs, (None, None)}, key=str)
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE {EMR_FIXES}"
        " (fix_id INTEGER, reason VARCHAR, category VARCHAR, change VARCHAR, fix VARCHAR)"
    )
    rows = [
        (reason, category, change, recommend(category or "other", reason=reason, label_fix=change))
        for reason in LOGGED_REASONS
        for category, change in combos
    ]
    insert_rows(conn, EMR_FIXES, [(i, *row) for i, row in enumerate(rows, start=1)])
