"""``claimflow api``: serve the HTTP API with uvicorn (FastAPI is imported only when it runs)."""

from __future__ import annotations

import dataclasses
import logging
import signal
from pathlib import Path
from typing import Annotated

import typer

from claimflow.cli_common import WarehouseOpt, fail, out
from claimflow.errors import ClaimflowError
from claimflow.phi import DEFAULT_PHI_ROLES, DEFAULT_ROLE, parse_roles
from claimflow.ports import cannot_listen
from claimflow.warehouse.connection import DEFAULT_WAREHOUSE


def _fail(message: str) -> typer.Exit:
    return fail(message)


def api_command(
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to serve on.", min=1, max=65535)] = 8000,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Run configuration (YAML): /denials/classify uses its resubmission "
            "confidence_threshold (default 0.80).",
        ),
    ] = None,
    role: Annotated[
        str, typer.Option(help="Viewer role; patient ids are shown only to PHI roles.")
    ] = DEFAULT_ROLE,
    phi_roles: Annotated[
        str, typer.Option(help="Comma-separated roles allowed to see patient identifiers.")
    ] = DEFAULT_PHI_ROLES,
) -> None:
    """Serve the HTTP API (FastAPI) on the warehouse, read-only; OpenAPI docs at /docs.

    Patient identifiers are masked unless --role is one of --phi-roles (as on the dashboard).
    A port already in use ends it with exit 1. Endpoints and examples: docs/api.md.
    """
    if not warehouse.exists():
        raise _fail(f"{warehouse}: no warehouse here (run `claimflow run` first)")
    problem = cannot_listen(host, port)
    if problem is not None:
        raise _fail(problem)
    import uvicorn

    from claimflow.api.app import ApiSettings, create_app
    from claimflow.config import load_settings

    settings = ApiSettings(
        warehouse=warehouse.resolve(), role=role, phi_roles=parse_roles(phi_roles)
    )
    if config is not None:
        try:
            policy = load_settings(config).resubmission
        except ClaimflowError as exc:
            raise _fail(str(exc)) from None
        settings = dataclasses.replace(settings, threshold=policy.confidence_threshold)
    logging.getLogger("claimflow.api").setLevel(logging.INFO)
    out.print(
        f"claimflow api on http://{host}:{port} (docs at /docs; role {role}, "
        f"patient ids {'shown' if settings.show_phi else 'masked'}; Ctrl-C to stop)",
        highlight=False,
        soft_wrap=True,
    )
    # uvicorn stops gracefully on Ctrl-C or SIGTERM, then raises the signal again for the
    # handler it found: the command's (claimflow.cli.main) would end it with exit 130 after a
    # clean stop. The server's stop is the command's: exit 0.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda _signum, _frame: None)
    uvicorn.run(
        create_app(settings), host=host, port=port, access_log=False, log_level="info", ws="none"
    )
