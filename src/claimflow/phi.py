"""Patient identifiers on screen: which columns hold them and which viewer roles may see them.

One definition for everything that serves the warehouse to people (the dashboard and the HTTP
API). The viewer's role and the roles allowed to see patient identifiers are set when the
server starts (``--role`` / ``--phi-roles`` of ``claimflow dashboard`` and ``claimflow api``,
passed on as ``CLAIMFLOW_ROLE`` / ``CLAIMFLOW_PHI_ROLES``); every other role sees ``•••`` for
a column of identifiers, and a free-text column (:data:`FREE_TEXT_COLUMNS`) with the
identifiers a person typed into it redacted (:func:`claimflow.redact.redact`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from claimflow.redact import redact

PHI_COLUMNS: tuple[str, ...] = (
    "member_id",
    "patient_id",
    "person_id",
    "patient_dob",
    "patient_member_id",
    "insured_member_id",
    "corrected_member_id",
    "medical_record_number",
    "mrn",
    "raw_record",
)
"""Columns (of any table or report) holding patient identifiers; ``raw_record`` is a whole
source record (EMR row or X12 segments), with names, member ids and birth dates in it."""

FREE_TEXT_COLUMNS: tuple[str, ...] = ("denial_reason", "normalized_text")
"""Columns of free text a person typed (the EMR's denial reason, and the classifier's
normalised copy of it) that may name a patient: shown redacted to a role that may not see
patient identifiers, the denial words and codes kept."""

MASK = "•••"
"""What a masked value reads as."""

ROLE_ENV = "CLAIMFLOW_ROLE"
PHI_ROLES_ENV = "CLAIMFLOW_PHI_ROLES"
DEFAULT_ROLE = "analyst"
DEFAULT_PHI_ROLES = "auditor"
"""Comma-separated, as on the command line."""


def parse_roles(text: str) -> tuple[str, ...]:
    """``"auditor, billing"`` → ``("auditor", "billing")`` (blanks dropped)."""
    return tuple(r.strip() for r in text.split(",") if r.strip())


def may_see_phi(role: str, phi_roles: tuple[str, ...]) -> bool:
    """Whether a viewer with ``role`` is shown patient identifiers."""
    return role.strip() in phi_roles


def mask_value(column: str, value: Any) -> Any:
    """A value of ``column`` as a role that may not see patient identifiers sees it: ``•••``
    for a PHI column, redacted for a free-text column (a missing value stays missing)."""
    if value is None:
        return None
    if column in PHI_COLUMNS:
        return MASK
    if column in FREE_TEXT_COLUMNS and isinstance(value, str):
        return redact(value)
    return value


def mask_row(row: Mapping[str, Any], *, show_phi: bool) -> dict[str, Any]:
    """A copy of ``row`` with every PHI column masked and every free-text column redacted (a
    missing value stays missing)."""
    if show_phi:
        return dict(row)
    return {k: mask_value(k, v) for k, v in row.items()}


def record_identifiers(record: Mapping[str, Any]) -> list[str]:
    """A record's own patient identifiers (its values of the PHI columns, three characters or
    more), longest first: what :func:`mask_identifiers` replaces in the texts it carries."""
    found = {
        str(v).strip()
        for k, v in record.items()
        if k in PHI_COLUMNS and v is not None and len(str(v).strip()) >= 3
    }
    return sorted(found, key=len, reverse=True)


def mask_identifiers(value: Any, identifiers: list[str]) -> Any:
    """``value`` (JSON-shaped: dicts, lists, texts) with every PHI key's value masked and every
    occurrence of ``identifiers`` in a text replaced by the mask (a denial that names the
    member in the sentence a letter quotes puts the member id into the letter)."""
    if isinstance(value, dict):
        return {
            k: (MASK if k in PHI_COLUMNS and v is not None else mask_identifiers(v, identifiers))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [mask_identifiers(v, identifiers) for v in value]
    if isinstance(value, str):
        for identifier in identifiers:
            value = value.replace(identifier, MASK)
    return value
