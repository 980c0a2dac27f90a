"""837 Dental (005010X224A2): spec data."""

from __future__ import annotations

from claimflow.x12.spec import R, TransactionSpec, el, seg
from claimflow.x12.specs._x837 import HEADER, N3, N4, REF, build_loops, claim_loop, nm1

SV3 = seg(
    "SV3",
    el(1, True, name="SV301 procedure"),
    el(2, True, R, max_len=18, name="SV302 line charge"),
    req=True,
    name="dental service",
)

CLAIM = claim_loop(
    SV3,
    (
        nm1("DN", "2310A", REF),
        nm1("82", "2310B", seg("PRV"), REF),
        nm1("77", "2310C", N3, N4, REF),
        nm1("DD", "2310D", REF),
    ),
    (
        nm1("82", "2420A", seg("PRV"), REF),
        nm1("DD", "2420B", REF),
        nm1("77", "2420C", N3, N4, REF),
    ),
    diagnosis_required=False,
)

SPEC = TransactionSpec("837D", "837", "005010X224", HEADER, build_loops(CLAIM))
