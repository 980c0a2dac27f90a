"""The model registry: every trained model is a version; one version is the champion.

A version is two things that must agree: its file in the warehouse's models folder
(``<warehouse stem>.models/<version>.json``: everything ``RiskModel.to_json`` holds) and its row
in ``risk_models`` (feature-set version, training window, fingerprint of the training data, test
metrics, calibration curve, the file's SHA-256, status). Loading checks the file against the
row: a file that is missing or differs is refused (``ModelFileError``), never used.

The file is written atomically before its row is committed, so a crash leaves at worst a file
no row names (written again, byte for byte, by the same training); a row never names a file
that was not complete. Training is deterministic, so training the same data with the same seed
gives the same version, which is registered once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from claimflow.atomic import atomic_path
from claimflow.errors import ClaimflowError
from claimflow.risk.champion import NO_CHAMPION
from claimflow.risk.model import RiskModel

CHAMPION = "champion"
CANDIDATE = "candidate"
RETIRED = "retired"


class RegistryError(ClaimflowError):
    """A registry operation cannot be done (unknown version, refused promotion, ...)."""


class NoChampionError(RegistryError):
    """No model has been promoted yet."""


class ModelFileError(RegistryError):
    """A model's file is missing, differs from what was registered, or cannot be read."""


def models_dir(warehouse: Path) -> Path:
    """The folder holding the warehouse's model files (beside the warehouse file)."""
    return warehouse.parent / f"{warehouse.stem}.models"


@dataclass(frozen=True)
class Entry:
    """One row of ``risk_models``."""

    version: str
    status: str
    feature_set_version: str
    trained_at: dt.datetime
    windows: dict[str, list[str]]
    claims: dict[str, int]
    fingerprint: str
    seed: int
    model_file: str
    model_sha256: str
    metrics: dict[str, Any]
    calibration_curve: list[dict[str, Any]]
    promoted_at: dt.datetime | None
    promoted_by: str | None

    def as_json(self) -> dict[str, Any]:
        """The entry as JSON-ready values (``claimflow risk list --json``)."""
        return {
            "model_version": self.version,
            "status": self.status,
            "feature_set_version": self.feature_set_version,
            "trained_at": self.trained_at.isoformat(timespec="seconds"),
            "windows": self.windows,
            "claims": self.claims,
            "data_fingerprint": self.fingerprint,
            "seed": self.seed,
            "model_file": self.model_file,
            "model_sha256": self.model_sha256,
            "metrics": self.metrics,
            "calibration_curve": self.calibration_curve,
            "promoted_at": None
            if self.promoted_at is None
            else self.promoted_at.isoformat(timespec="seconds"),
            "promoted_by": self.promoted_by,
        }


_COLUMNS = (
    "model_version, status, feature_set_version, trained_at, train_from, train_to,"
    " calibration_from, calibration_to, test_from, test_to, train_claims, calibration_claims,"
    " test_claims, data_fingerprint, seed, model_file, model_sha256, metrics, calibration_curve,"
    " promoted_at, promoted_by"
)


def _entry(row: tuple[Any, ...]) -> Entry:
    (version, status, fsv, trained_at, tr0, tr1, ca0, ca1, te0, te1, n_tr, n_ca, n_te, fp, seed,
     file_, sha, metrics, curve, promoted_at, promoted_by) = row  # fmt: skip
    return Entry(
        version=version,
        status=status,
        feature_set_version=fsv,
        trained_at=trained_at,
        windows={
            "train": [str(tr0), str(tr1)],
            "calibration": [str(ca0), str(ca1)],
            "test": [str(te0), str(te1)],
        },
        claims={"train": n_tr, "calibration": n_ca, "test": n_te},
        fingerprint=fp,
        seed=seed,
        model_file=file_,
        model_sha256=sha,
        metrics=json.loads(metrics or "{}"),
        calibration_curve=json.loads(curve or "[]"),
        promoted_at=promoted_at,
        promoted_by=promoted_by,
    )


def entries(conn: duckdb.DuckDBPyConnection) -> list[Entry]:
    """Every registered version, newest first."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM risk_models ORDER BY trained_at DESC, model_version DESC"
    ).fetchall()
    return [_entry(r) for r in rows]


def entry(conn: duckdb.DuckDBPyConnection, version: str) -> Entry:
    """One registered version.

    Raises:
        RegistryError: No such version (the message lists the known ones).
    """
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM risk_models WHERE model_version = ?", [version]
    ).fetchone()
    if row is None:
        known = [e.version for e in entries(conn)]
        listed = ", ".join(known[:5]) if known else "none yet (`claimflow risk train`)"
        raise RegistryError(f"no model version {version!r}; registered: {listed}")
    return _entry(row)


def champion(conn: duckdb.DuckDBPyConnection) -> Entry | None:
    """The champion's entry, or None before any promotion."""
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM risk_models WHERE status = ? ORDER BY promoted_at DESC LIMIT 1",
        [CHAMPION],
    ).fetchone()
    return None if row is None else _entry(row)


def register(
    conn: duckdb.DuckDBPyConnection, warehouse: Path, model: RiskModel, *, now: dt.datetime
) -> tuple[Entry, bool]:
    """Write the model's file and its ``risk_models`` row (status candidate).

    The caller owns the transaction. Returns the entry and whether it is new (the same data and
    seed give the same version, registered once).
    """
    found = conn.execute(
        "SELECT count(*) FROM risk_models WHERE model_version = ?", [model.version]
    ).fetchone()
    if found and found[0]:
        return entry(conn, model.version), False
    text = json.dumps(model.to_json(), sort_keys=True, separators=(",", ":"))
    data = text.encode("utf-8")
    name = f"{model.version}.json"
    with atomic_path(models_dir(warehouse) / name) as tmp:
        tmp.write_bytes(data)
    info = model.info
    windows, claims = info["windows"], info["claims"]
    conn.execute(
        f"INSERT INTO risk_models ({_COLUMNS}) VALUES"
        " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
        [
            model.version,
            CANDIDATE,
            model.feature_set_version,
            now,
            *windows["train"],
            *windows["calibration"],
            *windows["test"],
            claims["train"],
            claims["calibration"],
            claims["test"],
            info["fingerprint"],
            info["seed"],
            name,
            hashlib.sha256(data).hexdigest(),
            json.dumps(info["metrics"]),
            json.dumps(info["calibration_curve"]),
        ],
    )
    return entry(conn, model.version), True


def load(conn: duckdb.DuckDBPyConnection, warehouse: Path, version: str) -> RiskModel:
    """The model of a registered version, its file checked against its row.

    Raises:
        RegistryError: No such version.
        ModelFileError: The file is missing, differs from the registered SHA-256, or is not
            a model this claimflow can read.
    """
    e = entry(conn, version)
    path = models_dir(warehouse) / e.model_file
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelFileError(
            f"model {version}: its file {path} cannot be read ({exc.strerror or exc})"
        ) from None
    if hashlib.sha256(data).hexdigest() != e.model_sha256:
        raise ModelFileError(
            f"model {version}: its file {path} differs from the one registered (SHA-256):"
            " corrupt or replaced; train again or promote another version"
        )
    try:
        return RiskModel.from_json(json.loads(data))
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"model {version}: {path} cannot be read: {exc}") from None


def load_champion(conn: duckdb.DuckDBPyConnection, warehouse: Path) -> RiskModel:
    """The champion's model.

    Raises:
        NoChampionError: No version has been promoted.
        ModelFileError: The champion's file is missing or corrupt.
    """
    e = champion(conn)
    if e is None:
        raise NoChampionError(NO_CHAMPION)
    return load(conn, warehouse, e.version)


def set_champion(
    conn: duckdb.DuckDBPyConnection, version: str, *, now: dt.datetime, by: str
) -> None:
    """Make ``version`` the champion (the previous one retires). The caller owns the transaction."""
    conn.execute("UPDATE risk_models SET status = ? WHERE status = ?", [RETIRED, CHAMPION])
    conn.execute(
        "UPDATE risk_models SET status = ?, promoted_at = ?, promoted_by = ? WHERE model_version = ?",
        [CHAMPION, now, by, version],
    )
