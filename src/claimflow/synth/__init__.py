"""claimflow.synth: a deterministic synthetic revenue cycle (EMR exports, 837, 999, 277CA, 835).

Real claim data is PHI; this package writes a consistent, realistic world instead, with a
``truth/`` folder that says what really happened to every claim. See docs/synth.md.
"""

from __future__ import annotations

from claimflow.synth.generate import WorldSummary, generate_world
from claimflow.synth.world import npi_check_digit, npi_valid

__all__ = ["WorldSummary", "generate_world", "npi_check_digit", "npi_valid"]
