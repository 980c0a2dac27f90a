"""``POST /risk/predict``, ``/risk/predict/batch`` and ``GET /metrics`` through a real uvicorn
server on loopback, over the session's generated world (:mod:`tests.cli_world`).

Every refused request is a 422 (413 for a body over the limit) whose message names the field's
path and what was expected, and never the value sent; the metrics are parsed with
prometheus_client's own parser and hold exactly the requests this module made.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import select
import socket
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from prometheus_client.parser import text_string_to_metric_families

from claimflow.api.app import ApiSettings
from claimflow.api.risk import MAX_BODY
from claimflow.risk import FEATURE_SET_VERSION, build_features, build_history
from claimflow.risk.registry import load_champion
from claimflow.warehouse.connection import open_warehouse
from claimflow.warehouse.serving import publish_snapshot
from tests.api.conftest import Served, World, serve
from tests.risk_world import build_risk_world, copy_world

SUBMITTED = "2025-03-02"


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[Served]:
    """A server of this module's own: its metrics count only this module's requests."""
    with serve(ApiSettings(warehouse=world.warehouse)) as served:
        yield served


def _claim() -> dict[str, Any]:
    return {
        "payer_id": "P03",
        "claim_type": "837P",
        "billing_npi": "1234567893",
        "rendering_npi": "1245319599",
        "place_of_service": "11",
        "frequency_code": "1",
        "submission_date": SUBMITTED,
        "statement_from": "2025-02-27",
        "diagnoses": ["E119", "I10"],
        "prior_auth_number": "PA-SECRET-4417",
        "member_id": "MEMBER-SECRET-77",
        "patient_age": 67,
        "lines": [
            {"procedure_code": "99214", "modifiers": ["25"], "units": 1, "charge": "125.00",
             "service_from": "2025-02-27"},
            {"procedure_code": "G0439", "units": 1, "charge": "80.50",
             "service_from": "2025-02-27"},
        ],
    }  # fmt: skip


def _with(path: str, value: Any) -> dict[str, Any]:
    """The valid claim with one field (dotted path, list indexes as numbers) set or removed."""
    claim = copy.deepcopy(_claim())
    *parents, last = path.split(".")
    node: Any = claim
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) else last
    if value is _REMOVE:
        del node[key]
    else:
        node[key] = value
    return claim


_REMOVE = object()

# (field path, value, what the message must say)
INVALID = [
    ("lines.0.procedure_code", "9921", "expected a CPT code"),
    ("lines.1.procedure_code", "GG439", "or a HCPCS Level II code"),
    ("diagnoses.1", "1234", "expected an ICD-10-CM code"),
    ("diagnoses.0", "E11..9", "expected an ICD-10-CM code"),
    ("billing_npi", "12345", "expected an NPI: 10 digits"),
    ("rendering_npi", "12345678901", "expected an NPI: 10 digits"),
    ("place_of_service", "1", "expected a place-of-service code: 2 digits"),
    ("frequency_code", "12", "expected a claim frequency code"),
    ("lines.0.modifiers", ["25", "59", "XU", "76", "77"], "at most 4 items"),
    ("lines.0.modifiers.0", "2", "expected a modifier"),
    ("submission_date", "2025-02-30", "expected a date YYYY-MM-DD"),
    ("statement_from", "2025-13-01", "expected a date YYYY-MM-DD"),
    ("lines.1.service_from", "2025-03-09", "expected a date of service on or before submission"),
    ("statement_from", "2025-03-05", "expected a date of service on or before submission"),
    ("submission_date", "2031-01-01", "expected a date at most 366 days from today"),
    ("patient_birth_date", "1958-04-01", "give patient_age or patient_birth_date, not both"),
    ("patient_age", 131, "less than or equal to 130"),
    ("claim_type", "837X", "'837P', '837I' or '837D'"),
    ("lines.0.charge", "12.345", "no more than 2 decimal places"),
    ("lines.0.charge", "-1", "greater than or equal to 0"),
    ("lines.0.units", 0, "greater than 0"),
    ("billing_npi", _REMOVE, "Field required"),
    ("payer_id", "   ", "expected a payer id"),
    ("member_id", "M" * 81, "at most 80 characters"),
    ("lines", [], "at least 1 item"),
    ("ssn", "123-45-6789", "Extra inputs are not permitted"),
]


@pytest.mark.parametrize(("path", "value", "expected"), INVALID)
def test_an_invalid_claim_is_a_422_naming_the_field(
    server: Served, path: str, value: Any, expected: str
) -> None:
    response = server.client.post("/risk/predict", json=_with(path, value))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert f"body field {path}: " in error and expected in error, error
    if isinstance(value, str) and len(value) > 2:
        assert value not in error  # what was expected, never what was sent


def test_a_claim_of_10000_lines_and_a_batch_of_1001_claims_are_422s(server: Served) -> None:
    line = _claim()["lines"][0]
    response = server.client.post("/risk/predict", json={**_claim(), "lines": [line] * 10_000})
    assert response.status_code == 422
    assert response.json()["error"] == (
        "body field lines: List should have at most 999 items after validation, not 10000"
    )
    response = server.client.post("/risk/predict/batch", json={"claims": [_claim()] * 1001})
    assert response.status_code == 422
    assert response.json()["error"].startswith("body field claims: List should have at most 1000")


def test_a_bad_claim_in_a_batch_is_named_by_its_index(server: Served) -> None:
    claims = [_claim(), _claim(), _with("lines.1.procedure_code", "XYZ"), _claim()]
    claims[3]["statement_to"] = "2025-02-01"
    response = server.client.post("/risk/predict/batch", json={"claims": claims})
    assert response.status_code == 422
    error = response.json()["error"]
    assert "body field claims.2.lines.1.procedure_code: expected a CPT code" in error
    # the date checks run once every field is well formed
    claims[2] = _claim()
    response = server.client.post("/risk/predict/batch", json={"claims": claims})
    assert response.json()["error"] == (
        "body field claims.3.statement_to: expected a date on or after statement_from"
    )


def test_a_body_that_is_not_json_or_not_an_object(server: Served) -> None:
    response = server.client.post(
        "/risk/predict", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422 and response.json()["error"] == "body: not valid JSON"
    response = server.client.post("/risk/predict/batch", json=[1, 2])
    assert response.status_code == 422 and "body" in response.json()["error"]


def _raw(server: Served, head: bytes, body_parts: Iterator[bytes]) -> tuple[bytes, int]:
    """Send a request by hand, reading while sending: the answer's first bytes, and how many
    body bytes had been sent when it came (the rest is never sent)."""
    host, port = server.url.removeprefix("http://").split(":")
    sent = 0
    answer = b""
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        pending = b""
        deadline = time.monotonic() + 30
        while b"\r\n\r\n" not in answer:
            assert time.monotonic() < deadline, "no answer"
            if not pending:
                pending = next(body_parts, b"")
            readable, writable, _ = select.select([sock], [sock] if pending else [], [], 1)
            if readable:
                try:
                    data = sock.recv(65536)
                except ConnectionResetError:
                    break
                if not data:
                    break
                answer += data
            elif writable:
                try:
                    n = sock.send(pending)
                except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                    continue
                sent += n
                pending = pending[n:]
    return answer, sent


def test_a_50_mb_body_is_refused_before_it_is_read(server: Served) -> None:
    # declared: 413 at once, after a few bytes of a body the client never finishes sending
    size = 50 * 1024 * 1024
    head = (
        b"POST /risk/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(size).encode() + b"\r\n\r\n"
    )
    answer, sent = _raw(server, head, iter([b'{"payer_id": "P03"'] + [b" " * 65536] * 800))
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < MAX_BODY
    # chunked (no length): refused once the bytes received pass the limit, not at the end
    head = (
        b"POST /risk/predict/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b" " * 65536
    framed = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    answer, sent = _raw(server, head, iter([framed] * 800))  # 50 MiB, never terminated
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert MAX_BODY < sent < size


def test_a_body_just_over_the_limit_is_a_413_saying_so(server: Served) -> None:
    response = server.client.post(
        "/risk/predict/batch",
        content=b" " * (MAX_BODY + 1),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"].startswith("body: larger than 5 MiB (5242880 bytes)")
    # the server goes on answering
    assert server.get("/health").status_code == 200


def test_the_request_log_names_the_route_and_no_value(
    server: Served, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="claimflow.api"):
        server.client.post("/risk/predict", json=_with("lines.0.procedure_code", "0000X"))
        server.client.post("/risk/predict", json=_claim())
    assert "POST /risk/predict 422" in caplog.text
    for value in ("PA-SECRET-4417", "MEMBER-SECRET-77", "0000X", "1234567893", "E119", "P03"):
        assert value not in caplog.text


def _families(server: Served) -> dict[str, Any]:
    response = server.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {f.name: f for f in text_string_to_metric_families(response.text)}


def _sample(families: dict[str, Any], family: str, name: str, **labels: str) -> float | None:
    for sample in families[family].samples:
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
            return float(sample.value)
    return None


def test_metrics_count_the_requests_by_route_template(server: Served, world: World) -> None:
    before = _families(server)
    health_before = (
        _sample(
            before, "claimflow_http_requests", "claimflow_http_requests_total",
            route="/health", method="GET", status="200",
        )
        or 0.0
    )  # fmt: skip
    claim_id = str(world.query("SELECT min(claim_id) FROM claims_header")[0][0])
    for _ in range(7):
        assert server.get("/health").status_code == 200
    for _ in range(3):
        assert server.client.post("/risk/predict", json=_with("billing_npi", "1")).status_code
    server.get(f"/claims/{claim_id}")
    server.get("/no/such/path/W123")
    after = _families(server)
    requests = ("claimflow_http_requests", "claimflow_http_requests_total")

    def count(route: str, method: str, status: str) -> float:
        return _sample(after, *requests, route=route, method=method, status=status) or 0.0

    assert count("/health", "GET", "200") - health_before == 7
    assert count("/risk/predict", "POST", "422") >= 3
    assert count("/claims/{claim_id}", "GET", "200") == 1
    assert count("(no route)", "GET", "404") == 1
    # the /metrics request before this one is counted too
    assert count("/metrics", "GET", "200") >= 1
    hist = "claimflow_http_request_duration_seconds"
    assert _sample(after, hist, f"{hist}_count", route="/health") == pytest.approx(
        (_sample(before, hist, f"{hist}_count", route="/health") or 0.0) + 7
    )
    assert _sample(after, hist, f"{hist}_bucket", route="/health", le="+Inf") is not None
    # no raw path, id or patient value in any label
    labels = {v for f in after.values() for s in f.samples for v in s.labels.values()}
    assert claim_id not in str(labels) and "W123" not in str(labels)
    assert not any(v.startswith("/claims/") and "{" not in v for v in labels)
    # the risk families exist; the world has no champion and no monitoring rows
    assert "claimflow_risk_predictions" in after
    assert after["claimflow_risk_champion_info"].samples == []
    assert after["claimflow_risk_monitoring_value"].samples == []


def test_metrics_of_two_apps_count_apart(world: World) -> None:
    with (
        serve(ApiSettings(warehouse=world.warehouse)) as one,
        serve(ApiSettings(warehouse=world.warehouse)) as two,
    ):
        for _ in range(3):
            one.get("/health")
        two.get("/health")
        key = dict(route="/health", method="GET", status="200")
        name = ("claimflow_http_requests", "claimflow_http_requests_total")
        assert _sample(_families(one), *name, **key) == 3
        assert _sample(_families(two), *name, **key) == 1


# --- with a champion ---------------------------------------------------------------------------


def test_no_champion_is_a_503_saying_what_to_run(server: Served) -> None:
    """The session's small world has no model: a valid claim is a 503 saying what to run."""
    response = server.client.post("/risk/predict", json=_claim())
    assert response.status_code == 503
    error = response.json()["error"]
    assert "`claimflow risk train`" in error and "`claimflow risk promote" in error
    families = _families(server)
    assert families["claimflow_risk_champion_info"].samples == []


CLAIM_TYPES = {"professional": "837P", "institutional": "837I", "dental": "837D"}


def _request_of(conn: duckdb.DuckDBPyConnection, claim_id: str) -> dict[str, Any]:
    """A warehouse claim as a request carries it (what its 837 carried)."""
    cursor = conn.execute("SELECT * FROM claims_header WHERE claim_id = ?", [claim_id])
    h = dict(zip([d[0] for d in cursor.description], cursor.fetchone() or (), strict=True))
    lines = conn.execute(
        "SELECT procedure_code, [m for m in [modifier_1, modifier_2, modifier_3, modifier_4]"
        " if m IS NOT NULL AND m <> ''], units, line_charge, service_from, place_of_service_code,"
        " rendering_npi FROM claims_line WHERE claim_id = ? ORDER BY line_number",
        [claim_id],
    ).fetchall()
    dx = conn.execute(
        "SELECT code FROM diagnoses WHERE claim_id = ? AND code IS NOT NULL ORDER BY sequence",
        [claim_id],
    ).fetchall()
    body = {
        "payer_id": h["payer_id"],
        "claim_type": CLAIM_TYPES[h["claim_type"]],
        "billing_npi": h["billing_npi"],
        "rendering_npi": h["rendering_npi"],
        "place_of_service": h["place_of_service_code"],
        "frequency_code": h["claim_frequency_code"],
        "submission_date": h["submission_date"].isoformat(),
        "statement_from": h["statement_from"] and h["statement_from"].isoformat(),
        "prior_auth_number": h["prior_auth_number"],
        "member_id": h["member_id"],
        "patient_birth_date": h["patient_dob"] and h["patient_dob"].isoformat(),
        "diagnoses": [code for (code,) in dx],
        "lines": [
            {"procedure_code": proc, "modifiers": mods, "units": units, "charge": str(charge),
             "service_from": service and service.isoformat(), "place_of_service": pos,
             "rendering_npi": rendering}
            for proc, mods, units, charge, service, pos, rendering in lines
        ],
    }  # fmt: skip
    return {k: v for k, v in body.items() if v is not None}


# run, model version ("champion" stands for the champion's), day of January 2100 (after every
# run the world made), metric, subject, value
MONITORING_ROWS = [
    ("R1", "champion", 1, "psi", "payer_id", 0.1),
    ("R2", "champion", 8, "psi", "payer_id", 0.3),
    ("R2", "champion", 8, "psi", "probability", 0.05),
    ("R2", "champion", 8, "auc", "outcomes", 0.71),
    ("R3", "another", 9, "psi", "payer_id", 0.9),
]


@dataclass(frozen=True)
class Scored:
    served: Served
    version: str
    expected: dict[str, dict[str, Any]]
    """claim_id → the champion's answer on the claim's batch features (risk_features)."""
    requests: dict[str, dict[str, Any]]
    warehouse: Path


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scored]:
    """The session's risk world (a champion trained and promoted with the real commands), copied;
    its history stored as of its latest submission days (as the API will look it up), the
    batch features and the champion's answers on them computed, the copy published and served."""
    world = build_risk_world(tmp_path_factory)
    warehouse = copy_world(world, tmp_path_factory.mktemp("risk_api"))
    conn = open_warehouse(warehouse)
    days = [
        d
        for (d,) in conn.execute(
            "SELECT submission_date FROM claims_header WHERE segment_index IS NOT NULL"
            " GROUP BY 1 ORDER BY 1 DESC LIMIT 3"
        ).fetchall()
    ]
    for day in days:
        build_history(conn, day)
    ids = [
        str(cid)
        for (cid,) in conn.execute(
            "SELECT claim_id FROM claims_header WHERE segment_index IS NOT NULL"
            " AND submission_date IN (SELECT unnest(?)) ORDER BY claim_id",
            [days],
        ).fetchall()
    ]
    build_features(conn, ids)
    cursor = conn.execute(
        "SELECT * EXCLUDE (built_at) FROM risk_features WHERE claim_id IN (SELECT unnest(?))"
        " ORDER BY claim_id",
        [ids],
    )
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    model = load_champion(conn, warehouse)
    expected = {
        row["claim_id"]: p.as_json() for row, p in zip(rows, model.predict(rows), strict=True)
    }
    requests = {cid: _request_of(conn, cid) for cid in ids}
    conn.executemany(
        "INSERT INTO risk_monitoring (run_id, model_version, computed_at, metric, subject, value)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(run, model.version if version == "champion" else version,
          dt.datetime(2100, 1, day), metric, subject, value)
         for run, version, day, metric, subject, value in MONITORING_ROWS],
    )  # fmt: skip
    assert publish_snapshot(conn, warehouse)
    conn.close()
    with serve(ApiSettings(warehouse=warehouse)) as served:
        yield Scored(served, model.version, expected, requests, warehouse)


def test_predict_answers_the_champion_on_the_batch_features(scored: Scored) -> None:
    compared = 0
    for claim_id, body in scored.requests.items():
        response = scored.served.client.post("/risk/predict", json=body)
        if response.status_code == 422:  # a code the generator wrote that no 837 may carry
            continue
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["model_version"] == scored.version
        assert answer["feature_set_version"] == FEATURE_SET_VERSION
        assert answer["history_as_of"] == f"{body['submission_date']} 00:00:00"
        expected = json.loads(json.dumps(scored.expected[claim_id], default=str))
        for key in ("probability", "risk_band", "predicted_category", "factors", "actions"):
            assert answer[key] == expected[key], (claim_id, key)
        compared += 1
    assert compared >= 20, compared
    assert len({e["risk_band"] for e in scored.expected.values()}) >= 2  # not all alike


def test_a_batch_answers_each_claim_as_one(scored: Scored) -> None:
    bodies = [
        b
        for b in scored.requests.values()
        if scored.served.client.post("/risk/predict", json=b).status_code == 200
    ][:50]
    response = scored.served.client.post("/risk/predict/batch", json={"claims": bodies})
    assert response.status_code == 200
    answer = response.json()
    assert answer["model_version"] == scored.version and len(answer["results"]) == len(bodies)
    for body, result in zip(bodies, answer["results"], strict=True):
        single = scored.served.client.post("/risk/predict", json=body).json()
        assert result == single


def test_metrics_count_predictions_by_band_and_name_the_champion(scored: Scored) -> None:
    served = scored.served
    body = next(
        b
        for b in scored.requests.values()
        if served.client.post("/risk/predict", json=b).is_success
    )
    before = _families(served)
    bands: Counter[str] = Counter()
    for _ in range(4):
        bands[served.client.post("/risk/predict", json=body).json()["risk_band"]] += 1
    batch = served.client.post("/risk/predict/batch", json={"claims": [body] * 3}).json()
    bands[batch["results"][0]["risk_band"]] += 3
    after = _families(served)
    name = ("claimflow_risk_predictions", "claimflow_risk_predictions_total")
    for band, n in bands.items():
        assert (_sample(after, *name, band=band) or 0) - (
            _sample(before, *name, band=band) or 0
        ) == n
    info = after["claimflow_risk_champion_info"].samples
    assert [(s.labels, s.value) for s in info] == [({"model_version": scored.version}, 1.0)]


def test_metrics_give_the_champions_latest_monitoring_run(scored: Scored) -> None:
    samples = _families(scored.served)["claimflow_risk_monitoring_value"].samples
    got = {(s.labels["metric"], s.labels["subject"]): s.value for s in samples}
    assert got == {
        ("psi", "payer_id"): 0.3,
        ("psi", "probability"): 0.05,
        ("auc", "outcomes"): 0.71,
    }


def _republish(warehouse: Path, sql: str) -> None:
    conn = open_warehouse(warehouse)
    try:
        conn.execute(sql)
        assert publish_snapshot(conn, warehouse)
    finally:
        conn.close()


def _until(served: Served, body: dict[str, Any], status: int) -> None:
    deadline = time.monotonic() + 60
    while served.client.post("/risk/predict", json=body).status_code != status:
        assert time.monotonic() < deadline, f"still not {status} after 60 s"
        time.sleep(0.2)


def test_a_new_snapshot_without_a_champion_is_served_then_the_champion_again(
    scored: Scored,
) -> None:
    """The champion is loaded per published snapshot: a run that publishes a warehouse whose
    champion was retired is answered with 503s, and 200s again once it is back. Last in the
    module: it changes the served warehouse (and puts it back)."""
    body = next(
        b
        for b in scored.requests.values()
        if scored.served.client.post("/risk/predict", json=b).status_code == 200
    )
    _republish(
        scored.warehouse, "UPDATE risk_models SET status = 'retired' WHERE status = 'champion'"
    )
    _until(scored.served, body, 503)
    assert _families(scored.served)["claimflow_risk_champion_info"].samples == []
    _republish(
        scored.warehouse,
        f"UPDATE risk_models SET status = 'champion' WHERE model_version = '{scored.version}'",
    )
    _until(scored.served, body, 200)
    answer = scored.served.client.post("/risk/predict", json=body).json()
    assert answer["model_version"] == scored.version
