"""Registry of the implementation guides the engine has specs for.

Every module in this package that defines ``SPEC`` is registered, so supporting a new guide
(276/277, 270/271, ...) means adding one spec module here.
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
    return tuple(found)


SPECS: tuple[TransactionSpec, ...] = _discover()


def spec_for_guide(
    guide: str, specs: tuple[TransactionSpec, ...] | None = None
) -> TransactionSpec | None:
    """Return the spec for a guide id such as ``005010X222A1`` (any addenda), or None."""
    guide = guide.strip().upper()
    for spec in SPECS if specs is None else specs:
        if guide.startswith(spec.guide_prefix):
            return spec
    return None


def spec_for_kind(kind: str) -> TransactionSpec | None:
    """Return the spec for a short kind such as ``837P``, or None."""
    for spec in SPECS:
        if spec.kind == kind:
            return spec
    return None
