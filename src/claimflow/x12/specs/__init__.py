"""Registry of the implementation guides the engine has specs for.

Every module in this package that defines ``SPEC`` (one transaction set) or ``SPECS`` (several
sets under one guide id, such as 276 and 277 in X212) is registered, so supporting a new guide
means adding one spec module here.
"""

from __future__ import annotations

import importlib
import pkgutil

from claimflow.x12.spec import TransactionSpec


def _discover() -> tuple[TransactionSpec, ...]:
    found: list[TransactionSpec] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        spec = getattr(module, "SPEC", None)
        if isinstance(spec, TransactionSpec):
            found.append(spec)
        found.extend(s for s in getattr(module, "SPECS", ()) if isinstance(s, TransactionSpec))
    return tuple(found)


SPECS: tuple[TransactionSpec, ...] = _discover()


def spec_for_guide(
    guide: str,
    specs: tuple[TransactionSpec, ...] | None = None,
    *,
    transaction_set: str | None = None,
) -> TransactionSpec | None:
    """Return the spec for a guide id such as ``005010X222A1`` (any addenda), or None.

    Args:
        guide: ST03 or GS08.
        specs: Specs to look in (default: every registered spec).
        transaction_set: ST01. Needed to choose between the sets that share a guide id
            (270/271 in X279, 276/277 in X212); without it the first registered one is
            returned.

    Returns:
        The matching spec, or None.
    """
    guide = guide.strip().upper()
    for spec in SPECS if specs is None else specs:
        if guide.startswith(spec.guide_prefix) and transaction_set in (
            None,
            spec.transaction_set,
        ):
            return spec
    return None


def spec_for_kind(kind: str) -> TransactionSpec | None:
    """Return the spec for a short kind such as ``837P``, or None."""
    for spec in SPECS:
        if spec.kind == kind:
            return spec
    return None
