"""A port another process listens on ends ``claimflow api`` and ``claimflow dashboard`` with
exit 1 and "port N is in use; pass --port" (a real socket bound on loopback)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from claimflow.ports import cannot_listen
from tests.conftest import cli


@pytest.fixture
def taken() -> Iterator[int]:
    """A loopback port held by a listening socket for the test's length."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    duckdb.connect(str(path)).close()
    return path


@pytest.mark.parametrize("command", ["api", "dashboard"])
def test_a_port_in_use_is_one_line_and_exit_1(command: str, taken: int, warehouse: Path) -> None:
    result = cli(command, "--warehouse", str(warehouse), "--port", str(taken))
    assert result.exit_code == 1, result.stdout + result.stderr
    assert f"port {taken} is in use; pass --port" in result.stderr
    assert "Traceback" not in result.stderr
    assert "http://" not in result.stdout  # it did not announce a server it could not start


def test_a_free_port_and_a_port_left_by_a_stopped_server(taken: int) -> None:
    # a server (uvicorn, Tornado: SO_REUSEADDR) that closed a connection first and stopped
    # leaves its port in TIME_WAIT: the next server can listen on it
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        free = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", free)) as client:
            connection, _ = server.accept()
            connection.close()
            client.recv(1)
    assert cannot_listen("127.0.0.1", free) is None
    assert cannot_listen("127.0.0.1", taken) == f"port {taken} is in use; pass --port"
    # every address the host name stands for is checked, the wildcard one too
    assert cannot_listen("0.0.0.0", taken) == f"port {taken} is in use; pass --port"
    unknown = cannot_listen("no-such-host.invalid", free)
    assert unknown is not None and "not an address of this machine" in unknown
