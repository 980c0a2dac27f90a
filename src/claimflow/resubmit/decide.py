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
from claimflow.warehouse.sql import execute

DECISIONS = "cf_decisions"
"""Temporary table: one row per denied EMR claim with its classification and decision.

A claim that is not denied is decided without a row (``not_denied``, nothing else checked):
at millions of claims, a third of them paid, their rows would only be counted, and the table
is the widest the run keeps in memory. :data:`CLAIM_COUNTS` counts them.
"""

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
    execute(
        conn,
        f"""
CREATE OR REPLACE TEMP TABLE {DECISIONS} AS
WITH classified AS (
  SELECT h.claim_id, h.patient_control_number, h.member_id, h.submission_date,
         h.denial_reason, h.source_system, h.lineage_hash, h.total_charge,
         c.label, c.category, c.confidence, c.layer, c.disposition,
         c.auto_resubmit AS classifier_auto_resubmit, c.model_version,
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
)
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
