"""999 Implementation Acknowledgment (005010X231A1): spec data."""

from __future__ import annotations

from claimflow.x12.spec import ID, Loop, TransactionSpec, el, seg

HEADER = (
    seg("AK1", el(1, True, ID, 2, 2), el(2, True, "N0", 1, 9), el(3, False, max_len=12), req=True),
    seg(
        "AK9",
        el(1, True, ID, 1, 1, codes=("A", "E", "P", "R", "M", "W", "X"), name="AK901"),
        el(2, True, "N0"),
        el(3, True, "N0"),
        el(4, True, "N0"),
        req=True,
        name="functional group response trailer",
        trailing=True,
    ),
)

LOOPS = (
    Loop(
        "2000",
        seg("AK2", el(1, True, ID, 3, 3), el(2, True, min_len=4, max_len=9), max_elements=3),
        (
            seg(
                "IK5",
                el(1, True, ID, 1, 1, codes=("A", "E", "M", "R", "W", "X"), name="IK501"),
                req=True,
                name="transaction set response trailer",
                trailing=True,
            ),
        ),
        (
            Loop(
                "2100",
                seg("IK3", el(1, True, max_len=3), el(2, True, "N0"), el(4, False, ID)),
                (seg("CTX", max_use=10),),
                (
                    Loop(
                        "2110",
                        seg("IK4", el(1, True), el(3, True, ID)),
                        (seg("CTX"),),
                        max_repeat=99,
                    ),
                ),
                max_repeat=0,
                name="error identification",
            ),
        ),
        max_repeat=0,
        name="transaction set response header",
    ),
)

SPEC = TransactionSpec("999", "999", "005010X231", HEADER, LOOPS)
