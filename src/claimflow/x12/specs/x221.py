"""835 Health Care Claim Payment/Advice (005010X221A1): spec data."""

from __future__ import annotations

from claimflow.x12.spec import DT, ID, Loop, R, TransactionSpec, el, seg

CAS = seg(
    "CAS",
    el(1, True, ID, 1, 2, codes=("CO", "CR", "OA", "PI", "PR"), name="CAS01 group code"),
    el(2, True, ID, 1, 5, name="CAS02 reason code"),
    el(3, True, R, max_len=18, name="CAS03 amount"),
    max_use=99,
    name="adjustment",
)
DTM = seg("DTM", el(1, True, ID, 3, 3), el(2, True, DT), max_use=0)
REF = seg("REF", el(1, True, ID, 2, 3), el(2, True, max_len=50), max_use=0)

HEADER = (
    seg(
        "BPR",
        el(1, True, ID, 1, 1, codes=("C", "D", "H", "I", "P", "U", "X"), name="BPR01"),
        el(2, True, R, max_len=18, name="BPR02 total payment"),
        el(3, True, ID, 1, 1, codes=("C", "D"), name="BPR03 credit/debit flag"),
        el(4, True, ID, 3, 3, codes=("ACH", "BOP", "CHK", "FWT", "NON"), name="BPR04"),
        el(16, True, DT, name="BPR16 payment date"),
        req=True,
        name="financial information",
    ),
    seg("TRN", el(1, True, ID), el(2, True, max_len=50, name="TRN02 trace number"), req=True),
    seg("CUR"),
    REF,
    DTM,
    seg(
        "PLB",
        el(1, True, max_len=50, name="PLB01 provider identifier"),
        el(2, True, DT, name="PLB02 fiscal period date"),
        el(3, True, name="PLB03 adjustment identifier"),
        el(4, True, R, max_len=18, name="PLB04 amount"),
        max_use=0,
        name="provider adjustment",
        trailing=True,
    ),
)

SERVICE = Loop(
    "2110",
    seg(
        "SVC",
        el(1, True, name="SVC01 procedure"),
        el(2, True, R, max_len=18, name="SVC02 line charge"),
        el(3, True, R, max_len=18, name="SVC03 line paid"),
        name="service payment information",
    ),
    (DTM, CAS, REF, seg("AMT", max_use=0), seg("QTY", max_use=0), seg("LQ", max_use=0)),
    max_repeat=999,
    name="service payment information",
)

CLAIM = Loop(
    "2100",
    seg(
        "CLP",
        el(1, True, max_len=38, name="CLP01 patient control number"),
        el(
            2,
            True,
            ID,
            codes=("1", "2", "3", "4", "19", "20", "21", "22", "23", "25"),
            name="CLP02 claim status",
        ),
        el(3, True, R, max_len=18, name="CLP03 total charge"),
        el(4, True, R, max_len=18, name="CLP04 paid amount"),
        el(5, False, R, max_len=18, name="CLP05 patient responsibility"),
        name="claim payment information",
    ),
    (
        CAS,
        seg("NM1", max_use=0),
        seg("MIA"),
        seg("MOA"),
        REF,
        DTM,
        seg("PER", max_use=0),
        seg("AMT", max_use=0),
        seg("QTY", max_use=0),
    ),
    (SERVICE,),
    required=True,
    max_repeat=0,
    name="claim payment information",
)

LOOPS = (
    Loop(
        "1000A",
        seg("N1", el(1, True, ID), el(2, True, max_len=60), q="PR", name="payer identification"),
        (seg("N3"), seg("N4"), seg("REF", max_use=0), seg("PER", max_use=0)),
        required=True,
    ),
    Loop(
        "1000B",
        seg("N1", el(1, True, ID), el(2, True, max_len=60), q="PE", name="payee identification"),
        (seg("N3"), seg("N4"), seg("REF", max_use=0), seg("RDM")),
        required=True,
    ),
    Loop("2000", seg("LX"), (seg("TS3"), seg("TS2")), (CLAIM,), max_repeat=0, name="header number"),
)

SPEC = TransactionSpec("835", "835", "005010X221", HEADER, LOOPS)
