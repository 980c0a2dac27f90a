"""Patient identifiers on the dashboard: masked unless the viewer's role may see them.

The role and the roles allowed to see patient identifiers come from the environment the server
was started with (``claimflow dashboard --role/--phi-roles``); which columns hold patient
identifiers or free text, and how a masked value reads, from :mod:`claimflow.phi` (shared with
the HTTP API).
Every frame the dashboard shows or exports passes through :func:`mask`.
"""

from __future__ import annotations

import os

import pandas as pd

from claimflow.phi import (
    DEFAULT_PHI_ROLES,
    DEFAULT_ROLE,
    FREE_TEXT_COLUMNS,
    MASK,
    PHI_COLUMNS,
    PHI_ROLES_ENV,
    ROLE_ENV,
    mask_value,
    may_see_phi,
    parse_roles,
)


def shows_phi() -> bool:
    """Whether the viewer's role may see patient identifiers."""
    role = os.environ.get(ROLE_ENV, DEFAULT_ROLE)
    return may_see_phi(role, parse_roles(os.environ.get(PHI_ROLES_ENV, DEFAULT_PHI_ROLES)))


def mask(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with patient identifiers masked, unless the viewer's role may see them."""
    if shows_phi():
        return frame
    for column in PHI_COLUMNS:
        if column in frame.columns:
            frame[column] = frame[column].where(frame[column].isna(), MASK)
    for column in FREE_TEXT_COLUMNS:  # each distinct text redacted once
        if column in frame.columns:
            values = frame[column].dropna().unique()
            redacted = {v: mask_value(column, v) for v in values}
            frame[column] = frame[column].map(redacted, na_action="ignore")
    return frame
