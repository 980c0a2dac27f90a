"""Patient identifiers on screen: which columns hold them and which viewer roles may see them.

One definition for everything that serves the warehouse to people (the dashboard and the HTTP
API). The viewer's role and the roles allowed to see patient identifiers are set when the
server starts (``--role`` / ``--phi-roles`` of ``claimflow dashboard`` and ``claimflow api``,
passed on as ``CLAIMFLOW_ROLE`` / ``CLAIMFLOW_PHI_ROLES``); every other role sees ``•••``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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


def mask_row(row: Mapping[str, Any], *, show_phi: bool) -> dict[str, Any]:
    """A copy of ``row`` with every PHI column masked (a missing value stays missing)."""
    if show_phi:
        return dict(row)
    return {k: (MASK if k in PHI_COLUMNS and v is not None else v) for k, v in row.items()}
