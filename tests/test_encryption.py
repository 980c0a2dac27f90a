"""At rest: a real run of a small synthetic world, its warehouse encrypted with a key from the
environment. The warehouse's and the serving snapshot's bytes hold no member id of the source
(while an unencrypted run of the same world shows every one), the CLI and the API read it with
the key, and without it (or with a wrong one) the CLI says clearly what it needs. Output files
are the owner's alone.

The machine's DuckDB has no httpfs extension (OpenSSL) and cannot download one, so the tests
accept DuckDB's built-in mbedtls for writing (``CLAIMFLOW_WAREHOUSE_MBEDTLS=1``); reading
encrypted files needs neither.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from claimflow.api.app import ApiSettings
from claimflow.synth import generate_world
from claimflow.warehouse.connection import connect_file
from claimflow.warehouse.serving import serving_path
from tests.api.conftest import serve
from tests.conftest import Result, cli

KEY = "0123456789abcdef0123456789abcdef"
REFERENCE = "2025-03-20"


def _run(config: Path, warehouse: Path, out: Path) -> Result:
    return cli(
        "run", "--config", str(config), "--warehouse", str(warehouse), "--out", str(out),
        "--reference-date", REFERENCE,
    )  # fmt: skip


def _member_ids(warehouse: Path) -> list[str]:
    conn = connect_file(warehouse, read_only=True)
    try:
        rows = conn.execute(
            "SELECT DISTINCT member_id FROM claims_header WHERE member_id IS NOT NULL"
        ).fetchall()
    finally:
        conn.close()
    return sorted(str(r[0]) for r in rows)


def _readable(path: Path, ids: list[str]) -> list[str]:
    data = path.read_bytes()
    return [i for i in ids if i.encode() in data]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("encrypted_world")
    summary = generate_world(
        root / "inbox", claims=200, seed=5, start=dt.date(2025, 1, 1), months=2, workers=1
    )
    plain = root / "plain" / "claimflow.duckdb"
    done = _run(summary.config, plain, root / "plain_out")
    assert done.exit_code in (0, 3), done.stderr
    ids = _member_ids(plain)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CLAIMFLOW_WAREHOUSE_KEY", KEY)
        env.setenv("CLAIMFLOW_WAREHOUSE_MBEDTLS", "1")
        sealed = root / "sealed" / "claimflow.duckdb"
        run = _run(summary.config, sealed, root / "out")
        assert run.exit_code in (0, 3), run.stderr
        yield {"root": root, "plain": plain, "sealed": sealed, "ids": ids, "out": root / "out"}


def test_an_unencrypted_run_shows_member_ids_in_its_bytes(world: dict[str, Any]) -> None:
    """The control: the search below would find them."""
    ids = world["ids"]
    assert len(ids) >= 40
    # most are stored as they are (DuckDB compresses some string segments, and their ids)
    assert len(_readable(world["plain"], ids)) >= 0.8 * len(ids)


def test_no_member_id_in_the_encrypted_warehouse_or_its_snapshot(world: dict[str, Any]) -> None:
    sealed = world["sealed"]
    snapshot = serving_path(sealed)
    assert snapshot.exists()
    assert _member_ids(sealed) == world["ids"]  # the same world, loaded whole
    for path in (sealed, snapshot):
        assert _readable(path, world["ids"]) == [], path
        assert path.read_bytes()[8:12] == b"DUCK"


def test_cli_and_api_read_it_with_the_key(world: dict[str, Any]) -> None:
    kpi = cli("kpi", "--warehouse", str(world["sealed"]), "--json")
    assert kpi.exit_code == 0, kpi.stderr
    assert kpi.json()["claims_submitted"] == 200
    sql = cli("sql", "SELECT count(DISTINCT member_id) AS n FROM claims_header",
              "--warehouse", str(world["sealed"]), "--json")  # fmt: skip
    assert sql.exit_code == 0, sql.stderr
    assert str(len(world["ids"])) in sql.stdout
    with serve(ApiSettings(warehouse=world["sealed"])) as api:
        response = api.get("/kpi")
        assert response.status_code == 200, response.text
        assert response.json()["claims_submitted"] == 200


def test_without_the_key_or_with_a_wrong_one_the_cli_says_what_it_needs(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLAIMFLOW_WAREHOUSE_KEY")
    missing = cli("kpi", "--warehouse", str(world["sealed"]))
    assert missing.exit_code == 1
    assert "is encrypted: claimflow needs its key" in missing.stderr
    assert "CLAIMFLOW_WAREHOUSE_KEY" in missing.stderr
    assert "Traceback" not in missing.stderr + missing.stdout
    monkeypatch.setenv("CLAIMFLOW_WAREHOUSE_KEY", "not-the-key-at-all-0000")
    wrong = cli("kpi", "--warehouse", str(world["sealed"]))
    assert wrong.exit_code == 1
    assert "not the key this warehouse is encrypted with" in wrong.stderr
    monkeypatch.setenv("CLAIMFLOW_WAREHOUSE_KEY", "short")
    short = cli("kpi", "--warehouse", str(world["sealed"]))
    assert short.exit_code == 1 and "too short" in short.stderr


def test_a_plain_warehouse_is_refused_then_encrypted_in_place(
    world: dict[str, Any], tmp_path: Path
) -> None:
    plain = tmp_path / "claimflow.duckdb"
    plain.write_bytes(world["plain"].read_bytes())
    serving_path(plain).write_bytes(serving_path(world["plain"]).read_bytes())
    refused = cli("kpi", "--warehouse", str(plain))
    assert refused.exit_code == 1
    assert "is not encrypted" in refused.stderr and "warehouse-encrypt" in refused.stderr
    done = cli("warehouse-encrypt", "--warehouse", str(plain))
    assert done.exit_code == 0, done.stderr
    for path in (plain, serving_path(plain)):
        assert _readable(path, world["ids"]) == [], path
    kpi = cli("kpi", "--warehouse", str(plain), "--json")
    assert kpi.exit_code == 0, kpi.stderr
    assert kpi.json()["claims_submitted"] == 200
    again = cli("warehouse-encrypt", "--warehouse", str(plain))
    assert again.exit_code == 1 and "encrypted already" in again.stderr


def test_outputs_and_the_warehouse_are_the_owners_alone(world: dict[str, Any]) -> None:
    checked = 0
    for folder in (world["out"], world["sealed"].parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
        for path in folder.rglob("*"):
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
            checked += 1
    assert checked >= 5
    assert os.umask(0o077) == 0o077  # the CLI left the process's umask private
