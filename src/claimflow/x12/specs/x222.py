"""837 Professional (005010X222A1/A2): spec data."""

from __future__ import annotations

from claimflow.x12.spec import ID, R, TransactionSpec, el, seg
from claimflow.x12.specs._x837 import HEADER, N3, N4, PER, REF, build_loops, claim_loop, nm1

SV1 = seg(
    "SV1",
    el(1, True, name="SV101 procedure"),
    el(1, True, ID, 2, 2, codes=("ER", "HC", "IV", "WK"), component=1, name="SV101-1"),
    el(2, True, R, max_len=18, name="SV102 line charge"),
    el(3, True, ID, 2, 2, codes=("MJ", "UN"), name="SV103 unit basis"),
    el(4, True, R, max_len=15, name="SV104 units"),
    req=True,
    name="professional service",
)

CLAIM = claim_loop(
    SV1,
    (
        nm1(("DN", "P3"), "2310A", REF),
        nm1("82", "2310B", seg("PRV"), REF),
        nm1("77", "2310C", N3, N4, REF, PER),
        nm1("DQ", "2310D", REF),
        nm1("PW", "2310E", N3, N4),
        nm1("45", "2310F", N3, N4),
    ),
    (
        nm1("82", "2420A", seg("PRV"), REF),
        nm1("QB", "2420B", REF),
        nm1("77", "2420C", N3, N4, REF),
        nm1("DQ", "2420D", REF),
        nm1("DK", "2420E", N3, N4, REF, PER),
        nm1("DN", "2420F", REF),
        nm1("PW", "2420G", N3, N4),
        nm1("45", "2420H", N3, N4),
    ),
)

SPEC = TransactionSpec("837P", "837", "005010X222", HEADER, build_loops(CLAIM))
