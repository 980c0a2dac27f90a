"""``claimflow api``: the real command in a subprocess, polled over loopback, then stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import World, free_port


@contextmanager
def _running(*args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``python -m claimflow api ARGS --port P``, until /health answers; stopped on exit."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "claimflow", "api", *args, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "no answer on /health within 60 s"
            try:
                if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield url, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
        except ValueError:  # already read to the end by the test
            pass


def test_api_command_serves_the_warehouse_and_logs_no_patient_data(
    world: World, tmp_path: Path
) -> None:
    pcn, member_id = world.query(
        "SELECT patient_control_number, member_id FROM claims_header"
        " WHERE member_id IS NOT NULL ORDER BY 1 LIMIT 1"
    )[0]
    lineage_hash = world.query("SELECT lineage_hash FROM bronze_emr_rows ORDER BY 1 LIMIT 1")[0][0]
    config = tmp_path / "claimflow.yaml"
    config.write_text("resubmission:\n  confidence_threshold: 0.9\n", encoding="utf-8")
    with _running("--warehouse", str(world.warehouse), "--config", str(config)) as (url, process):
        health = httpx.get(f"{url}/health").json()
        assert (
            health["tables"]["claims_header"]
            == world.query("SELECT count(*) FROM claims_header")[0][0]
        )
        assert health["role"] == "analyst"
        assert health["classifier_threshold"] == 0.9
        claim = httpx.get(f"{url}/claims/{pcn}")
        assert claim.status_code == 200
        assert member_id not in claim.text
        assert httpx.get(f"{url}/lineage/{lineage_hash}").status_code == 200
        assert httpx.get(f"{url}/claims/{pcn}-missing").status_code == 404
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert f"claimflow api on {url}" in stdout
    assert "GET /claims/{claim_id} 200" in stderr
    assert "GET /claims/{claim_id} 404" in stderr
    assert "GET /lineage/{lineage_hash} 200" in stderr
    for secret in (pcn, member_id, lineage_hash):
        assert secret not in stdout + stderr


def test_api_command_role_may_see_patient_identifiers(world: World) -> None:
    pcn, member_id = world.query(
        "SELECT patient_control_number, member_id FROM claims_header"
        " WHERE member_id IS NOT NULL ORDER BY 1 LIMIT 1"
    )[0]
    args = (
        "--warehouse",
        str(world.warehouse),
        "--role",
        "billing",
        "--phi-roles",
        "auditor,billing",
    )
    with _running(*args) as (url, _):
        assert httpx.get(f"{url}/health").json()["phi_visible"] is True
        claims = httpx.get(f"{url}/claims/{pcn}").json()["claims"]
    assert member_id in [c["member_id"] for c in claims]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--warehouse", "{tmp}/none.duckdb"], "{tmp}/none.duckdb: no warehouse here"),
        (["--config", "{tmp}/missing.yaml"], "{tmp}/missing.yaml: cannot read the configuration"),
    ],
)
def test_api_command_refuses_clearly(
    world: World, tmp_path: Path, args: list[str], message: str
) -> None:
    argv = [a.format(tmp=tmp_path) for a in args]
    if "--warehouse" not in argv:
        argv += ["--warehouse", str(world.warehouse)]
    done = subprocess.run(
        [sys.executable, "-m", "claimflow", "api", *argv, "--port", str(free_port())],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert message.format(tmp=tmp_path) in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr


def test_api_command_help_names_its_options() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "claimflow", "api", "--help"],
        capture_output=True, text=True, timeout=60, check=True,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    for option in ("--warehouse", "--host", "--port", "--config", "--role", "--phi-roles"):
        assert option in done.stdout
