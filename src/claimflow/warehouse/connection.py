"""Open the warehouse file and bring its schema up to date with versioned migrations.

Every open of the warehouse or of its serving snapshot goes through :func:`connect_file`. When
the managed secret ``warehouse_key`` is set (``CLAIMFLOW_WAREHOUSE_KEY``, ``..._FILE`` or
``..._COMMAND``, :mod:`claimflow.secrets`), the file is attached with DuckDB's database
encryption (``ATTACH ... (ENCRYPTION_KEY ...)``, AES-GCM) into a private in-memory database and
made the connection's default catalog; a new warehouse is created encrypted, an unencrypted
one is refused (``claimflow warehouse-encrypt`` rewrites it), and a missing or wrong key is a
clear error. Without the secret a file is opened as it always was (docs/security.md, "At rest").
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import duckdb

from claimflow.errors import WarehouseError
from claimflow.secrets import SecretError, read_secret_text, secret_variables
from claimflow.warehouse import native
from claimflow.warehouse.sql import sql_str

log = logging.getLogger(__name__)

DEFAULT_WAREHOUSE = Path("warehouse/claimflow.duckdb")
DEFAULT_MEMORY_LIMIT = "1GB"
"""DuckDB's memory budget; past it, operators spill to disk. ``$CLAIMFLOW_MEMORY_LIMIT`` overrides."""


KEY_SECRET = "warehouse_key"
"""The managed secret holding the warehouse's encryption key (:mod:`claimflow.secrets`)."""
KEY_MIN_BYTES = 16
MBEDTLS_ENV = "CLAIMFLOW_WAREHOUSE_MBEDTLS"
"""Set to ``1`` to let DuckDB write an encrypted file with its built-in mbedtls when its
httpfs extension (OpenSSL) cannot be loaded; DuckDB calls that not securely encrypted."""
_RESERVED_CATALOGS = frozenset({"memory", "temp", "system", "main"})
_KEY_VARIABLES = " or ".join(secret_variables(KEY_SECRET))
_warned: list[bool] = []


def warehouse_key() -> str | None:
    """The warehouse's encryption key, or None when the ``warehouse_key`` secret is not set.

    Raises:
        WarehouseError: The secret is set but cannot be read (a file others may read, a
            failing command, shorter than 16 bytes, ...).
    """
    if not any(os.environ.get(v) for v in secret_variables(KEY_SECRET)):
        return None
    try:
        return read_secret_text(KEY_SECRET, min_bytes=KEY_MIN_BYTES)
    except SecretError as exc:
        raise WarehouseError(str(exc)) from None


def catalog_name(path: str | os.PathLike[str]) -> str:
    """The name a warehouse file is attached under: its stem, as ``duckdb.connect`` names it."""
    stem = Path(path).stem
    return "warehouse" if stem.lower() in _RESERVED_CATALOGS else stem


def _writable_encryption(conn: duckdb.DuckDBPyConnection) -> None:
    """Let ``conn``'s DuckDB write encrypted files: with OpenSSL (httpfs) if it loads, else
    with DuckDB's built-in mbedtls only when the operator accepted it (:data:`MBEDTLS_ENV`)."""
    try:
        conn.execute("LOAD httpfs")
        return
    except duckdb.Error:
        pass
    if os.environ.get(MBEDTLS_ENV) == "1":
        if not _warned:
            _warned.append(True)
            log.warning(
                "DuckDB's httpfs extension is not installed: writing the encrypted warehouse"
                " with DuckDB's built-in mbedtls (%s=1)",
                MBEDTLS_ENV,
            )
        conn.execute("SET force_mbedtls_unsafe = true")
        return
    raise WarehouseError(
        "writing an encrypted warehouse needs DuckDB's httpfs extension (its OpenSSL): install"
        " it once with `python -c \"import duckdb; duckdb.sql('INSTALL httpfs')\"` where DuckDB's"
        f" extensions can be downloaded, or set {MBEDTLS_ENV}=1 to accept DuckDB's built-in"
        ' mbedtls, which DuckDB does not call securely encrypted (docs/security.md, "At rest")'
    )


def _key_error(path: Path, exc: duckdb.Error) -> WarehouseError | None:
    """A clear message for DuckDB's errors about encryption keys (None: another error)."""
    text = str(exc)
    if "without a key" in text:
        return WarehouseError(
            f"{path} is encrypted: claimflow needs its key, the warehouse_key secret"
            f' ({_KEY_VARIABLES}; docs/security.md, "At rest")'
        )
    if "Wrong encryption key" in text:
        return WarehouseError(
            f"{path}: the warehouse_key secret is not the key this warehouse is encrypted with"
        )
    if "is not encrypted" in text:
        return WarehouseError(
            f"{path} is not encrypted, and the warehouse_key secret is set: encrypt it once with"
            f" `claimflow warehouse-encrypt --warehouse {path}` (or unset the secret)"
        )
    return None


def connect_file(
    path: str | os.PathLike[str],
    *,
    read_only: bool = False,
    config: dict[str, str | bool | int | float | list[str]] | None = None,
    alias: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open a warehouse file (or its snapshot): the one place claimflow connects to one.

    Without the ``warehouse_key`` secret and without ``alias``: ``duckdb.connect(path)``, as
    always. Otherwise the file is attached into a private in-memory database under ``alias``
    (default: :func:`catalog_name`), with the key when there is one, and made the default
    catalog (a ``cursor()`` of the connection needs :func:`cursor_of`).

    Raises:
        WarehouseError: The key secret cannot be read, the file is encrypted and no key is
            set, the key is wrong, the file is not encrypted but a key is set, or the key
            cannot be used for writing.
        duckdb.Error: Any other failure to open, as ``duckdb.connect`` raises it.
    """
    path = Path(path)
    key = warehouse_key()
    try:
        if key is None and alias is None:
            return duckdb.connect(str(path), read_only=read_only, config=config or {})
        conn = duckdb.connect(":memory:", config=config or {})
        try:
            options = ["READ_ONLY"] if read_only else []
            if key is not None:
                if not read_only:
                    _writable_encryption(conn)
                    conn.execute("SET temp_file_encryption = true")
                options.append(f"ENCRYPTION_KEY {sql_str(key)}")
            name = alias or catalog_name(path)
            attach = f'ATTACH {sql_str(str(path))} AS "{name}"'
            conn.execute(f"{attach} ({', '.join(options)})" if options else attach)
            conn.execute(f'USE "{name}"')
        except BaseException:
            conn.close()
            raise
        return conn
    except duckdb.Error as exc:
        clear = _key_error(path, exc)
        if clear is not None:
            raise clear from None
        raise


def encrypt_warehouse(path: str | os.PathLike[str]) -> Path:
    """Rewrite an unencrypted warehouse encrypted with the ``warehouse_key`` secret.

    The plain file is checkpointed, copied (``COPY FROM DATABASE``) into a new encrypted file
    beside it, which is then renamed over it; its serving snapshot, unencrypted, is removed
    (the next write publishes an encrypted one). Returns the warehouse's path.

    Raises:
        WarehouseError: No key is set, no such file, the file is already encrypted, or DuckDB
            cannot write an encrypted file.
    """
    path = Path(path)
    key = warehouse_key()
    if key is None:
        raise WarehouseError(f"set the warehouse_key secret first ({_KEY_VARIABLES})")
    if not path.exists():
        raise WarehouseError(f"{path}: no such warehouse")
    target = path.with_name(f".{path.name}.encrypting")
    target.unlink(missing_ok=True)
    conn = duckdb.connect(":memory:", config=native.connect_config())
    try:
        _writable_encryption(conn)
        try:
            conn.execute(f"ATTACH {sql_str(str(path))} AS plain")
        except duckdb.Error as exc:
            if "without a key" in str(exc):
                raise WarehouseError(f"{path} is encrypted already") from None
            raise WarehouseError(f"{path}: cannot open the warehouse: {exc}") from None
        conn.execute("CHECKPOINT plain")
        conn.execute(f"ATTACH {sql_str(str(target))} AS sealed (ENCRYPTION_KEY {sql_str(key)})")
        conn.execute("COPY FROM DATABASE plain TO sealed")
        conn.execute("DETACH sealed")
        conn.execute("DETACH plain")
    except duckdb.Error as exc:
        target.unlink(missing_ok=True)
        raise WarehouseError(f"{path}: cannot encrypt the warehouse: {exc}") from None
    finally:
        conn.close()
    os.chmod(target, 0o600)
    os.replace(target, path)
    Path(f"{path}.wal").unlink(missing_ok=True)
    snapshot = path.with_name(f"{path.stem}.serving{path.suffix}")
    snapshot.unlink(missing_ok=True)
    return path


def table_names(conn: duckdb.DuckDBPyConnection) -> set[str]:
    """The tables and views the warehouse has (one opened read-only is not migrated: one
    written by an older claimflow lacks the tables added since)."""
    present = {str(r[0]) for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    present |= {str(r[0]) for r in conn.execute("SELECT view_name FROM duckdb_views()").fetchall()}
    return present


def current_catalog(conn: duckdb.DuckDBPyConnection) -> str:
    """The catalog ``conn`` uses by default (the warehouse's; attached when encrypted)."""
    row = conn.execute("SELECT current_database()").fetchone()
    return str(row[0]) if row else "memory"


def cursor_of(conn: duckdb.DuckDBPyConnection, catalog: str) -> duckdb.DuckDBPyConnection:
    """A connection of its own (one thread) to the database ``conn`` uses, in ``catalog`` (a
    cursor of an attached file would otherwise start in ``memory``). ``catalog`` is read once
    by the caller (:func:`current_catalog`) before its threads start: a query on ``conn`` from
    a thread while another runs on it is refused ("connection is busy")."""
    child = conn.cursor()
    child.execute(f'USE "{catalog}"')
    return child


def migration_files() -> list[tuple[int, str, str]]:
    """The shipped migrations as (version, name, sql), in version order."""
    folder = resources.files("claimflow.warehouse") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def migrate(conn: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply every migration the warehouse has not had yet.

    Returns:
        The versions applied by this call.
    """
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER, name VARCHAR, applied_at TIMESTAMP DEFAULT current_timestamp)"
    )
    done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, sql in migration_files():
        if version in done:
            continue
        conn.execute("BEGIN TRANSACTION")
        try:
            conn.execute(sql)
            conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name]
            )
            conn.execute("COMMIT")
        except duckdb.Error as exc:
            conn.execute("ROLLBACK")
            raise WarehouseError(f"migration {name} failed: {exc}") from None
        applied.append(version)
    return applied


def schema_lag(conn: duckdb.DuckDBPyConnection) -> tuple[int, int] | None:
    """(the warehouse's schema version, this claimflow's) when the warehouse lacks a shipped
    migration, else None. Its version is the last migration before the first one it lacks."""
    shipped = [version for version, _, _ in migration_files()]
    try:
        done = {int(r[0]) for r in conn.execute("SELECT version FROM schema_migrations").fetchall()}
    except duckdb.Error:
        done = set()
    missing = [v for v in shipped if v not in done]
    if not missing:
        return None
    return (max((v for v in shipped if v < missing[0]), default=0), shipped[-1])


def open_warehouse(
    path: str | os.PathLike[str], *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the warehouse file and migrate it.

    Args:
        path: The DuckDB file.
        read_only: Open for reading only (no migration); the file must exist.

    Raises:
        WarehouseError: The file cannot be opened, or is not a claimflow warehouse.
    """
    path = Path(path)
    try:
        if read_only:
            if not path.exists():
                raise WarehouseError(f"{path}: no warehouse here (run `claimflow run` first)")
            return connect_file(path, read_only=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = connect_file(path, config=native.connect_config())
        except duckdb.ConnectionException:
            # this process already holds the file open with DuckDB's defaults: share that
            # instance (the compiled hash cannot be loaded into it; DuckDB's sha256 is used)
            conn = connect_file(path)
    except duckdb.Error as exc:
        raise WarehouseError(f"{path}: cannot open the warehouse: {exc}") from None
    conn.execute(f"SET threads = {max(1, os.cpu_count() or 1)}")
    limit = os.environ.get("CLAIMFLOW_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)
    try:
        conn.execute(f"SET memory_limit = '{limit.replace(chr(39), '')}'")
    except duckdb.Error as exc:
        conn.close()
        raise WarehouseError(f"CLAIMFLOW_MEMORY_LIMIT={limit!r}: {exc}") from None
    conn.execute(f"SET temp_directory = '{str(path) + '.tmp'}'")
    migrate(conn)
    native.load(conn)
    return conn


_UNITS = {
    "bytes": 1,
    "KiB": 1 << 10,
    "MiB": 1 << 20,
    "GiB": 1 << 30,
    "TiB": 1 << 40,
    "PiB": 1 << 50,
}


def memory_budget_bytes(conn: duckdb.DuckDBPyConnection) -> int | None:
    """DuckDB's memory limit in bytes (it reports e.g. ``953.6 MiB``); None if unreadable."""
    row = conn.execute("SELECT current_setting('memory_limit')").fetchone()
    number, _, unit = str(row[0] if row else "").partition(" ")
    try:
        return int(float(number) * _UNITS[unit])
    except (KeyError, ValueError):
        return None


LOAD_BYTES_PER_FILE_BYTE = 3
"""A file being loaded holds about three times its size in DuckDB's memory (the staged text,
then the typed copy with each record's raw form and hashes)."""


def loads_fit(conn: duckdb.DuckDBPyConnection, size_bytes: int) -> bool:
    """Whether files of ``size_bytes`` in all, loaded at the same time, fit DuckDB's budget."""
    budget = memory_budget_bytes(conn)
    return budget is not None and size_bytes * LOAD_BYTES_PER_FILE_BYTE <= budget


@contextlib.contextmanager
def unordered(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Let DuckDB write in parallel, not in insertion order, inside the block.

    For statements whose order is set by their ORDER BY or does not matter (the run's output
    files, appends to the rejection log). Not for loads: a staged file's row numbers come
    from the order its rows were inserted in.
    """
    conn.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        conn.execute("SET preserve_insertion_order = true")
