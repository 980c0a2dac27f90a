"""277CA Claim Acknowledgment (005010X214): spec data."""

from __future__ import annotations

from claimflow.x12.spec import ID, Loop, Seg, TransactionSpec, el, seg

STC = seg("STC", el(1, True, name="STC01 status"), max_use=0, name="status information")
TRN = seg("TRN", el(1, True, ID), el(2, True, max_len=50))
REF = seg("REF", max_use=0)
DTP = seg("DTP", max_use=0)
NM1 = seg("NM1", el(1, True, ID, 2, 3))


def _level(hl: str, loop_id: str, name_loop: str, status: str, *extra: Loop, req: bool) -> Loop:
    name = Loop(name_loop, NM1, (), required=True)
    detail: tuple[Seg, ...] = (STC, seg("QTY", max_use=0), seg("AMT", max_use=0), REF, DTP)
    status_loop = Loop(status, TRN, detail, extra, max_repeat=0)
    return Loop(
        loop_id, seg("HL", q=hl, qpos=3), (), (name, status_loop), required=req, max_repeat=0
    )


SERVICE = Loop("2220D", seg("SVC"), (STC, REF, DTP), max_repeat=0, name="service line")

LOOPS = (
    _level("20", "2000A", "2100A", "2200A", req=True),
    _level("21", "2000B", "2100B", "2200B", req=True),
    _level("19", "2000C", "2100C", "2200C", req=False),
    _level("PT", "2000D", "2100D", "2200D", SERVICE, req=False),
)

HEADER = (seg("BHT", el(1, True, ID, 4, 4), el(3, True), el(4, True, "DT"), req=True),)

SPEC = TransactionSpec("277CA", "277", "005010X214", HEADER, LOOPS)
