"""Load claimflow's compiled DuckDB extension: the EMR lineage hash on the CPU's SHA extensions.

``_lineage_hash.c`` is built by ``setup.py`` into a shared library beside this module when a C
compiler is at hand. DuckDB loads an extension file only with a metadata footer naming its
platform and the C API it was built for; the footer is added here, to a private copy made when
a warehouse is opened for writing (the platform is the running DuckDB's own), which is loaded
and deleted. Where the library is missing, or this DuckDB cannot load it (older than 1.2,
another platform), nothing is loaded and the run hashes with DuckDB's ``sha256`` instead:
same values (tests/warehouse/test_native.py), a little more CPU.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import duckdb

from claimflow.warehouse.sql import sql_str

log = logging.getLogger(__name__)

FUNCTION = "cf_lineage_hash"
"""``cf_lineage_hash(file_id, row, raw)`` = ``sha256(file_id || ':' || row || ':' || raw)``."""

_NAME = "claimflow_lineage"
_C_API = "v1.2.0"


def library() -> Path | None:
    """The built extension library, or None when the build had no C compiler."""
    found = sorted(Path(__file__).parent.glob("_lineage_hash*.so"))
    return found[0] if found else None


def connect_config() -> dict[str, str | bool | int | float | list[str]]:
    """What ``duckdb.connect`` needs to be able to load the library (nothing if there is none)."""
    return {"allow_unsigned_extensions": True} if library() is not None else {}


def _footer(platform: str) -> bytes:
    """DuckDB's extension metadata: a WebAssembly custom section holding eight 32-byte fields
    (stored last to first) and a 256-byte signature, left empty (unsigned)."""
    fields = [b"4", platform.encode(), _C_API.encode(), b"1", b"C_STRUCT", b"", b"", b""]
    head = b"\x00" + bytes((147, 4, 16)) + b"duckdb_signature" + bytes((128, 4))
    return head + b"".join(f.ljust(32, b"\0") for f in reversed(fields)) + b"\0" * 256


def load(conn: duckdb.DuckDBPyConnection) -> bool:
    """Load the extension into ``conn``'s database; whether :data:`FUNCTION` is now there."""
    if has_function(conn):
        return True
    built = library()
    if built is None:
        return False
    try:
        row = conn.execute("PRAGMA platform").fetchone()
        platform = str(row[0]) if row else ""
        with tempfile.TemporaryDirectory(prefix="claimflow-ext-") as private:
            target = Path(private) / f"{_NAME}.duckdb_extension"
            target.write_bytes(built.read_bytes() + _footer(platform))
            conn.execute(f"LOAD {sql_str(str(target))}")
    except (duckdb.Error, OSError) as exc:
        log.info("compiled lineage hash not loaded (%s); using DuckDB's sha256", exc)
        return False
    return has_function(conn)


def has_function(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether :data:`FUNCTION` is loaded in ``conn``'s database."""
    row = conn.execute(
        "SELECT count(*) FROM duckdb_functions() WHERE function_name = ?", [FUNCTION]
    ).fetchone()
    return bool(row and row[0])


def lineage_hash_sql(conn: duckdb.DuckDBPyConnection, file_id: str, row: str, raw: str) -> str:
    """The SQL of a record's lineage hash from the SQL of its three parts: the compiled
    function when it is loaded, else DuckDB's ``sha256`` of their concatenation."""
    if has_function(conn):
        return f"{FUNCTION}({file_id}, {row}, {raw})"
    return f"sha256({file_id} || ':' || {row} || ':' || {raw})"
