"""SLA alerts with a real webhook receiver on loopback, and the Tuva export."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import duckdb
import pytest

from claimflow.x12 import parse_file, write_999
from tests.conftest import Workspace, cli
from tests.resubmit.test_x12_resubmission import _submit_837


class Receiver:
    """A webhook endpoint that fails the first `failures` requests, then accepts."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.bodies: list[dict[str, Any]] = []
        self.requests = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver.requests += 1
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.requests <= receiver.failures:
                    self.send_response(503)
                else:
                    receiver.bodies.append(json.loads(body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(failures=1)
    yield r
    r.server.shutdown()
    r.server.server_close()


def _config(ws: Workspace, url: str) -> None:
    ws.write_config(
        [{"name": "ch", "source_system": "ch", "format": "x12", "pattern": "inbox/*"}],
        sla={"ack_999_hours": 24, "ack_277ca_hours": 72, "payers": {"P1": {"ack_277ca_hours": 200}},
             "webhook_url": url, "webhook_timeout_seconds": 2, "webhook_attempts": 3},
    )  # fmt: skip


def test_missing_999_raises_an_alert_posted_with_retries_then_resolved(
    workspace: Workspace, receiver: Receiver
) -> None:
    ws = workspace
    _submit_837(ws)
    (ws.inbox / "remit.835").unlink()
    _config(ws, receiver.url)
    # submitted 2025-01-15; by the end of 2025-01-20 (144 h) the 999 (24 h) is late,
    # the 277CA is not (P1 allows 200 h)
    first = ws.run("--json", reference_date="2025-01-20").json()
    assert first["sla_alerts"]["open_999_missing"] == 1
    assert first["sla_alerts"]["open_277ca_missing"] == 0
    assert first["sla_alerts"]["notified"] == 1
    assert receiver.requests == 2  # a 503, then delivered
    (alert,) = receiver.bodies[0]["alerts"]
    assert (alert["patient_control_number"], alert["kind"]) == ("PCN1", "999_missing")
    listed = cli("alerts", "--warehouse", str(ws.warehouse), "--json").json()
    assert [a["kind"] for a in listed] == ["999_missing"]
    # the same state again: no new alert, nothing posted again
    ws.run(reference_date="2025-01-20")
    assert receiver.requests == 2
    # the 999 arrives: the alert closes
    ack = write_999(parse_file(ws.inbox / "claims.837", file_id="x"))
    ws.put("claims.999", ack)
    closed = ws.run("--json", reference_date="2025-01-20").json()
    assert closed["sla_alerts"]["resolved"] == 1 and closed["sla_alerts"]["open_999_missing"] == 0
    assert cli("alerts", "--warehouse", str(ws.warehouse), "--json").json() == []


def test_a_dead_webhook_never_fails_the_run(workspace: Workspace) -> None:
    ws = workspace
    _submit_837(ws)
    _config(ws, "http://127.0.0.1:9/nothing-listens-here")
    result = ws.run("--json", reference_date="2025-06-01")
    assert result.exit_code == 0
    assert result.json()["sla_alerts"]["notified"] == 0


def test_tuva_export(workspace: Workspace) -> None:
    ws = workspace
    _submit_837(ws)
    ws.write_config([{"name": "ch", "source_system": "ch", "format": "x12", "pattern": "inbox/*"}])
    ws.run(reference_date="2025-03-10")
    out = ws.root / "tuva"
    result = cli("export", "tuva", "--out", str(out), "--warehouse", str(ws.warehouse))
    assert result.exit_code == 0, result.stderr
    conn = duckdb.connect()
    rel = conn.sql(f"SELECT * FROM '{out / 'medical_claim.parquet'}' ORDER BY claim_line_number")
    columns = rel.columns
    assert columns[:8] == [
        "claim_id", "claim_line_number", "claim_type", "person_id", "member_id", "payer", "plan",
        "claim_start_date",
    ]  # fmt: skip
    assert {"diagnosis_code_25", "diagnosis_poa_1", "procedure_date_25", "ingest_datetime"} <= set(
        columns
    )
    rows = [dict(zip(columns, r, strict=True)) for r in rel.fetchall()]
    assert [
        (r["hcpcs_code"], float(r["charge_amount"]), float(r["paid_amount"])) for r in rows
    ] == [
        ("99214", 100.0, 0.0),
        ("20610", 50.0, 0.0),
    ]
    assert rows[0]["diagnosis_code_1"] == "M1711" and rows[0]["file_name"] == "claims.837"
    assert rows[0]["payer"] == "P1" and rows[0]["member_id"] == "M001"
