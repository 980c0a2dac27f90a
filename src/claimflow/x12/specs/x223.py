"""837 Institutional (005010X223A1/A2/A3): spec data."""

from __future__ import annotations

from claimflow.x12.spec import ID, R, TransactionSpec, el, seg
from claimflow.x12.specs._x837 import HEADER, N3, N4, REF, build_loops, claim_loop, nm1

PRV = seg("PRV")
SV2 = seg(
    "SV2",
    el(1, True, max_len=48, name="SV201 revenue code"),
    el(3, True, R, max_len=18, name="SV203 line charge"),
    el(4, True, ID, 2, 2, codes=("DA", "UN"), name="SV204 unit basis"),
    el(5, True, R, max_len=15, name="SV205 units"),
    req=True,
    name="institutional service",
)

CLAIM = claim_loop(
    SV2,
    (
        nm1("71", "2310A", PRV, REF),
        nm1("72", "2310B", PRV, REF),
        nm1("ZZ", "2310C", PRV, REF),
        nm1("82", "2310D", PRV, REF),
        nm1("77", "2310E", N3, N4, REF),
        nm1("DN", "2310F", REF),
    ),
    (
        nm1("72", "2420A", PRV, REF),
        nm1("ZZ", "2420B", PRV, REF),
        nm1("82", "2420C", PRV, REF),
        nm1("DN", "2420D", REF),
    ),
)

SPEC = TransactionSpec("837I", "837", "005010X223", HEADER, build_loops(CLAIM))
