"""Dict rows to typed Arrow tables: the columnar hand-off DuckDB and Parquet read without copies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pyarrow as pa

from claimflow.schema import Table

if TYPE_CHECKING:  # annotations only: the X12 workers import this module without DuckDB
    import duckdb

_ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "DECIMAL(18,2)": pa.decimal128(18, 2),
    "BIGINT": pa.int64(),
    "TIMESTAMP": pa.timestamp("us"),
    "BOOLEAN": pa.bool_(),
    "DOUBLE": pa.float64(),
}


def _doubles(values: list[object]) -> pa.Array:
    return pa.array([None if v is None else float(v) for v in values], type=pa.float64())  # type: ignore[arg-type]


def arrow_type(sql_type: str) -> pa.DataType:
    """The Arrow type a schema column of ``sql_type`` is handed over as."""
    return _ARROW_TYPES[sql_type]


def _arrow_column(values: list[object], kind: pa.DataType) -> pa.Array:
    if kind == pa.string():
        return pa.array([None if v is None else str(v) for v in values], type=kind)
    if kind == pa.int64():
        return pa.array([None if v is None else int(str(v)) for v in values], type=kind)
    if kind == pa.float64():
        return pa.array([None if v is None else float(str(v)) for v in values], type=kind)
    return pa.array(values, type=kind)


def rows_to_arrow(
    table: Table,
    rows: Sequence[dict[str, object]],
    columns: Sequence[str],
    extra: dict[str, object] | None = None,
) -> pa.Table:
    """The rows as an Arrow table with ``columns`` of ``table``, typed by the schema.

    Args:
        table: The schema table the rows belong to.
        rows: Dict rows; a column a row lacks is NULL.
        columns: Which columns to build, in this order.
        extra: Constant values for some columns (they win over the rows' values).
    """
    if not extra:
        # One C++ pass for the columns whose values already have the schema's types, as the
        # X12 engine's do. Its quantities (units, weights) are Decimals: float() of a Decimal
        # is the nearest double, where Arrow's decimal-to-double cast is not (-74606.4 would
        # become -74606.40000000001), so DOUBLE columns are converted here, value by value.
        target = arrow_schema(table, columns)
        doubles = {f.name for f in target if f.type == pa.float64()}
        plain = pa.schema([f for f in target if f.name not in doubles])
        try:
            typed = pa.Table.from_pylist(list(rows), schema=plain)
            arrays = [
                _doubles([row.get(f.name) for row in rows])
                if f.name in doubles
                else typed.column(f.name)
                for f in target
            ]
            return pa.Table.from_arrays(arrays, schema=target)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
            pass
    extra = extra or {}
    arrays = []
    for name in columns:
        kind = arrow_type(table.column(name).sql_type)
        if name in extra:
            values: list[object] = [extra[name]] * len(rows)
        else:
            values = [row.get(name) for row in rows]
        arrays.append(_arrow_column(values, kind))
    return pa.Table.from_arrays(arrays, names=list(columns))


def arrow_schema(table: Table, columns: Sequence[str]) -> pa.Schema:
    """The Arrow schema :func:`rows_to_arrow` gives ``columns`` of ``table``."""
    return pa.schema([(c, arrow_type(table.column(c).sql_type)) for c in columns])


def insert_dict_rows(
    conn: duckdb.DuckDBPyConnection,
    table: Table,
    target: str,
    rows: Sequence[dict[str, object]],
    extra: dict[str, object],
) -> None:
    """Insert dict rows into ``target`` (columns of ``table`` plus ``extra``), typed by the schema.

    The rows go through one Arrow table (a columnar hand-off DuckDB reads without copying).
    """
    if not rows:
        return
    present = {k for row in rows for k in row}
    columns = [c.name for c in table.columns if c.name in present or c.name in extra]
    batch = rows_to_arrow(table, rows, columns, extra)
    conn.register("cf_rows", batch)
    try:
        conn.execute(
            f"INSERT INTO {target} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM cf_rows"
        )
    finally:
        conn.unregister("cf_rows")
