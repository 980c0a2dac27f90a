"""Registry of the implementation guides the engine has specs for."""

from __future__ import annotations

from claimflow.x12.spec import TransactionSpec
from claimflow.x12.specs import x214, x221, x222, x223, x224, x231

SPECS: tuple[TransactionSpec, ...] = (
    x222.SPEC,
    x223.SPEC,
    x224.SPEC,
    x221.SPEC,
    x231.SPEC,
    x214.SPEC,
)


def spec_for_guide(guide: str) -> TransactionSpec | None:
    """Return the spec for a guide id such as ``005010X222A1`` (any addenda), or None."""
    guide = guide.strip().upper()
    for spec in SPECS:
        if guide.startswith(spec.guide_prefix):
            return spec
    return None


def spec_for_kind(kind: str) -> TransactionSpec | None:
    """Return the spec for a short kind such as ``837P``, or None."""
    for spec in SPECS:
        if spec.kind == kind:
            return spec
    return None
