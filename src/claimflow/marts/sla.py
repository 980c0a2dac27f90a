"""Acknowledgment SLAs: a submitted 837 claim with no 999 (or no 277CA) in time raises an alert.

Deadlines are hours after the submission date (BHT04, taken as the start of that day), per
payer where configured. Alerts live in ``sla_alerts``: raised once, closed (``resolved_at``)
when the acknowledgment arrives. New alerts are posted to an optional webhook as JSON, with
retries, on a worker thread the run waits for at most ``timeout × attempts`` seconds: a slow
or dead receiver never fails the run, and undelivered alerts are posted again next time.

The denial-risk model's monitoring raises its alerts in the same table, through the same
channels (``claimflow alerts``, ``GET /alerts``, the dashboard, the webhook): no claim, the kind
``denial_risk_model:<metric>:<subject>`` (what crossed), the model version and in words what
crossed which threshold (``raise_model_alerts``). They close when a later run measures the
figure back within its threshold, or measures another model.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import duckdb

from claimflow.config import SlaPolicy
from claimflow.warehouse.sql import execute, fetch_dicts, insert_rows

log = logging.getLogger("claimflow.sla")

SLA_KINDS = ("999_missing", "277ca_missing")
"""The acknowledgment alerts' kinds (one claim each)."""
MODEL_KIND = "denial_risk_model"
"""Prefix of the denial-risk model's alert kinds: ``denial_risk_model:<metric>:<subject>``."""
_SLA = "kind IN ('999_missing', '277ca_missing')"


def _thresholds(conn: duckdb.DuckDBPyConnection, policy: SlaPolicy) -> None:
    rows = [
        (
            payer,
            p.ack_999_hours or policy.ack_999_hours,
            p.ack_277ca_hours or policy.ack_277ca_hours,
        )
        for payer, p in policy.payers.items()
    ]
    conn.execute("CREATE OR REPLACE TEMP TABLE cf_sla (payer_id VARCHAR, h999 BIGINT, h277 BIGINT)")
    insert_rows(conn, "cf_sla", rows)


def refresh_alerts(
    conn: duckdb.DuckDBPyConnection, policy: SlaPolicy, *, as_of: dt.datetime, run_id: str
) -> dict[str, int]:
    """Raise new alerts, close answered ones. The caller owns the transaction.

    Returns:
        Counts: open alerts by kind, and how many were raised and resolved by this call.
    """
    _thresholds(conn, policy)
    params = {
        "as_of": as_of,
        "run_id": run_id,
        "h999": policy.ack_999_hours,
        "h277": policy.ack_277ca_hours,
    }
    execute(
        conn,
        """CREATE OR REPLACE TEMP TABLE cf_due AS
        WITH sent AS (
          SELECT c.claim_id, c.patient_control_number, c.payer_id, c.submission_date,
                 CAST(c.submission_date AS TIMESTAMP)
                   + to_hours(coalesce(t.h999, $h999)) AS due_999,
                 CAST(c.submission_date AS TIMESTAMP)
                   + to_hours(coalesce(t.h277, $h277)) AS due_277
          FROM claims_header AS c LEFT JOIN cf_sla AS t ON t.payer_id = c.payer_id
          WHERE c.segment_index IS NOT NULL AND c.submission_date IS NOT NULL
        ), acked AS (
          SELECT right_id AS claim_id, left_kind FROM claim_match
          WHERE left_kind IN ('999', '277ca') GROUP BY 1, 2
        )
        SELECT s.*, k.kind, CASE k.kind WHEN '999_missing' THEN s.due_999 ELSE s.due_277 END AS due_at
        FROM sent AS s
        CROSS JOIN (VALUES ('999_missing', '999'), ('277ca_missing', '277ca')) AS k(kind, ack)
        WHERE (CASE k.kind WHEN '999_missing' THEN s.due_999 ELSE s.due_277 END) < $as_of
          AND NOT EXISTS (SELECT 1 FROM acked AS a WHERE a.claim_id = s.claim_id AND a.left_kind = k.ack)""",
        params,
    )
    resolved = conn.execute(
        f"SELECT count(*) FROM sla_alerts AS a WHERE a.resolved_at IS NULL AND a.{_SLA}"
        " AND NOT EXISTS ("
        "SELECT 1 FROM cf_due AS d WHERE d.claim_id = a.claim_id AND d.kind = a.kind)"
    ).fetchone()
    execute(
        conn,
        f"UPDATE sla_alerts SET resolved_at = $as_of WHERE resolved_at IS NULL AND {_SLA}"
        " AND NOT EXISTS ("
        "SELECT 1 FROM cf_due AS d WHERE d.claim_id = sla_alerts.claim_id AND d.kind = sla_alerts.kind)",
        params,
    )
    raised = conn.execute(
        "SELECT count(*) FROM cf_due AS d WHERE NOT EXISTS (SELECT 1 FROM sla_alerts AS a"
        " WHERE a.claim_id = d.claim_id AND a.kind = d.kind AND a.resolved_at IS NULL)"
    ).fetchone()
    execute(
        conn,
        "INSERT INTO sla_alerts (claim_id, patient_control_number, payer_id, kind,"
        " submission_date, due_at, first_raised_at, resolved_at, notified_at, run_id)"
        " SELECT d.claim_id, d.patient_control_number, d.payer_id, d.kind,"
        " d.submission_date, d.due_at, $as_of, NULL, NULL, $run_id FROM cf_due AS d"
        " WHERE NOT EXISTS (SELECT 1 FROM sla_alerts AS a WHERE a.claim_id = d.claim_id"
        " AND a.kind = d.kind AND a.resolved_at IS NULL)",
        params,
    )
    counts = dict(
        conn.execute(
            "SELECT kind, count(*) FROM sla_alerts WHERE resolved_at IS NULL GROUP BY 1"
        ).fetchall()
    )
    return {
        "open_999_missing": int(counts.get("999_missing", 0)),
        "open_277ca_missing": int(counts.get("277ca_missing", 0)),
        "raised": int(raised[0]) if raised else 0,
        "resolved": int(resolved[0]) if resolved else 0,
    }


def model_alert_kind(metric: str, subject: str) -> str:
    """The alert kind of a denial-risk model figure: ``denial_risk_model:<metric>:<subject>``."""
    return f"{MODEL_KIND}:{metric}:{subject}"


def raise_model_alerts(
    conn: duckdb.DuckDBPyConnection,
    *,
    model_version: str,
    crossed: list[tuple[str, str | None, str]],
    measured: list[str],
    as_of: dt.datetime,
    run_id: str | None,
) -> dict[str, int]:
    """Raise the denial-risk model's alerts; close those measured back within their threshold.

    Args:
        conn: The warehouse (the caller owns the transaction).
        model_version: The model measured.
        crossed: (kind, payer_id or None, detail) of each figure past its threshold; an alert
            already open for the kind is kept (its detail and version updated), not raised again.
        measured: The kinds this monitoring measured (crossed or not). An open alert of
            another kind stays open unless it was about another model version.
        as_of: When (the run's as-of time).
        run_id: The run raising them.

    Returns:
        How many were raised and resolved.
    """
    kinds = [k for k, _, _ in crossed]
    open_ = {
        r[0]: r[1]
        for r in conn.execute(
            "SELECT kind, model_version FROM sla_alerts WHERE resolved_at IS NULL"
            " AND claim_id IS NULL AND starts_with(kind, ?)",
            [f"{MODEL_KIND}:"],
        ).fetchall()
    }
    closing = [
        k
        for k, version in open_.items()
        if k not in kinds and (k in measured or version != model_version)
    ]
    if closing:
        conn.execute(
            "UPDATE sla_alerts SET resolved_at = ? WHERE resolved_at IS NULL AND claim_id IS NULL"
            " AND kind IN (SELECT unnest(?::VARCHAR[]))",
            [as_of, closing],
        )
    raised = 0
    for kind, payer, detail in crossed:
        if kind in open_:
            conn.execute(
                "UPDATE sla_alerts SET detail = ?, model_version = ?, payer_id = ?"
                " WHERE resolved_at IS NULL AND claim_id IS NULL AND kind = ?",
                [detail, model_version, payer, kind],
            )
            continue
        conn.execute(
            "INSERT INTO sla_alerts (claim_id, patient_control_number, payer_id, kind,"
            " submission_date, due_at, first_raised_at, resolved_at, notified_at, run_id,"
            " model_version, detail) VALUES (NULL, NULL, ?, ?, NULL, ?, ?, NULL, NULL, ?, ?, ?)",
            [payer, kind, as_of, as_of, run_id, model_version, detail],
        )
        raised += 1
    return {"raised": raised, "resolved": len(closing)}


def open_alerts(
    conn: duckdb.DuckDBPyConnection, *, unnotified_only: bool = False
) -> list[dict[str, Any]]:
    """The open alerts, oldest deadline first."""
    return fetch_dicts(
        conn,
        "SELECT claim_id, patient_control_number, payer_id, kind, submission_date, due_at,"
        " first_raised_at, model_version, detail FROM sla_alerts WHERE resolved_at IS NULL"
        + (" AND notified_at IS NULL" if unnotified_only else "")
        + " ORDER BY due_at, patient_control_number",
    )


def post_alerts(url: str, alerts: list[dict[str, Any]], policy: SlaPolicy) -> bool:
    """POST the alerts as one JSON document, retrying; True once the receiver answers 2xx."""
    body = json.dumps({"source": "claimflow", "alerts": alerts}, default=str).encode()
    for attempt in range(1, policy.webhook_attempts + 1):
        request = urllib.request.Request(
            url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=policy.webhook_timeout_seconds) as reply:
                if 200 <= reply.status < 300:
                    return True
        except (urllib.error.URLError, OSError, ValueError) as exc:
            log.warning("alert webhook attempt %d failed: %s", attempt, type(exc).__name__)
        if attempt < policy.webhook_attempts:
            time.sleep(min(2.0, 0.25 * 2**attempt))
    return False


def notify(conn: duckdb.DuckDBPyConnection, policy: SlaPolicy, *, now: dt.datetime) -> int:
    """Post the open alerts not yet delivered; mark them delivered. Never raises, never hangs."""
    if not policy.webhook_url:
        return 0
    alerts = open_alerts(conn, unnotified_only=True)
    if not alerts:
        return 0
    outcome: list[bool] = []
    url = policy.webhook_url
    worker = threading.Thread(
        target=lambda: outcome.append(post_alerts(url, alerts, policy)), daemon=True
    )
    worker.start()
    worker.join(timeout=policy.webhook_timeout_seconds * policy.webhook_attempts + 3)
    if not (outcome and outcome[0]):
        log.warning("alert webhook: %d alert(s) not delivered; retried next run", len(alerts))
        return 0
    conn.execute(
        "UPDATE sla_alerts SET notified_at = ? WHERE resolved_at IS NULL AND notified_at IS NULL",
        [now],
    )
    return len(alerts)
