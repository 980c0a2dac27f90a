"""Resubmit 835 denials and 277CA/999 rejections: classify, find a fix, check the window, write.

For each submitted claim whose latest answer is a denial or a rejection (``sql/x12_states.sql``)
the classifier gives the category; a claim is resubmitted automatically only when all hold:
the category may be (not duplicate, timely filing, medical necessity, non-covered, bundling),
the classification is confident, a deterministic fix is found **in data the warehouse has**,
the payer's filing window is still open (with a buffer), and the attempt cap is not reached.
Everything else goes to the rejection log, i.e. a person's worklist.

Denials are resubmitted as replacements (CLM05-3 = 7 with REF*F8 = the payer's claim control
number, CLP07); rejections were never adjudicated, so they go again as new originals (1).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from claimflow.config import ResubmissionPolicy
from claimflow.denials.cache import classify_inputs, input_key
from claimflow.denials.classifier import Classification, DenialClassifier, DenialInput
from claimflow.denials.outcome import NEVER_AUTO
from claimflow.resubmit.fixes import NpiFinding, check_npis, provider_roles, recommend
from claimflow.warehouse.control_numbers import take_control_number
from claimflow.warehouse.sql import fetch_dicts, insert_rows

EM_CODES = frozenset(f"992{n:02d}" for n in range(2, 16)) | frozenset(
    f"9928{n}" for n in range(1, 6)
)
"""Office/outpatient and emergency E/M codes, which need modifier 25 beside a same-day procedure."""


@dataclass
class Plan:
    """What to do about one denied or rejected claim."""

    state: dict[str, Any]
    classification: Classification
    decision: str  # resubmit or worklist
    reason: str  # why not (or 'eligible')
    fix: str | None = None
    header_changes: dict[str, object] = field(default_factory=dict)
    line_changes: dict[str, dict[str, object]] = field(default_factory=dict)  # line id → changes
    npi_findings: list[NpiFinding] = field(default_factory=list)
    advice: str | None = None  # the recommended fix, in a biller's words, resubmitted or not

    @property
    def frequency_code(self) -> str:
        """7 (replacement) after a denial, 1 (new original) after a rejection."""
        return "7" if self.state["trigger"] == "835" else "1"


def load_states(conn: duckdb.DuckDBPyConnection) -> int:
    """Build ``cf_x12_states``, the claims to decide on: those whose latest denial or rejection
    no resubmission has answered yet (a claim resubmitted for this very denial waits for the
    payer's answer); return how many."""
    sql = (resources.files("claimflow.resubmit") / "sql" / "x12_states.sql").read_text("utf-8")
    conn.execute(sql)
    # numbered once in claim order, so that each chunk is a range (not a sort per chunk)
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE cf_x12_states AS"
        " SELECT *, row_number() OVER (ORDER BY s.claim_id, s.trigger_id) AS plan_seq"
        " FROM cf_x12_states AS s WHERE NOT EXISTS (SELECT 1 FROM resubmissions AS r"
        " WHERE r.claim_id IS NOT DISTINCT FROM s.claim_id"
        " AND r.trigger_id IS NOT DISTINCT FROM s.trigger_id)"
    )
    row = conn.execute("SELECT count(*) FROM cf_x12_states").fetchone()
    return int(row[0]) if row else 0


def _input(state: dict[str, Any]) -> DenialInput:
    return DenialInput(
        group_code=state["group_code"],
        carc=state["carc"],
        rarcs=tuple(state["rarcs"] or ()),
        status_category=state["status_category_code"],
        status_code=state["status_code"],
        entity_code=state["entity_code"],
        segment_error_code=state["segment_error_code"],
        element_error_code=state["element_error_code"],
    )


PLAN_CHUNK = 20_000
"""Claims planned at a time: what the fixes read of their headers and lines is held for one
chunk only (at 1,000,000 claims, 190,000 denied or rejected, holding them all took ≈ 0.7 GB)."""


@dataclass
class Known:
    """What the fixes need from the warehouse about some claims, read once for all of them."""

    headers: dict[str, dict[str, Any]]  # claim_id → the claim's identifiers
    lines: dict[str, list[dict[str, Any]]]  # claim_id → its lines, in order
    auths: dict[tuple[str, str], str]  # (member id, payer id) → an authorization on file

    @staticmethod
    def authorizations(conn: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
        """Every (member id, payer id) with an authorization on file, and one of them."""
        return {
            (r[0], r[1]): r[2]
            for r in conn.execute(
                "SELECT member_id, payer_id, min(prior_auth_number) FROM claims_header"
                " WHERE prior_auth_number IS NOT NULL AND member_id IS NOT NULL"
                " AND payer_id IS NOT NULL GROUP BY 1, 2"
            ).fetchall()
        }

    @classmethod
    def load(
        cls,
        conn: duckdb.DuckDBPyConnection,
        claim_ids: list[str],
        auths: dict[tuple[str, str], str],
    ) -> Known:
        """Read the headers and lines of ``claim_ids``."""
        wanted = "claim_id IN (SELECT unnest(?))"
        headers = {
            r["claim_id"]: r
            for r in fetch_dicts(
                conn,
                "SELECT claim_id, prior_auth_number, billing_tin, billing_npi, rendering_npi,"
                f" referring_npi, attending_npi, facility_npi FROM claims_header WHERE {wanted}",
                [claim_ids],
            )
        }
        lines: dict[str, list[dict[str, Any]]] = {}
        for line in fetch_dicts(
            conn,
            "SELECT claim_id, claim_line_id, line_number, procedure_code, service_from,"
            " modifier_1, modifier_2, modifier_3, modifier_4, rendering_npi FROM claims_line"
            f" WHERE {wanted} ORDER BY claim_id, line_number",
            [claim_ids],
        ):
            lines.setdefault(line["claim_id"], []).append(line)
        return cls(headers, lines, auths)


def _find_fix(plan: Plan, known: Known) -> None:
    """Look for a deterministic fix backed by data; fill plan.fix and the changes if found."""
    state, category = plan.state, plan.classification.category
    if plan.npi_findings:
        if all(f.replacement for f in plan.npi_findings):
            _replace_npis(plan, known)
        return
    corrected = state["corrected_member_id"]
    if category == "eligibility" and corrected and corrected != state["member_id"]:
        plan.header_changes["member_id"] = corrected
        plan.fix = "Replace the member id with the corrected id the payer returned (835 NM1*74)"
        return
    if category == "coding":
        lines = known.lines.get(state["claim_id"], [])
        for line in lines:
            modifiers = [line[f"modifier_{i}"] for i in range(1, 5)]
            others = [
                x
                for x in lines
                if x is not line
                and x["procedure_code"] not in EM_CODES
                and x["service_from"] == line["service_from"]
            ]
            if line["procedure_code"] in EM_CODES and "25" not in modifiers and others:
                slot = next((i for i, m in enumerate(modifiers, 1) if not m), None)
                if slot is None:
                    continue
                plan.line_changes[line["claim_line_id"]] = {f"modifier_{slot}": "25"}
                plan.fix = (
                    f"Add modifier 25 to line {line['line_number']} ({line['procedure_code']}):"
                    f" a separately identifiable E/M beside {others[0]['procedure_code']} that day"
                )
                return
    if category == "authorization":
        on_file = known.auths.get((state["member_id"], state["payer_id"]))
        header = known.headers.get(state["claim_id"], {})
        if on_file and not header.get("prior_auth_number"):
            plan.header_changes["prior_auth_number"] = on_file
            plan.fix = f"Attach prior authorization {on_file} already on file"
            return


def _replace_npis(plan: Plan, known: Known) -> None:
    """Put the one valid NPI known for the provider in place of each failing one."""
    header = known.headers.get(plan.state["claim_id"], {})
    for finding in plan.npi_findings:
        assert finding.replacement is not None
        if header.get(finding.column) == finding.npi:
            plan.header_changes[finding.column] = finding.replacement
        if finding.column == "rendering_npi":
            for line in known.lines.get(plan.state["claim_id"], []):
                if line["rendering_npi"] == finding.npi:
                    changes = plan.line_changes.setdefault(line["claim_line_id"], {})
                    changes["rendering_npi"] = finding.replacement
    plan.fix = "; ".join(f.sentence() for f in plan.npi_findings)


def _advice(plan: Plan, known: Known) -> str:
    """The recommended fix of a plan that goes to a person."""
    c, reason = plan.classification, plan.reason
    base = reason.split(" ")[0]
    if plan.fix and base not in ("timely_filing_window_closed", "max_attempts"):
        # a deterministic fix exists but something else held it back: say both
        if base == "ambiguous":
            return f"{plan.fix} (confirm the cause first: the classifier is not sure)"
        if base == "no_payer_claim_control_number":
            first = recommend(c.category, reason=reason, state=plan.state)
            return f"{first}; then: {plan.fix}"
        return plan.fix
    lines = known.lines.get(plan.state["claim_id"], []) if c.category == "authorization" else []
    findings = [] if base in ("timely_filing_window_closed", "max_attempts") else plan.npi_findings
    return recommend(
        c.category, reason=reason, state=plan.state, npi_findings=findings, lines=lines
    )


def plan_resubmissions(
    conn: duckdb.DuckDBPyConnection,
    classifier: DenialClassifier,
    policy: ResubmissionPolicy,
    reference_date: dt.date,
    *,
    run_id: str | None = None,
    chunk_size: int = PLAN_CHUNK,
) -> Iterator[list[Plan]]:
    """Decide, for every denied or rejected submitted claim, whether to resubmit and how: the
    plans of ``chunk_size`` claims at a time, in claim order, so that what is held at once
    (the claims' state, headers and lines, and their plans) stays bounded whatever the size of
    the warehouse; stage each chunk before asking for the next.

    Each distinct code combination is classified once and cached in the warehouse with the
    classifier version (:func:`claimflow.denials.cache.classify_inputs`); ``run_id`` (default:
    the run in progress in ``runs``, if any) is recorded beside each new classification.
    """
    attempts = dict(
        conn.execute("SELECT claim_id, count(*) FROM resubmissions GROUP BY 1").fetchall()
    )
    total = load_states(conn)
    if run_id is None:
        running = conn.execute(
            "SELECT max_by(run_id, started_at) FROM runs WHERE status = 'running'"
        ).fetchone()
        run_id = running[0] if running else None
    auths = Known.authorizations(conn)
    for start in range(0, total, chunk_size):
        states = fetch_dicts(
            conn,
            "SELECT * EXCLUDE (plan_seq) FROM cf_x12_states"
            " WHERE plan_seq > ? AND plan_seq <= ? ORDER BY plan_seq",
            [start, start + chunk_size],
        )
        classified, _ = classify_inputs(
            conn, classifier, [_input(s) for s in states], run_id=run_id
        )
        known = Known.load(conn, [s["claim_id"] for s in states], auths)
        yield [
            _plan(conn, state, classified, known, attempts, policy, reference_date)
            for state in states
        ]


def _plan(
    conn: duckdb.DuckDBPyConnection,
    state: dict[str, Any],
    classified: dict[str, Classification],
    known: Known,
    attempts: dict[str, int],
    policy: ResubmissionPolicy,
    reference_date: dt.date,
) -> Plan:
    """Decide about one denied or rejected claim."""
    result = classified[input_key(_input(state))]
    plan = Plan(state, result, "worklist", "eligible")
    roles = provider_roles(state, result.category)
    if roles and state["claim_id"] in known.headers:
        plan.npi_findings = check_npis(
            conn,
            known.headers[state["claim_id"]],
            known.lines.get(state["claim_id"], []),
            roles,
        )
    if result.category not in NEVER_AUTO:
        _find_fix(plan, known)
    limit = policy.timely_filing_days.get(str(state["payer_id"]), policy.default_timely_filing_days)
    dos = state["filing_date_of_service"]
    if result.category in NEVER_AUTO:
        plan.reason = f"not_resubmittable ({result.category})"
    elif result.confidence < policy.confidence_threshold:
        plan.reason = "ambiguous"
    elif attempts.get(state["claim_id"], 0) >= policy.max_attempts:
        plan.reason = "max_attempts"
    elif dos is not None and reference_date + dt.timedelta(
        days=policy.filing_buffer_days
    ) > dos + dt.timedelta(days=limit):
        plan.reason = "timely_filing_window_closed"
    elif state["trigger"] == "835" and not state["payer_claim_control_number"]:
        plan.reason = "no_payer_claim_control_number"
    elif plan.fix is None:
        plan.reason = "no_deterministic_fix"
    else:
        plan.decision = "resubmit"
    plan.advice = plan.fix if plan.decision == "resubmit" else _advice(plan, known)
    return plan


def corrected_claim_rows(
    conn: duckdb.DuckDBPyConnection, plans: list[Plan]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The canonical rows of the corrected claims: header, lines and diagnoses, fixes applied."""
    chosen = [p for p in plans if p.decision == "resubmit"]
    ids = [p.state["claim_id"] for p in chosen]
    if not ids:
        return [], [], []
    headers = {
        r["claim_id"]: r
        for r in fetch_dicts(
            conn, "SELECT * FROM claims_header WHERE list_contains(?, claim_id)", [ids]
        )
    }
    lines = fetch_dicts(conn, "SELECT * FROM claims_line WHERE list_contains(?, claim_id)", [ids])
    diagnoses = fetch_dicts(conn, "SELECT * FROM diagnoses WHERE list_contains(?, claim_id)", [ids])
    out_headers = []
    for plan in chosen:
        header = dict(headers[plan.state["claim_id"]])
        header.update(plan.header_changes)
        header["claim_frequency_code"] = plan.frequency_code
        header["original_payer_claim_control_number"] = (
            plan.state["payer_claim_control_number"] if plan.frequency_code == "7" else None
        )
        out_headers.append(header)
    changes = {k: v for p in chosen for k, v in p.line_changes.items()}
    out_lines = [{**line, **changes.get(line["claim_line_id"], {})} for line in lines]
    return out_headers, out_lines, diagnoses


def plan_record(plan: Plan) -> dict[str, Any]:
    """One plan as a JSON-ready record (candidates file, worklist)."""
    c = plan.classification
    return {
        "claim_id": plan.state["patient_control_number"],
        "claim_key": plan.state["claim_id"],
        "source_system": plan.state["source_system"],
        "trigger": plan.state["trigger"],
        "decision": plan.decision,
        "reason": plan.reason,
        "category": c.category,
        "disposition": c.disposition,
        "confidence": round(c.confidence, 4),
        "layer": c.layer,
        "why": c.explanation,
        "recommended_change": plan.fix,
        "recommended_fix": plan.advice,
        "frequency_code": plan.frequency_code if plan.decision == "resubmit" else None,
        "payer_claim_control_number": plan.state["payer_claim_control_number"],
        "amount": float(plan.state["denied_amount"] or plan.state["total_charge"] or 0),
        "lineage_hash": plan.state["lineage_hash"],
    }


X12_CANDIDATE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("claim_id", "VARCHAR"),
    ("claim_key", "VARCHAR"),
    ("source_system", "VARCHAR"),
    ("trigger", "VARCHAR"),
    ("category", "VARCHAR"),
    ("disposition", "VARCHAR"),
    ("confidence", "DOUBLE"),
    ("layer", "VARCHAR"),
    ("classification", "VARCHAR"),
    ("denial_reason", "VARCHAR"),
    ("recommended_change", "VARCHAR"),
    ("frequency_code", "VARCHAR"),
    ("payer_claim_control_number", "VARCHAR"),
    ("amount", "DOUBLE"),
    ("lineage_hash", "VARCHAR"),
)


def start_staging(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the (empty) tables the plans are staged in, chunk by chunk: ``cf_x12_candidates``
    (:func:`stage_candidates`) and ``cf_x12_log`` (:func:`stage_worklist`)."""
    cols = ", ".join(f"{n} {t}" for n, t in X12_CANDIDATE_COLUMNS)
    conn.execute(f"CREATE OR REPLACE TEMP TABLE cf_x12_candidates ({cols})")
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE cf_x12_log AS SELECT * FROM rejection_log WHERE false"
    )


def stage_candidates(conn: duckdb.DuckDBPyConnection, plans: list[Plan]) -> None:
    """Add the plans to resubmit to ``cf_x12_candidates``, for the candidates file."""
    rows = []
    for plan in plans:
        if plan.decision != "resubmit":
            continue
        r = plan_record(plan)
        rows.append(
            (r["claim_id"], r["claim_key"], r["source_system"], r["trigger"], r["category"],
             r["disposition"], r["confidence"], r["layer"], "retryable", r["why"],
             r["recommended_change"], r["frequency_code"], r["payer_claim_control_number"],
             r["amount"], r["lineage_hash"])
        )  # fmt: skip
    if rows:
        names = [f"c{i}" for i in range(len(X12_CANDIDATE_COLUMNS))]
        values = dict(zip(names, (list(c) for c in zip(*rows, strict=True)), strict=True))
        select = ", ".join(
            f"CAST(unnest(${n}) AS {t})"
            for n, (_, t) in zip(names, X12_CANDIDATE_COLUMNS, strict=True)
        )
        conn.execute(f"INSERT INTO cf_x12_candidates SELECT {select}", values)


def record_resubmissions(
    conn: duckdb.DuckDBPyConnection, plans: list[Plan], *, run_id: str, now: dt.datetime
) -> None:
    """Remember every resubmission written, so that the next run does not repeat it."""
    rows = [
        (p.state["claim_id"], 1, p.state["trigger"], p.state["trigger_id"], p.frequency_code,
         p.state["payer_claim_control_number"] if p.frequency_code == "7" else None,
         p.classification.category, p.fix, run_id, now)
        for p in plans if p.decision == "resubmit"
    ]  # fmt: skip
    if rows:
        conn.execute(
            "CREATE OR REPLACE TEMP TABLE cf_new_resubmissions AS SELECT * FROM resubmissions WHERE false"
        )
        insert_rows(conn, "cf_new_resubmissions", rows)
        conn.execute(
            "INSERT INTO resubmissions SELECT n.claim_id,"
            " (SELECT count(*) FROM resubmissions r WHERE r.claim_id = n.claim_id) + 1,"
            " n.trigger, n.trigger_id, n.frequency_code, n.original_payer_claim_control_number,"
            " n.category, n.fix, n.run_id, n.created_at FROM cf_new_resubmissions n"
        )


def stage_worklist(
    conn: duckdb.DuckDBPyConnection, plans: list[Plan], *, run_id: str, now: dt.datetime
) -> None:
    """Add to ``cf_x12_log`` every denial or rejection not resubmitted, for the rejection log."""
    rows = []
    for plan in plans:
        if plan.decision == "resubmit":
            continue
        c, st = plan.classification, plan.state
        reason = plan.reason.split(" ")[0]
        rows.append(
            (run_id, now, st["claim_id"], st["patient_control_number"], st["source_system"],
             reason, "non_retryable" if reason == "not_resubmittable" else reason, c.label,
             c.category, c.disposition, round(c.confidence, 4), c.explanation,
             st["lineage_hash"], st["denied_amount"] or st["total_charge"], plan.advice)
        )  # fmt: skip
    insert_rows(conn, "cf_x12_log", rows)


def _claim_type(header: dict[str, Any]) -> str:
    kind = header.get("claim_type")
    return kind if kind in ("institutional", "dental") else "professional"


def write_corrected_claims(
    conn: duckdb.DuckDBPyConnection,
    plans: list[Plan],
    staged: Path,
    *,
    published: Path,
    when: dt.datetime,
    policy: ResubmissionPolicy,
    run_id: str,
) -> int:
    """Write the corrected 837s (one interchange per claim type) to ``staged``.

    Call inside the transaction that commits the run: each interchange takes its control
    number from the counter of the policy's sender and receiver, and is recorded in
    ``outbound_interchanges`` (to be published at ``published``).

    Returns:
        The claims written (0: no file is written).
    """
    headers, lines, diagnoses = corrected_claim_rows(conn, plans)
    if not headers:
        return 0
    from claimflow.x12 import write_837  # the X12 engine, only when there is a claim to write

    ids = [h["claim_id"] for h in headers]
    # what an 837I or 837D carries beside lines and diagnoses: ICD procedures, teeth
    procedures = fetch_dicts(
        conn, "SELECT * FROM procedures_icd WHERE list_contains(?, claim_id)", [ids]
    )
    teeth = fetch_dicts(
        conn, "SELECT * FROM claim_line_teeth WHERE list_contains(?, claim_id)", [ids]
    )
    chunks = []
    for claim_type, kind in (
        ("professional", "837P"),
        ("institutional", "837I"),
        ("dental", "837D"),
    ):
        # an EMR claim without a claim type (or with another one) goes out as professional
        chosen = [h for h in headers if _claim_type(h) == claim_type]
        if not chosen:
            continue
        number = take_control_number(conn, policy.submitter_id, policy.receiver_id)
        of_these = {h["claim_id"] for h in chosen}
        chunks.append(
            write_837(
                chosen,
                [row for row in lines if row["claim_id"] in of_these],
                [row for row in diagnoses if row["claim_id"] in of_these],
                claim_type=claim_type,
                sender_id=policy.submitter_id,
                receiver_id=policy.receiver_id,
                submitter_phone=policy.submitter_phone,
                control_number=number,
                when=when,
                procedure_rows=[row for row in procedures if row["claim_id"] in of_these],
                tooth_rows=[row for row in teeth if row["claim_id"] in of_these],
            )
        )
        insert_rows(
            conn,
            "outbound_interchanges",
            [(policy.submitter_id, policy.receiver_id, number, kind, len(chosen), run_id,
              str(published), when)],
        )  # fmt: skip
    staged.write_bytes(b"".join(chunks))
    return len(headers)
