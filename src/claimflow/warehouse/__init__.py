"""The warehouse: an embedded DuckDB file, its migrations, loads and run records."""

from __future__ import annotations

from claimflow.warehouse.connection import DEFAULT_WAREHOUSE, open_warehouse

__all__ = ["DEFAULT_WAREHOUSE", "open_warehouse"]
