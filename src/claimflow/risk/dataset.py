"""What the model learns from: each claim's features and, once known, its outcome.

A claim's **outcome** is known when its first 835 has come (denied or not, the KPIs'
``initially_denied``), when a 277CA rejected it (the KPIs' rejection definition), or when a 999
rejected its transaction set naming this claim as the one at fault (IK3 CTX CLM01; the set's
other claims were never looked at, and their outcome comes with their next submission).
Denied means a rejection, or a first 835 that denies the claim or any of its lines (a denial
adjustment: not contractual, not patient cost share): a denied line is work for a biller as
much as a denied claim. Its **category** is that of the first 835's largest denial adjustment
(the denial reports' category: CARC, refined by the remark code where the CARC needs one), or
for a rejection the denial classifier's category of its 277CA status or 999 error codes.

The claims are the KPIs' cohort (an EMR claim that also went out as an 837 counts once, as the
837), described by their ``risk_features`` of the current feature-set version.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from claimflow.denials.classifier import DenialClassifier, DenialInput
from claimflow.marts.kpis import EARLIEST, LATEST, REJECTED_277, REJECTED_999, build_cohort
from claimflow.marts.reports import DENIAL_LINES
from claimflow.risk.features import FEATURE_NAMES, FEATURE_SET_VERSION

COHORT = "cf_risk_cohort"

NAMED_999 = f"""
  SELECT m.right_id AS claim_id, min(e.segment_error_code) AS segment_error_code,
         min(e.element_error_code) AS element_error_code
  FROM claim_match AS m
  JOIN ack_999 AS a ON m.left_kind = '999' AND a.ack_id = m.left_id
  JOIN ack_999_errors AS e ON e.ack_id = a.ack_id
  JOIN claims_header AS h ON h.claim_id = m.right_id
  WHERE a.transaction_ack_code IN {REJECTED_999}
    AND e.context = 'CLM01:' || h.patient_control_number
  GROUP BY 1"""
"""The claims a 999 rejected as the ones at fault: a rejected set's 999 names them (IK3 ...
CTX*CLM01:<claim number>), with the segment and element error codes."""

LABELS_SQL = f"""
CREATE OR REPLACE TEMP TABLE cf_risk_labels AS
WITH first_remit AS (
  SELECT claim_id, adjudication_id FROM (
    SELECT a.claim_id, a.adjudication_id,
           row_number() OVER (PARTITION BY a.claim_id ORDER BY p.payment_date, a.segment_index) AS nth
    FROM adjudication AS a JOIN payments AS p ON p.payment_id = a.payment_id
    WHERE a.claim_id IS NOT NULL) WHERE nth = 1
), first_denial AS (
  SELECT d.claim_id, arg_max(d.category, d.amount) AS category
  FROM ({DENIAL_LINES.replace("kpi_claims", COHORT)}) AS d
  JOIN first_remit AS f ON f.adjudication_id = d.adjudication_id
  GROUP BY 1
), named_999 AS ({NAMED_999}
)
SELECT k.claim_id, k.submission_date,
       n.claim_id IS NOT NULL AS rejected_999,
       coalesce(k.ik501 IN {REJECTED_999}, false) AS set_rejected_999,
       n.segment_error_code AS error_999_segment, n.element_error_code AS error_999_element,
       k.latest_status IN {REJECTED_277} AS rejected_277ca,
       k.latest_status, k.latest_status_code, k.latest_entity_code,
       k.initially_denied, d.category AS denial_category
FROM {COHORT} AS k LEFT JOIN first_denial AS d USING (claim_id)
LEFT JOIN named_999 AS n USING (claim_id)
"""

KNOWN = """(l.initially_denied IS NOT NULL OR coalesce(l.rejected_999, false)
         OR coalesce(l.rejected_277ca, false))"""
"""A claim's outcome is known: its first 835 came, a 277CA rejected it, or a 999 rejected its
transaction set naming this claim as the one at fault. The other claims of a rejected set were
never looked at by the payer: their outcome comes with their next submission."""

TRAINING_SQL = f"""
SELECT f.claim_id, f.as_of, l.submission_date,
       {", ".join(f"f.{n}" for n in FEATURE_NAMES)},
       coalesce(l.rejected_999, false) OR coalesce(l.rejected_277ca, false)
         OR coalesce(l.initially_denied, false) OR l.denial_category IS NOT NULL AS denied,
       {KNOWN} AS known,
       CASE WHEN l.denial_category IS NOT NULL OR l.initially_denied
            THEN coalesce(l.denial_category, 'other') END AS category,
       coalesce(l.rejected_999, false) AS rejected_999, coalesce(l.rejected_277ca, false)
         AND NOT coalesce(l.initially_denied, false) AS rejected_277ca,
       l.latest_status, l.latest_status_code, l.latest_entity_code,
       l.error_999_segment, l.error_999_element,
       {KNOWN} OR l.set_rejected_999 AS answered
FROM risk_features AS f JOIN cf_risk_labels AS l USING (claim_id)
WHERE f.feature_set_version = '{FEATURE_SET_VERSION}'
"""


@dataclass(frozen=True)
class Claims:
    """The cohort's claims with features: ``frame`` has the features, ``claim_id``,
    ``submission_date``, ``known``, ``denied`` and ``category`` (NULL unless denied)."""

    frame: pd.DataFrame

    @property
    def labelled(self) -> pd.DataFrame:
        """The claims whose outcome is known."""
        return self.frame[self.frame["known"]]

    @property
    def open(self) -> pd.DataFrame:
        """The claims still waiting for an outcome."""
        return self.frame[~self.frame["known"]]


def label_claims(
    conn: duckdb.DuckDBPyConnection,
    *,
    start: dt.date = EARLIEST,
    end: dt.date = LATEST,
    cohort: str | None = None,
) -> None:
    """Build ``cf_risk_labels``: the cohort's claims submitted in [start, end], outcomes known
    or not. ``cohort``: a cohort of every claim already built under that name (the history's
    outcomes, ``claimflow.risk.history.OUTCOMES``), used instead of building one."""
    if cohort is None:
        build_cohort(conn, start=start, end=end, table=COHORT)
        conn.execute(LABELS_SQL)
    else:
        conn.execute(LABELS_SQL.replace(COHORT, cohort))


def open_claim_ids(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """The claims of ``cf_risk_labels`` whose outcome is not known yet."""
    rows = conn.execute(f"SELECT claim_id FROM cf_risk_labels AS l WHERE NOT {KNOWN}").fetchall()
    return [r[0] for r in rows]


def load_claims(
    conn: duckdb.DuckDBPyConnection,
    *,
    start: dt.date = EARLIEST,
    end: dt.date = LATEST,
    outcome: bool | None = None,
) -> Claims:
    """The cohort's claims submitted in [start, end] with features and outcomes, by claim id.

    Args:
        conn: The warehouse.
        start: First submission date.
        end: Last submission date.
        outcome: True: only the claims whose outcome is known; False: only those still open.
    """
    label_claims(conn, start=start, end=end)
    return labelled_claims(conn, outcome=outcome)


def labelled_claims(conn: duckdb.DuckDBPyConnection, *, outcome: bool | None = None) -> Claims:
    """``load_claims`` over the claims ``label_claims`` last labelled."""
    where = "" if outcome is None else f" AND {'' if outcome else 'NOT '}{KNOWN}"
    frame = conn.execute(TRAINING_SQL + where + " ORDER BY f.claim_id").df()
    _categorise_rejections(frame)
    return Claims(frame)


def _categorise_rejections(frame: pd.DataFrame) -> None:
    """A rejection's category: the denial classifier's for its 277CA status, or for the 999's
    segment and element error codes. One classification per distinct status, not per claim."""
    need = (frame["rejected_999"] | frame["rejected_277ca"]) & frame["category"].isna()
    if not need.any():
        return
    classifier = DenialClassifier()
    categories: dict[tuple[object, ...], str] = {}
    values: list[str] = []
    columns = [
        "rejected_277ca",
        "latest_status",
        "latest_status_code",
        "latest_entity_code",
        "error_999_segment",
        "error_999_element",
    ]
    for row in frame.loc[need, columns].itertuples(index=False):
        key = tuple(None if pd.isna(v) else v for v in row)
        if key not in categories:
            given = (
                DenialInput(status_category=key[1], status_code=key[2], entity_code=key[3])
                if key[0]
                else DenialInput(segment_error_code=key[4], element_error_code=key[5])
            )
            categories[key] = classifier.classify(given).category
        values.append(categories[key])
    frame.loc[need, "category"] = values
