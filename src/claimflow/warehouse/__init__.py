"""The warehouse: an embedded DuckDB file, its migrations, parts and views, and storage helpers.

Storage only: it imports the schema and the X12 engine, never a stage. The loaders that turn
staged files into bronze and silver rows are a stage of their own, :mod:`claimflow.ingest`.

``open_warehouse`` and ``DEFAULT_WAREHOUSE`` are imported on first use, so that importing a
submodule that does not need DuckDB (``claimflow.warehouse.arrow``, used by the X12 workers)
does not load it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from claimflow.warehouse.connection import DEFAULT_WAREHOUSE, open_warehouse

__all__ = ["DEFAULT_WAREHOUSE", "open_warehouse"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from claimflow.warehouse import connection

        return getattr(connection, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
