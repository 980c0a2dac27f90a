"""Loop structure shared by the three 837 guides (X222, X223, X224); data only."""

from __future__ import annotations

from claimflow.x12.spec import DT, ID, Loop, R, Seg, el, seg

ENTITY_NM1 = (
    el(1, True, ID, 2, 3, name="NM101 entity identifier code"),
    el(2, True, ID, 1, 1, codes=("1", "2"), name="NM102 entity type qualifier"),
    el(3, False, max_len=60, name="NM103 name"),
    el(9, False, min_len=2, max_len=80, name="NM109 identification code"),
)
N3 = seg("N3", el(1, True, max_len=55, name="N301 address"), name="address")
N4 = seg("N4", el(1, False, max_len=30, name="N401 city"), name="city, state, ZIP")
DTP = seg(
    "DTP", el(1, True, ID, 3, 3), el(2, True, ID, 2, 3, codes=("D8", "RD8", "DT", "TM")), max_use=0
)
REF = seg("REF", el(1, True, ID, 2, 3), max_use=0)
PER = seg("PER", el(1, True, ID, 2, 2), max_use=2)
DMG = seg(
    "DMG",
    el(1, True, ID, 2, 3, codes=("D8",), name="DMG01 date format"),
    el(2, True, "DT", name="DMG02 birth date"),
    el(3, True, ID, 1, 1, codes=("F", "M", "U"), name="DMG03 gender"),
)
TOOTH_SURFACES = ("B", "D", "F", "I", "L", "M", "O")
"""TOO03 tooth surface codes: buccal, distal, facial, incisal, lingual, mesial, occlusal."""
TOO = seg(
    "TOO",
    el(1, True, ID, 1, 3, codes=("JP",), name="TOO01 code list qualifier (JP: universal tooth)"),
    el(2, True, max_len=50, name="TOO02 tooth code"),
    *(
        el(3, False, ID, 1, 2, codes=TOOTH_SURFACES, component=i, name=f"TOO03-{i} tooth surface")
        for i in range(1, 6)
    ),
    max_use=32,
    name="tooth information",
)
PAYER_SEQUENCE = ("A", "B", "C", "D", "E", "F", "G", "H", "P", "S", "T", "U")
FILING_INDICATORS = (
    *("11", "12", "13", "14", "15", "16", "17", "AM", "BL", "CH", "CI", "DS", "FI", "HM"),
    *("LM", "MA", "MB", "MC", "OF", "TV", "VA", "WC", "ZZ"),
)


def nm1(q: str | tuple[str, ...], loop_id: str, *segments: Seg, req: bool = False) -> Loop:
    """A name loop opened by ``NM1`` with entity code ``q``."""
    return Loop(loop_id, seg("NM1", *ENTITY_NM1, q=q, name="name"), segments, required=req)


def claim_loop(
    service: Seg,
    provider_loops: tuple[Loop, ...],
    line_names: tuple[Loop, ...],
    diagnosis_required: bool = True,
) -> Loop:
    """The 2300 claim loop with its 2310/2320/2400 children for one 837 flavour."""
    cas = seg("CAS", el(1, True, ID, 1, 2, codes=("CO", "CR", "OA", "PI", "PR")), max_use=5)
    other_subscriber = Loop(
        "2320",
        seg("SBR", el(1, True, ID, 1, 1), name="other subscriber"),
        (cas, seg("AMT", max_use=0), seg("OI"), seg("MIA"), seg("MOA")),
        (
            nm1("IL", "2330A", N3, N4, REF, req=True),
            nm1("PR", "2330B", N3, N4, DTP, REF, req=True),
            nm1(("DN", "P3"), "2330C", REF),
            nm1("82", "2330D", REF),
            nm1("77", "2330E", REF),
            nm1("DQ", "2330F", REF),
            nm1("85", "2330G", REF),
            nm1(("71", "72", "ZZ"), "2330H", REF),
        ),
        max_repeat=10,
        name="other subscriber information",
    )
    line = Loop(
        "2400",
        seg("LX", el(1, True, "N0", 1, 6, name="LX01 line number"), name="service line number"),
        (
            service,
            seg("SV5"),
            TOO,
            seg("PWK", max_use=0),
            seg("CR1"),
            seg("CR3"),
            seg("CRC", max_use=0),
            DTP,
            seg("QTY", max_use=0),
            seg("MEA", max_use=0),
            seg("CN1"),
            REF,
            seg("AMT", max_use=0),
            seg("K3", max_use=0),
            seg("NTE", max_use=0),
            seg("PS1"),
            seg("HCP"),
        ),
        (
            Loop("2410", seg("LIN"), (seg("CTP"), seg("REF")), name="drug identification"),
            *line_names,
            Loop("2430", seg("SVD"), (cas, DTP, seg("AMT")), max_repeat=0),
            Loop("2440", seg("LQ"), (seg("FRM", req=True, max_use=0),), max_repeat=0),
        ),
        required=True,
        max_repeat=999,
        name="service line",
    )
    return Loop(
        "2300",
        seg(
            "CLM",
            el(1, True, max_len=38, name="CLM01 patient control number"),
            el(2, True, R, max_len=18, name="CLM02 total charge"),
            el(5, True, name="CLM05 facility code"),
            el(5, True, ID, 1, 1, codes=("1", "6", "7", "8"), component=3, name="CLM05-3"),
            el(7, False, ID, 1, 1, codes=("A", "B", "C"), name="CLM07 assignment code"),
            el(8, True, ID, 1, 1, codes=("N", "W", "Y"), name="CLM08 benefits assignment"),
            el(9, True, ID, 1, 1, codes=("I", "Y"), name="CLM09 release of information"),
            name="claim information",
        ),
        (
            DTP,
            seg("CL1"),
            seg("DN1"),
            seg("DN2", max_use=0),
            seg("PWK", max_use=0),
            seg("CN1"),
            seg("DSB"),
            seg("UR"),
            seg("AMT", max_use=0),
            REF,
            seg("K3", max_use=0),
            seg("NTE", max_use=0),
            seg("CR1"),
            seg("CR2"),
            seg("CRC", max_use=0),
            seg("HI", req=diagnosis_required, max_use=0, name="health care diagnosis code"),
            seg("HCP"),
        ),
        (*provider_loops, other_subscriber, line),
        max_repeat=100,
        name="claim information",
    )


def build_loops(claim: Loop) -> tuple[Loop, ...]:
    """The header name loops and the 2000A/2000B/2000C hierarchy around ``claim``."""
    return (
        nm1("41", "1000A", PER, req=True),
        nm1("40", "1000B", req=True),
        Loop(
            "2000A",
            seg("HL", el(3, True, ID, codes=("20",)), q="20", qpos=3, name="billing provider"),
            (seg("PRV"), seg("CUR")),
            (
                nm1(
                    "85",
                    "2010AA",
                    seg("N3", el(1, True, max_len=55), req=True, name="billing provider address"),
                    seg("N4", el(1, True, max_len=30), req=True, name="billing provider city"),
                    seg("REF", q="EI", name="billing provider tax id"),
                    seg("REF", q=("SY", "0B", "1G", "G2", "LU"), max_use=2),
                    PER,
                    req=True,
                ),
                nm1("87", "2010AB", N3, N4),
                nm1("PE", "2010AC", N3, N4, REF),
            ),
            required=True,
            max_repeat=0,
            name="billing provider",
        ),
        Loop(
            "2000B",
            seg("HL", q="22", qpos=3, name="subscriber"),
            (
                seg(
                    "SBR",
                    el(1, True, ID, 1, 1, codes=PAYER_SEQUENCE, name="SBR01 payer sequence"),
                    el(9, False, ID, 1, 2, codes=FILING_INDICATORS, name="SBR09 filing code"),
                    req=True,
                ),
                seg("PAT"),
            ),
            (
                nm1("IL", "2010BA", N3, N4, DMG, REF, seg("PER"), req=True),
                nm1("PR", "2010BB", N3, N4, REF, req=True),
                claim,
            ),
            required=True,
            max_repeat=0,
            name="subscriber",
        ),
        Loop(
            "2000C",
            seg("HL", q="23", qpos=3, name="patient"),
            (seg("PAT", req=True),),
            (nm1("QC", "2010CA", N3, N4, DMG, REF, PER, req=True), claim),
            max_repeat=0,
            name="patient",
        ),
    )


HEADER = (
    seg("BHT", el(1, True, ID, 4, 4, codes=("0019",)), el(4, True, DT), req=True),
    seg("REF"),
)
