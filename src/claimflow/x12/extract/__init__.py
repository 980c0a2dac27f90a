"""Extraction: from placed segments to canonical rows, one extractor per guide family."""

from __future__ import annotations

from claimflow.x12.extract.acks import Ack277CAExtractor, Ack999Extractor
from claimflow.x12.extract.base import Extractor, RowContext
from claimflow.x12.extract.claims import ClaimExtractor
from claimflow.x12.extract.remittance import RemittanceExtractor
from claimflow.x12.result import Row


def extractor_for(kind: str, ctx: RowContext, out: dict[str, list[Row]]) -> Extractor | None:
    """Return the extractor for a transaction kind such as ``837P``, or None."""
    if kind in ("837P", "837I", "837D"):
        return ClaimExtractor(ctx, out, kind)
    if kind == "835":
        return RemittanceExtractor(ctx, out)
    if kind == "999":
        return Ack999Extractor(ctx, out)
    if kind == "277CA":
        return Ack277CAExtractor(ctx, out)
    return None
