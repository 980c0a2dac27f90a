"""Reference code sets: the shipped files, loaded into ``ref_codes``, and refreshes from newer ones.

Shipped files live in ``claimflow/reference/`` with their MANIFEST (source and licence). A user
refreshes a set from a newer file (e.g. a CARC list downloaded from x12.org) with
``claimflow reference refresh``; codes missing from the newer file stay known, marked
``in_latest = false``, because old remittances still carry them.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb

from claimflow.errors import ConfigError
from claimflow.warehouse.sql import insert_rows


@dataclass(frozen=True)
class CodeSetFile:
    """How one shipped CSV maps onto ``ref_codes``."""

    file: str
    code: str
    description: str
    status: str | None = None
    split_by: str | None = None  # a column whose value names the code set (999 codes)


CODE_SETS: dict[str, CodeSetFile] = {
    "carc": CodeSetFile("carc.csv", "code", "description", "status"),
    "rarc": CodeSetFile("rarc.csv", "code", "description", "status"),
    "group_code": CodeSetFile("claim_adjustment_group_codes.csv", "code", "name"),
    "clp02": CodeSetFile("clp02_claim_status_codes.csv", "code", "description"),
    "claim_status_category": CodeSetFile("claim_status_category_codes.csv", "code", "description"),
    "claim_status": CodeSetFile("claim_status_codes.csv", "code", "description"),
    "x999": CodeSetFile("x999_ack_codes.csv", "code", "description", split_by="element"),
    "place_of_service": CodeSetFile("place_of_service.csv", "code", "name"),
    "claim_frequency": CodeSetFile("claim_frequency_codes.csv", "code", "name"),
}
"""Code set → its file. The 999 file holds several sets, one per element (ik304, ik403, ...)."""

CATEGORY_MAP_FILE = "carc_denial_category_map.csv"

CATEGORY_NAMES: dict[str, str] = {
    "eligibility_registration": "eligibility",
    "authorization_precert": "authorization",
    "coding_billing_error": "coding",
    "missing_info_or_billing_error": "missing_information",
    "provider_data_error": "provider_data",
    "missing_documentation": "documentation",
    "medical_necessity_clinical": "medical_necessity",
    "timely_filing": "timely_filing",
    "duplicate": "duplicate",
    "coordination_of_benefits": "coordination_of_benefits",
    "bundling_ncci": "bundling",
    "non_covered_or_benefit_limit": "non_covered",
    "provider_enrollment_credentialing": "provider_enrollment",
    "patient_responsibility": "patient_responsibility",
    "contractual_or_payment_adjustment": "contractual",
    "appeal_procedural": "other",
    "payer_pending": "other",
}
"""The reviewed map's category names → claimflow's denial categories."""


RARC_CATEGORY: dict[str, str] = {
    "M51": "coding",  # Missing/incomplete/invalid procedure code(s).
    "M76": "coding",  # Missing/incomplete/invalid diagnosis or condition.
    "N56": "coding",  # Procedure code billed is not correct/valid for the services billed.
    "N657": "coding",  # This should be billed with the appropriate code for these services.
    "N208": "coding",  # Missing/incomplete/invalid DRG code.
    "M77": "missing_information",  # Missing/incomplete/invalid/inappropriate place of service.
    "M79": "missing_information",  # Missing/incomplete/invalid charge.
    "M119": "missing_information",  # Missing/incomplete/invalid ... NDC.
    "MA120": "missing_information",  # Missing/incomplete/invalid CLIA certification number.
    "MA130": "missing_information",  # Incomplete and/or invalid information ... resubmit.
    "N517": "missing_information",  # Resubmit a new claim with the requested information.
    "N290": "provider_data",  # Missing/incomplete/invalid rendering provider primary identifier.
    "N257": "provider_data",  # ... billing provider/supplier primary identifier.
    "N286": "provider_data",  # ... referring provider primary identifier.
    "N265": "provider_data",  # ... ordering provider primary identifier.
    "N382": "eligibility",  # Missing/incomplete/invalid patient identifier.
    "MA27": "eligibility",  # Missing/incomplete/invalid entitlement number or name.
    "N30": "eligibility",  # Patient ineligible for this service.
    "M127": "documentation",  # Missing patient medical record for this service.
    "N54": "authorization",  # Claim information is inconsistent with pre-certified services.
    "MA04": "coordination_of_benefits",  # Secondary payment ... primary payer information.
    "N4": "coordination_of_benefits",  # Missing/Incomplete/Invalid prior Insurance Carrier EOB.
    "N479": "coordination_of_benefits",  # Missing Explanation of Benefits (COB or MSP).
    "N130": "non_covered",  # Consult plan benefit documents for restrictions.
}
"""RARC → category, for the CARCs that say "see the remark code"."""

NEEDS_RARC: frozenset[str] = frozenset(("16", "A1", "96", "234", "252", "226"))
"""CARCs that say "see the remark code": classified on the CARC + RARC pair."""


def _shipped(name: str) -> bytes:
    return (resources.files("claimflow.reference") / name).read_bytes()


def _rows(
    code_set: str, spec: CodeSetFile, data: bytes, source: str, now: dt.datetime
) -> list[tuple[object, ...]]:
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    needed = {spec.code, spec.description} | ({spec.split_by} if spec.split_by else set())
    missing = sorted(needed - set(reader.fieldnames or []))
    if missing:
        raise ConfigError(
            f"{source}: missing column(s) {', '.join(missing)} for code set {code_set}; "
            f"the file has: {', '.join(reader.fieldnames or [])}"
        )
    rows: list[tuple[object, ...]] = []
    for record in reader:
        code = (record.get(spec.code) or "").strip()
        if not code:
            continue
        name = f"{record[spec.split_by]}".strip().lower() if spec.split_by else code_set
        status = (record.get(spec.status) or "current").strip() if spec.status else "current"
        taken = {spec.code, spec.description, spec.status, spec.split_by}
        extra = {k: v for k, v in record.items() if k not in taken and v not in (None, "")}
        rows.append(
            (name, code, record.get(spec.description) or None, status, json.dumps(extra),
             True, source, now)
        )  # fmt: skip
    return rows


def load_code_set(conn: duckdb.DuckDBPyConnection, code_set: str, data: bytes, source: str) -> int:
    """Merge one code set's file into ``ref_codes``. Codes not in the file stay, not latest.

    Returns:
        The number of codes in the file.
    """
    if code_set not in CODE_SETS:
        raise ConfigError(f"unknown code set {code_set!r}; known: {', '.join(CODE_SETS)}")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = _rows(code_set, CODE_SETS[code_set], data, source, now)
    sets = sorted({str(r[0]) for r in rows})
    conn.execute("CREATE OR REPLACE TEMP TABLE cf_ref AS SELECT * FROM ref_codes WHERE false")
    insert_rows(conn, "cf_ref", rows)
    conn.execute(
        "UPDATE ref_codes SET in_latest = false WHERE list_contains($sets, code_set)",
        {"sets": sets},
    )
    conn.execute(
        "DELETE FROM ref_codes USING cf_ref"
        " WHERE ref_codes.code_set = cf_ref.code_set AND ref_codes.code = cf_ref.code"
    )
    conn.execute("INSERT INTO ref_codes SELECT * FROM cf_ref")
    conn.execute("DROP TABLE cf_ref")
    digest = hashlib.sha256(data).hexdigest()
    insert_rows(
        conn,
        "ref_sets",
        [(s, source, digest, sum(1 for r in rows if r[0] == s), now) for s in sets],
    )
    return len(rows)


def load_category_map(conn: duckdb.DuckDBPyConnection, data: bytes, source: str) -> int:
    """Replace ``ref_carc_category`` with a CARC → category map file."""
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    rows: list[tuple[object, ...]] = []
    for record in reader:
        source_category = record["category"].strip()
        if source_category not in CATEGORY_NAMES:
            raise ConfigError(
                f"{source}: unknown category {source_category!r} for CARC {record['carc']}"
            )
        carc = record["carc"].strip()
        rows.append(
            (carc, CATEGORY_NAMES[source_category], source_category,
             record.get("default_action"), record.get("auto_resubmit_eligible"), record.get("note"),
             carc in NEEDS_RARC)
        )  # fmt: skip
    conn.execute("DELETE FROM ref_carc_category")
    insert_rows(conn, "ref_carc_category", rows)
    return len(rows)


def shipped_version() -> str:
    """sha256 over every shipped reference file: changes when a release updates one."""
    digest = hashlib.sha256()
    for name in sorted({s.file for s in CODE_SETS.values()} | {CATEGORY_MAP_FILE}):
        digest.update(name.encode() + b"\0" + _shipped(name))
    return digest.hexdigest()


def ensure_reference(conn: duckdb.DuckDBPyConnection) -> bool:
    """Load the shipped code sets unless this version is already loaded.

    A set a user refreshed from their own file is left alone: its codes came from a newer list.

    Returns:
        True when the shipped files were (re)loaded.
    """
    version = shipped_version()
    seen = conn.execute(
        "SELECT 1 FROM ref_sets WHERE code_set = '_shipped' AND content_sha256 = ?", [version]
    ).fetchone()
    if seen:
        return False
    refreshed = {
        r[0]
        for r in conn.execute(
            "SELECT code_set FROM ref_sets WHERE NOT starts_with(source, 'shipped:')"
            " AND code_set <> '_shipped'"
        ).fetchall()
    }
    for code_set, spec in CODE_SETS.items():
        if code_set in refreshed or (spec.split_by and refreshed & {"ik304", "ik403"}):
            continue
        load_code_set(conn, code_set, _shipped(spec.file), f"shipped:{spec.file}")
    load_category_map(conn, _shipped(CATEGORY_MAP_FILE), f"shipped:{CATEGORY_MAP_FILE}")
    conn.execute("DELETE FROM ref_rarc_category")
    insert_rows(conn, "ref_rarc_category", sorted(RARC_CATEGORY.items()))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    insert_rows(conn, "ref_sets", [("_shipped", "claimflow", version, 0, now)])
    return True


def refresh_from_file(conn: duckdb.DuckDBPyConnection, code_set: str, path: Path) -> int:
    """Merge a newer file a user downloaded into one code set (or the CARC category map)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    if code_set == "carc_category":
        return load_category_map(conn, data, str(path))
    return load_code_set(conn, code_set, data, str(path))
