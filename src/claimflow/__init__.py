"""claimflow: EMR exports and X12 5010 in, an auditable warehouse, safe resubmissions out."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
