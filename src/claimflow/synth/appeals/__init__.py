"""claimflow.synth.appeals: synthetic DRG-appeal cases with their truth (issue 20).

Each case is a directory in the format of docs/appeals.md (the clinical record as FHIR NDJSON,
a FHIR Bundle or EHR-export CSV tables; the denial letter as text, a text PDF, a scanned PDF or
an image) and ``truth/<case_id>.json``, computed by this package's own reading of the scoring
rules from the values it planted, independent of the engine.
"""

from __future__ import annotations

from claimflow.synth.appeals.generate import AppealsSummary, generate_appeals

__all__ = ["AppealsSummary", "generate_appeals"]
