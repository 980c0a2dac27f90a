"""A warehouse built by the real pipeline from a small generated world (:mod:`tests.cli_world`),
and real API servers (uvicorn on a loopback port, in a background thread) reading it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from claimflow.api.app import ApiSettings, create_app
from tests.cli_world import World, build_world


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The session's small generated world (shared with the CLI tests: built once)."""
    return build_world(tmp_path_factory)


@dataclass
class Served:
    """A running API server and a client for it."""

    url: str
    client: httpx.Client

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.client.get(path, params=params or None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(settings: ApiSettings, app: FastAPI | None = None) -> Iterator[Served]:
    """Run the API (or ``app``) with uvicorn on a free loopback port until the block ends."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app or create_app(settings),
        log_level="warning",
        log_config=None,
        access_log=False,
        ws="none",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "the server thread died"
        assert time.monotonic() < deadline, "the server did not start in 20 s"
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            yield Served(url, client)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


@pytest.fixture(scope="session")
def analyst(world: World) -> Iterator[Served]:
    """The default role: patient identifiers masked."""
    with serve(ApiSettings(warehouse=world.warehouse)) as served:
        yield served


@pytest.fixture(scope="session")
def auditor(world: World) -> Iterator[Served]:
    """A role allowed to see patient identifiers."""
    with serve(
        ApiSettings(warehouse=world.warehouse, role="auditor", phi_roles=("auditor", "billing"))
    ) as served:
        yield served
