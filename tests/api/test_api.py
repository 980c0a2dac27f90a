"""The HTTP API over a real warehouse, through real uvicorn servers on loopback.

Expected values come from plain SQL on the warehouse file (or plain Python over rows it
returns), never from the functions the API calls.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

import claimflow.warehouse
from claimflow.api.app import ApiSettings, create_app
from tests.api.conftest import Served, World, serve

MASK = "•••"
START, END = dt.date(2025, 1, 1), dt.date(2025, 3, 31)


def _cohort(world: World, payer: str | None) -> list[tuple[Any, ...]]:
    """Claims submitted in [START, END]: an EMR row whose claim also went out as an 837 is
    counted once, as the 837 (docs/kpis.md)."""
    rows = world.query(
        "SELECT claim_id, patient_control_number, segment_index, submission_date, total_charge,"
        " payer_id FROM claims_header"
    )
    sent_as_837 = {r[1] for r in rows if r[2] is not None}
    return [
        r
        for r in rows
        if r[3] is not None
        and START <= r[3] <= END
        and (payer is None or r[5] == payer)
        and (r[2] is not None or r[1] not in sent_as_837)
    ]


def _busiest_payer(world: World) -> str:
    rows = world.query(
        "SELECT payer_id FROM claims_header WHERE payer_id IS NOT NULL"
        " GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    )
    return str(rows[0][0])


# --- /health ---------------------------------------------------------------------------------


def test_health_gives_schema_version_and_row_counts(analyst: Served, world: World) -> None:
    response = analyst.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["warehouse"] == str(world.warehouse)
    assert body["schema_version"] == world.query("SELECT max(version) FROM schema_migrations")[0][0]
    shipped = Path(claimflow.warehouse.__file__).parent.glob("migrations/*.sql")
    assert (
        body["schema_expected"] == body["schema_version"] == max(int(p.name[:4]) for p in shipped)
    )
    for table in ("claims_header", "claims_line", "adjudication", "rejection_log", "sla_alerts"):
        assert body["tables"][table] == world.query(f"SELECT count(*) FROM {table}")[0][0]
    assert body["tables"]["claims_header"] > 0
    assert body["role"] == "analyst"
    assert body["phi_visible"] is False


# --- /kpi ------------------------------------------------------------------------------------


@pytest.mark.parametrize("payer", [None, "busiest"])
def test_kpi_counts_billed_and_paid_equal_plain_sql(
    analyst: Served, world: World, payer: str | None
) -> None:
    payer = _busiest_payer(world) if payer == "busiest" else None
    params = {"from": START.isoformat(), "to": END.isoformat()}
    if payer:
        params["payer"] = payer
    response = analyst.get("/kpi", **params)
    assert response.status_code == 200
    kpis = response.json()
    cohort = _cohort(world, payer)
    ids = {r[0] for r in cohort}
    paid = sum(
        (amount for claim_id, amount in world.query(
            "SELECT a.claim_id, a.paid_amount FROM adjudication AS a"
            " JOIN payments AS p ON p.payment_id = a.payment_id WHERE a.claim_id IS NOT NULL"
        ) if claim_id in ids),
        Decimal(0),
    )  # fmt: skip
    assert kpis["claims_submitted"] == len(cohort) > 0
    # money is a decimal string to the cent, as the OpenAPI text says: exact, not a float
    assert kpis["total_billed"] == f"{sum(r[4] for r in cohort):.2f}"
    assert kpis["total_paid"] == f"{paid:.2f}"
    assert set(kpis["ar_aging"]) == {"0_30", "31_60", "61_90", "91_120", "over_120"}
    assert all(isinstance(v, str) and "." in v for v in kpis["ar_aging"].values())
    assert kpis["as_of"] == END.isoformat()
    assert kpis["window"] == {"from": START.isoformat(), "to": END.isoformat()}


def test_kpi_is_the_json_of_the_cli(analyst: Served, world: World) -> None:
    payer = _busiest_payer(world)
    window = ["--from", START.isoformat(), "--to", END.isoformat(), "--payer", payer]
    cli = subprocess.run(
        [sys.executable, "-m", "claimflow", "kpi", "--warehouse", str(world.warehouse),
         *window, "--json"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    api = analyst.get("/kpi", **{"from": START.isoformat(), "to": END.isoformat(), "payer": payer})
    assert api.json() == json.loads(cli.stdout)


def test_kpi_and_reports_filter_by_provider_and_source(analyst: Served, world: World) -> None:
    rows = world.query(
        "SELECT claim_id, patient_control_number, segment_index, submission_date, total_charge,"
        " billing_npi, source_system, payer_id FROM claims_header"
    )
    sent_as_837 = {r[1] for r in rows if r[2] is not None}
    once = [r for r in rows if r[2] is not None or r[1] not in sent_as_837]
    # the busiest billing NPI, and the source system most of its claims came from
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    for r in once:
        if r[3] is not None and START <= r[3] <= END and r[5] is not None:
            pairs[(r[5], r[6])] += 1
    (provider, source), _ = max(pairs.items(), key=lambda item: (item[1], item[0]))
    cohort = [r for r in once if r[3] is not None and START <= r[3] <= END and r[5] == provider]
    assert 0 < len(cohort) < len([r for r in once if r[3] and START <= r[3] <= END])
    window = {"from": START.isoformat(), "to": END.isoformat()}
    kpis = analyst.get("/kpi", **window, provider=provider).json()
    assert kpis["claims_submitted"] == len(cohort)
    assert Decimal(kpis["total_billed"]) == sum(r[4] for r in cohort)
    both = [r for r in cohort if r[6] == source]
    kpis = analyst.get("/kpi", **window, provider=provider, source=source).json()
    assert kpis["claims_submitted"] == len(both) == pairs[(provider, source)]
    body = analyst.get(
        "/reports/daily_by_payer_provider_source", **window, provider=provider, source=source,
        limit=1000,
    ).json()  # fmt: skip
    assert {(r["provider"], r["source_system"]) for r in body["items"]} == {(provider, source)}
    assert sum(r["claims_submitted"] for r in body["items"]) == len(both)
    assert body["total"] == len({(r[3], r[7]) for r in both})  # its days × payers


# --- /reports --------------------------------------------------------------------------------


def test_reports_lists_the_named_reports(analyst: Served) -> None:
    names = analyst.get("/reports").json()["reports"]
    assert {"denials_by_category", "payer_scorecard", "run_history"} <= set(names)


def test_report_rows_equal_plain_sql(analyst: Served, world: World) -> None:
    runs = analyst.get("/reports/run_history").json()
    expected = world.query("SELECT run_id, status, rows_read FROM runs ORDER BY started_at DESC")
    assert runs["total"] == len(expected) == 1
    assert [(r["run_id"], r["status"], r["rows_read"]) for r in runs["items"]] == expected


def test_cohort_report_honours_window_and_payer(analyst: Served, world: World) -> None:
    payer = _busiest_payer(world)
    window = {"from": START.isoformat(), "to": END.isoformat(), "payer": payer}
    body = analyst.get("/reports/reconciliation_by_week", **window).json()
    rows = body["items"]
    cohort = _cohort(world, payer)
    assert {r["payer_id"] for r in rows} == {payer}
    assert sum(r["claims_837"] for r in rows) == len(cohort)
    assert sum(Decimal(r["billed"]) for r in rows) == sum(r[4] for r in cohort)
    assert body["total"] == len(rows) > 2


def test_report_pages(analyst: Served) -> None:
    whole = analyst.get("/reports/reconciliation_by_week").json()
    page = analyst.get("/reports/reconciliation_by_week", limit=2, offset=1).json()
    assert page["total"] == whole["total"]
    assert (page["limit"], page["offset"]) == (2, 1)
    assert page["items"] == whole["items"][1:3]


def test_unknown_report_is_404_with_the_names(analyst: Served) -> None:
    response = analyst.get("/reports/nope")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error.startswith("unknown report 'nope'; one of: ")
    assert "denials_by_category" in error


# --- /alerts and /worklist -------------------------------------------------------------------


def test_alerts_are_the_open_sla_alerts(analyst: Served, world: World) -> None:
    expected = world.query(
        "SELECT patient_control_number, kind, due_at FROM sla_alerts WHERE resolved_at IS NULL"
    )
    assert expected
    pages = [analyst.get("/alerts", limit=10, offset=o).json() for o in range(0, 100, 10)]
    items = [i for p in pages for i in p["items"]]
    assert all(p["total"] == len(expected) for p in pages)
    got = [(i["patient_control_number"], i["kind"], i["due_at"]) for i in items]
    assert sorted(got) == sorted((p, k, str(d)) for p, k, d in expected)
    due = [i["due_at"] for i in items]
    assert due == sorted(due)


def test_worklist_is_the_latest_unresolved_log_entry_per_claim(
    analyst: Served, world: World
) -> None:
    log = world.query(
        "SELECT claim_id, patient_control_number, amount, logged_at FROM rejection_log"
    )
    resubmitted = world.query("SELECT claim_id, created_at FROM resubmissions")
    still_open = [r for r in log if not any(c == r[0] and t > r[3] for c, t in resubmitted)]
    latest: dict[str, tuple[Any, ...]] = {}
    for row in still_open:
        if row[0] not in latest or row[3] > latest[row[0]][3]:
            latest[row[0]] = row
    # one row per claim number (PCN), with the largest amount of its versions' latest entries
    largest: dict[str, Decimal | None] = {}
    for _, pcn, a, _ in latest.values():
        amount = Decimal(a) if a is not None else None
        if pcn not in largest or (amount or -1) > (largest[pcn] or -1):
            largest[pcn] = amount
    expected = sorted(largest.items())

    body = analyst.get("/worklist", limit=1000).json()
    assert body["total"] == len(expected) > 0
    # money is a decimal string, as everywhere in the API
    got = [
        (i["patient_control_number"], None if i["amount"] is None else Decimal(i["amount"]))
        for i in body["items"]
    ]
    assert sorted(got, key=str) == sorted(expected, key=str)
    amounts = [a for _, a in got if a is not None]
    assert amounts == sorted(amounts, reverse=True)
    pages = [analyst.get("/worklist", limit=30, offset=o).json()["items"] for o in (0, 30, 60, 90)]
    assert [i for p in pages for i in p] == body["items"]


# --- /claims/{claim_id} ----------------------------------------------------------------------


def _claim_with_everything(world: World) -> str:
    """A patient control number with an 837 and an EMR version, a remittance and a resubmission."""
    rows = world.query(
        "SELECT h.patient_control_number FROM claims_header AS h"
        " JOIN adjudication AS a ON a.claim_id = h.claim_id"
        " JOIN resubmissions AS r ON r.claim_id = h.claim_id"
        " WHERE h.member_id IS NOT NULL ORDER BY 1 LIMIT 1"
    )
    return str(rows[0][0])


def test_claim_lifecycle_sections_equal_plain_sql(auditor: Served, world: World) -> None:
    pcn = _claim_with_everything(world)
    body = auditor.get(f"/claims/{pcn}").json()
    versions = world.query(
        "SELECT claim_id, member_id, patient_dob FROM claims_header"
        " WHERE patient_control_number = ? ORDER BY claim_id",
        [pcn],
    )
    ids = [v[0] for v in versions]
    assert len(ids) == 2  # the EMR row and the 837
    claims = sorted(body["claims"], key=lambda c: c["claim_id"])
    assert [c["claim_id"] for c in claims] == ids
    assert [c["member_id"] for c in claims] == [v[1] for v in versions]
    assert [c["patient_dob"] for c in claims] == [
        None if v[2] is None else str(v[2]) for v in versions
    ]

    def count(sql: str) -> int:
        return int(world.query(sql, [ids])[0][0])

    ids_in = "IN (SELECT unnest(?))"
    assert len(body["lines"]) == count(f"SELECT count(*) FROM claims_line WHERE claim_id {ids_in}")
    assert sorted(a["adjudication_id"] for a in body["adjudications"]) == sorted(
        r[0] for r in world.query(
            f"SELECT adjudication_id FROM adjudication WHERE claim_id {ids_in}", [ids])
    )  # fmt: skip
    assert len(body["adjudications"]) >= 1
    assert len(body["adjustments"]) == count(
        "SELECT count(*) FROM adjustments WHERE adjudication_id IN"
        f" (SELECT adjudication_id FROM adjudication WHERE claim_id {ids_in})"
    )
    assert len(body["acks_999"]) == count(
        f"SELECT count(*) FROM claim_match WHERE left_kind = '999' AND right_id {ids_in}"
    )
    assert len(body["acks_277ca"]) == count(
        f"SELECT count(*) FROM claim_match WHERE left_kind = '277ca' AND right_id {ids_in}"
    )
    assert (
        len(body["resubmissions"])
        == count(f"SELECT count(*) FROM resubmissions WHERE claim_id {ids_in}")
        >= 1
    )
    # the same claim by its surrogate key
    by_id = auditor.get(f"/claims/{ids[0]}").json()
    assert [c["claim_id"] for c in by_id["claims"]] == [ids[0]]


def test_claim_lifecycle_masks_patient_identifiers_for_other_roles(
    analyst: Served, world: World
) -> None:
    pcn = _claim_with_everything(world)
    member_ids = {
        r[0] for r in world.query(
            "SELECT member_id FROM claims_header WHERE patient_control_number = ?"
            " UNION SELECT patient_member_id FROM adjudication WHERE patient_control_number = ?",
            [pcn, pcn],
        ) if r[0]
    }  # fmt: skip
    assert member_ids
    response = analyst.get(f"/claims/{pcn}")
    assert response.status_code == 200
    body = response.json()
    assert all(c["member_id"] == MASK for c in body["claims"] if c["member_id"] is not None)
    assert any(c["member_id"] == MASK for c in body["claims"])
    assert all(a["patient_member_id"] in (MASK, None) for a in body["adjudications"])
    for member_id in member_ids:
        assert member_id not in response.text
    assert body["claims"][0]["patient_control_number"] == pcn  # the dashboard shows it too


def test_unknown_claim_is_404(analyst: Served) -> None:
    response = analyst.get("/claims/NO-SUCH-CLAIM")
    assert response.status_code == 404
    assert response.json() == {"error": "no claim has this claim_id or patient control number"}


# --- /lineage/{hash} -------------------------------------------------------------------------


def test_lineage_of_an_emr_row_masks_its_raw_record(
    analyst: Served, auditor: Served, world: World
) -> None:
    lineage_hash, raw, path = world.query(
        "SELECT b.lineage_hash, b.raw_record, f.path FROM bronze_emr_rows AS b"
        " JOIN source_files AS f ON f.file_id = b.source_file_id"
        " WHERE b.raw_record LIKE '%patient_id%' ORDER BY 1 LIMIT 1"
    )[0]
    patient_id = json.loads(raw)["patient_id"]
    masked = analyst.get(f"/lineage/{lineage_hash[:12]}")
    assert masked.status_code == 200
    assert masked.json()["lineage_hash"] == lineage_hash
    assert masked.json()["path"] == path
    assert masked.json()["raw_record"] == MASK
    assert patient_id not in masked.text
    shown = auditor.get(f"/lineage/{lineage_hash}").json()
    assert shown["raw_record"] == raw


def test_lineage_of_an_837_claim_reads_its_segments(auditor: Served, world: World) -> None:
    lineage_hash, pcn = world.query(
        "SELECT lineage_hash, patient_control_number FROM claims_header"
        " WHERE segment_index IS NOT NULL ORDER BY 1 LIMIT 1"
    )[0]
    body = auditor.get(f"/lineage/{lineage_hash}").json()
    assert "claims_header" in body["tables"]
    assert f"CLM*{pcn}*" in body["raw_record"]


def test_lineage_errors(analyst: Served) -> None:
    short = analyst.get("/lineage/abc")
    assert short.status_code == 422
    assert short.json()["error"].startswith("path parameter lineage_hash:")
    missing = analyst.get("/lineage/zzzzzzzzzz")
    assert missing.status_code == 404
    assert "no row in the warehouse has lineage hash" in missing.json()["error"]


# --- POST /denials/classify ------------------------------------------------------------------


def test_classify_codes(analyst: Served) -> None:
    # CARC 197: precertification/authorization absent; 277CA A7:562:85: the billing
    # provider's (85) NPI (562) rejected
    auth = analyst.client.post("/denials/classify", json={"carc": "197", "group": "CO"}).json()
    assert [(r["category"], r["layer"]) for r in auth["results"]] == [("authorization", "code_map")]
    npi = analyst.client.post("/denials/classify", json={"status": "A7:562:85"}).json()
    assert npi["results"][0]["category"] == "provider_data"


def test_classify_several_texts_keeps_their_order(analyst: Served) -> None:
    texts = ["Claim denied: no prior authorization on file", "duplicate claim", "zzz"]
    body = analyst.client.post("/denials/classify", json={"texts": texts}).json()
    assert [r["text"] for r in body["results"]] == texts
    for result in body["results"]:
        assert {"category", "label", "confidence", "layer", "disposition", "auto_resubmit"} <= set(
            result
        )
        assert 0.0 <= result["confidence"] <= 1.0


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({}, "body: give `text`, `texts`, `carc` or `status`"),
        ({"text": "a", "texts": ["b"]}, "body: give `text` or `texts`, not both"),
        ({"txt": "a"}, "body field txt: Extra inputs are not permitted"),
        ({"texts": ["a"] * 1001}, "body field texts:"),
        ({"status": "A7;562"}, "body field status:"),
    ],
)
def test_classify_rejects_bad_bodies(analyst: Served, payload: dict[str, Any], error: str) -> None:
    response = analyst.client.post("/denials/classify", json=payload)
    assert response.status_code == 422
    assert response.json()["error"].startswith(error)


def test_classify_rejects_a_body_that_is_not_json(analyst: Served) -> None:
    response = analyst.client.post(
        "/denials/classify", content=b'{"text": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json() == {"error": "body: not valid JSON"}


# --- errors, pagination bounds, docs ---------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "status", "error"),
    [
        ("/kpi", {"from": "2025-13-01"}, 422, "query parameter from: expected a date YYYY-MM-DD"),
        ("/kpi", {"from": "2025-03-01", "to": "2025-02-01"}, 422, "query parameter from: 2025-03-01 is after to (2025-02-01)"),
        ("/worklist", {"limit": "1001"}, 422, "query parameter limit: Input should be less than or equal to 1000"),
        ("/alerts", {"limit": "0"}, 422, "query parameter limit: Input should be greater than or equal to 1"),
        ("/alerts", {"offset": "-1"}, 422, "query parameter offset: Input should be greater than or equal to 0"),
        ("/reports/run_history", {"limit": "x"}, 422, "query parameter limit: Input should be a valid integer, unable to parse string as an integer"),
        ("/no/such/endpoint", {}, 404, "no such endpoint (see /docs)"),
    ],
)  # fmt: skip
def test_bad_requests_get_a_json_error(
    analyst: Served, path: str, params: dict[str, str], status: int, error: str
) -> None:
    response = analyst.get(path, **params)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": error}


@pytest.mark.parametrize("path", ["/worklist", "/alerts", "/reports/run_history"])
def test_an_offset_past_a_bigint_is_422_and_the_largest_one_an_empty_page(
    analyst: Served, path: str
) -> None:
    # 2**63 reached DuckDB's OFFSET in /worklist (500); every paginated endpoint bounds it alike
    response = analyst.get(path, offset=str(2**63))
    assert response.status_code == 422
    assert response.json() == {
        "error": "query parameter offset: Input should be less than or equal to 9223372036854775807"
    }
    page = analyst.get(path, offset=str(2**63 - 1), limit="1000")
    assert page.status_code == 200
    assert page.json()["items"] == []


def test_wrong_method_is_405_json(analyst: Served) -> None:
    response = analyst.client.post("/kpi")
    assert response.status_code == 405
    assert response.json() == {"error": "Method Not Allowed"}


def test_openapi_docs_are_served(analyst: Served) -> None:
    assert analyst.get("/docs").status_code == 200
    paths = analyst.get("/openapi.json").json()["paths"]
    assert {"/health", "/kpi", "/reports/{name}", "/claims/{claim_id}", "/denials/classify"} <= set(
        paths
    )


def test_openapi_declares_the_404s_and_money_as_decimal_text(analyst: Served) -> None:
    spec = analyst.get("/openapi.json").json()
    for path in ("/reports/{name}", "/claims/{claim_id}", "/lineage/{lineage_hash}"):
        declared = spec["paths"][path]["get"]["responses"]
        assert "404" in declared, path
        # each route does answer 404 with the declared body
        missing = analyst.get(path.split("{")[0] + "no-such-thing-0000")
        assert missing.status_code == 404 and set(missing.json()) == {"error"}
    kpi = spec["components"]["schemas"]["KpiBody"]["properties"]
    for key in ("total_billed", "total_paid", "ar_total", "final_denial_write_off_amount"):
        assert {"type": "string"} in kpi[key]["anyOf"], key
    assert "404" not in spec["paths"]["/kpi"]["get"]["responses"]


def test_kpi_without_a_window_is_as_of_the_latest_date_and_matches_its_schema(
    analyst: Served, world: World
) -> None:
    from claimflow.api.app import KpiBody

    [(first, latest)] = world.query(
        "SELECT (SELECT min(submission_date) FROM claims_header),"
        " greatest((SELECT max(submission_date) FROM claims_header),"
        " (SELECT max(payment_date) FROM payments))"
    )
    body = analyst.get("/kpi").json()
    assert body["as_of"] == latest.isoformat()
    assert body["window"] == {"from": first.isoformat(), "to": latest.isoformat()}
    explicit = analyst.get("/kpi", **{"from": first.isoformat(), "to": latest.isoformat()})
    assert explicit.json() == body
    KpiBody.model_validate(body)  # the answer is what the OpenAPI text says
    # a null figure says why
    empty = analyst.get("/kpi", payer="NO-SUCH-PAYER").json()
    assert empty["claims_submitted"] == 0 and empty["initial_denial_rate"] is None
    assert empty["not_computed"]["initial_denial_rate"] == "no claims submitted in the window"


# --- concurrency and an unusable warehouse ---------------------------------------------------


def test_concurrent_requests_each_get_their_own_cohort(analyst: Served, world: World) -> None:
    payers = [r[0] for r in world.query(
        "SELECT DISTINCT payer_id FROM claims_header WHERE payer_id IS NOT NULL ORDER BY 1")]  # fmt: skip
    expected = {p: len(_cohort(world, p)) for p in payers}
    asks = payers * 2

    def ask(payer: str) -> tuple[str, int]:
        params = {"from": START.isoformat(), "to": END.isoformat(), "payer": payer}
        return payer, analyst.client.get("/kpi", params=params).json()["claims_submitted"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(ask, asks))
    got: dict[str, set[int]] = defaultdict(set)
    for payer, n in answers:
        got[payer].add(n)
    assert {p: ns for p, ns in got.items()} == {p: {n} for p, n in expected.items()}
    assert len(set(expected.values())) > 1


def test_missing_warehouse_is_503(tmp_path: Path) -> None:
    missing = tmp_path / "none.duckdb"
    with serve(ApiSettings(warehouse=missing)) as served:
        response = served.get("/health")
    assert response.status_code == 503
    assert response.json() == {"error": f"{missing}: no warehouse here (run `claimflow run` first)"}


def test_a_duckdb_file_that_is_not_a_warehouse_is_503(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    duckdb.connect(str(path)).close()
    with serve(ApiSettings(warehouse=path)) as served:
        response = served.get("/health")
    assert response.status_code == 503
    assert response.json()["error"].startswith("the warehouse lacks what claimflow expects")


def test_a_warehouse_of_an_older_schema_is_503(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute("CREATE TABLE rejection_log (claim_id VARCHAR, logged_at TIMESTAMP)")
    conn.execute("CREATE TABLE resubmissions (claim_id VARCHAR, created_at TIMESTAMP)")
    conn.close()
    with serve(ApiSettings(warehouse=path)) as served:
        response = served.get("/worklist")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error.startswith("the warehouse lacks what claimflow expects (Binder Error:")
    assert error.endswith("or one of an older schema (`claimflow run` migrates it)")


def test_an_unexpected_failure_is_500_and_logs_the_type_only(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(ApiSettings(warehouse=world.warehouse))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("member id W000002990 in a message")

    with caplog.at_level(logging.INFO), serve(ApiSettings(), app=app) as served:
        response = served.get("/boom")
    assert response.status_code == 500
    assert response.json() == {"error": "internal error (RuntimeError)"}
    assert "GET /boom failed: RuntimeError" in caplog.text
    assert "W000002990" not in caplog.text
    assert "Traceback" not in caplog.text
