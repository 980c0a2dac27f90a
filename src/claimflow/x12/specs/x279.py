"""270/271 Health Care Eligibility Benefit Inquiry and Response (005010X279A1): spec data.

Both transaction sets share the guide id, so this module registers two specs (``SPECS``). No
extractor maps them to canonical tables yet: their sets are recognised, their loops built and
their structure and elements validated.
"""

from __future__ import annotations

from claimflow.x12.spec import DT, ID, Element, Loop, R, Seg, TransactionSpec, bht, el, seg
from claimflow.x12.spec import hl as _hl

GUIDE = "005010X279"
_DATE_FORMATS = ("D8", "RD8")
SOURCE_ENTITIES = ("2B", "36", "GP", "P5", "PR")
RECEIVER_ENTITIES = ("1P", "2B", "36", "80", "FA", "GP", "P5", "PR")
ELIGIBILITY_CODES = (
    *("1", "2", "3", "4", "5", "6", "7", "8", "A", "B", "C", "CB", "D", "E", "F", "G", "H"),
    *("I", "J", "K", "L", "M", "MC", "N", "O", "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y"),
)


def _nm1(entities: tuple[str, ...], name: str, *, identified: bool, types: str = "12") -> Seg:
    rules: tuple[Element, ...] = (
        el(1, True, ID, 2, 3, codes=entities, name="NM101 entity identifier code"),
        el(2, True, ID, 1, 1, codes=tuple(types), name="NM102 entity type qualifier"),
        el(3, False, max_len=60, name="NM103 name"),
    )
    if identified:
        rules += (
            el(8, True, ID, 1, 2, name="NM108 identification code qualifier"),
            el(9, True, min_len=2, max_len=80, name="NM109 identification code"),
        )
    return seg("NM1", *rules, q=entities, name=name)


def _trn(types: tuple[str, ...], max_use: int) -> Seg:
    return seg(
        "TRN",
        el(1, True, ID, 1, 2, codes=types, name="TRN01 trace type code"),
        el(2, True, max_len=50, name="TRN02 trace number"),
        el(3, True, min_len=10, max_len=10, name="TRN03 trace assigning entity identifier"),
        max_use=max_use,
        name="trace number",
    )


def _dtp(max_use: int) -> Seg:
    return seg(
        "DTP",
        el(1, True, ID, 3, 3, name="DTP01 date qualifier"),
        el(2, True, ID, 2, 3, codes=_DATE_FORMATS, name="DTP02 date format"),
        el(3, True, max_len=35, name="DTP03 date"),
        max_use=max_use,
        name="date",
    )


REF = seg("REF", el(1, True, ID, 2, 3), el(2, True, max_len=50), max_use=9, name="reference")
N3 = seg("N3", el(1, True, max_len=55, name="N301 address"), name="address")
N4 = seg("N4", el(1, True, max_len=30, name="N401 city"), name="city, state, ZIP")
PRV = seg("PRV", el(1, True, ID, 1, 3, name="PRV01 provider code"), name="provider information")
DMG = seg(
    "DMG",
    el(1, False, ID, 2, 3, codes=("D8",), name="DMG01 date format"),
    el(2, False, DT, name="DMG02 birth date"),
    el(3, False, ID, 1, 1, codes=("F", "M", "U"), name="DMG03 gender"),
    name="demographic information",
)
INS = seg("INS", el(1, True, ID, codes=("Y", "N"), name="INS01 insured indicator"))
HI = seg("HI", el(1, True, name="HI01 diagnosis"), name="health care diagnosis code")
AAA = seg(
    "AAA",
    el(1, True, ID, 1, 1, codes=("Y", "N"), name="AAA01 valid request indicator"),
    el(3, True, ID, 2, 2, name="AAA03 reject reason code"),
    el(4, True, ID, 1, 1, codes=("C", "N", "R", "S", "W", "X", "Y"), name="AAA04 follow-up"),
    max_use=9,
    name="request validation",
)

# ------------------------------------------------------------------------------ 270 inquiry


def _inquiry_person(hl: str, loop: str, entity: str, children: str) -> Loop:
    inquiry = Loop(
        f"2110{loop}",
        seg("EQ", el(1, False, ID, 1, 2, name="EQ01 service type code"), name="inquiry"),
        (
            seg("AMT", el(1, True, ID, codes=("R", "PB")), el(2, True, R), max_use=2),
            seg("III", el(1, True, ID, codes=("ZZ",)), el(2, True)),
            seg("REF", el(1, True, ID, codes=("9F", "G1")), el(2, True, max_len=50)),
            _dtp(1),
        ),
        max_repeat=99,
        name="eligibility or benefit inquiry",
    )
    name = Loop(
        f"2100{loop}",
        _nm1((entity,), "subscriber name" if loop == "C" else "dependent name", identified=False),
        (REF, N3, N4, PRV, DMG, INS, HI, _dtp(2)),
        (inquiry,),
        required=True,
        name="subscriber name" if loop == "C" else "dependent name",
    )
    return Loop(
        f"2000{loop}",
        _hl(hl, "subscriber level" if loop == "C" else "dependent level", tuple(children)),
        (_trn(("1",), 2),),
        (name,),
        required=loop == "C",
        max_repeat=0,
        name="subscriber level" if loop == "C" else "dependent level",
    )


INQUIRY_HEADER = (bht("0022", ("01", "13"), types=("RT",), types_required=False),)

INQUIRY_LOOPS = (
    Loop(
        "2000A",
        _hl("20", "information source level", ("1",)),
        (),
        (
            Loop(
                "2100A",
                _nm1(SOURCE_ENTITIES, "information source name", identified=True),
                required=True,
            ),
        ),
        required=True,
        max_repeat=0,
        name="information source level",
    ),
    Loop(
        "2000B",
        _hl("21", "information receiver level", ("1",)),
        (),
        (
            Loop(
                "2100B",
                _nm1(RECEIVER_ENTITIES, "information receiver name", identified=True),
                (REF, N3, N4, PRV),
                required=True,
            ),
        ),
        required=True,
        max_repeat=0,
        name="information receiver level",
    ),
    _inquiry_person("22", "C", "IL", "01"),
    _inquiry_person("23", "D", "03", "0"),
)

INQUIRY = TransactionSpec("270", "270", GUIDE, INQUIRY_HEADER, INQUIRY_LOOPS)

# ------------------------------------------------------------------------------ 271 response


def _benefit_person(hl: str, loop: str, entity: str) -> Loop:
    related = Loop(
        f"2120{loop}",
        seg("NM1", el(1, True, ID, 2, 3), el(2, True, ID, codes=("1", "2")), name="benefit entity"),
        (N3, N4, seg("PER", el(1, True, ID), max_use=3), PRV),
        max_repeat=23,
        name="benefit related entity",
    )
    benefit = Loop(
        f"2110{loop}",
        seg(
            "EB",
            el(1, True, ID, 1, 2, codes=ELIGIBILITY_CODES, name="EB01 eligibility or benefit"),
            name="eligibility or benefit information",
        ),
        (
            seg("HSD", max_use=9),
            REF,
            seg("DTP", el(1, True, ID, 3, 3), el(2, True, ID, codes=_DATE_FORMATS), max_use=20),
            AAA,
            seg("MSG", el(1, True, max_len=264), max_use=10),
            seg("LS", el(1, True), name="loop header", trailing=True),
            seg("LE", el(1, True), name="loop trailer", trailing=True),
        ),
        (
            Loop("2115" + loop, seg("III"), (), max_repeat=10, name="additional information"),
            related,
        ),
        max_repeat=0,
        name="eligibility or benefit information",
    )
    name = Loop(
        f"2100{loop}",
        _nm1((entity,), "subscriber name" if loop == "C" else "dependent name", identified=False),
        (REF, N3, N4, AAA, PRV, DMG, INS, HI, _dtp(9), seg("MPI")),
        (benefit,),
        required=True,
        name="subscriber name" if loop == "C" else "dependent name",
    )
    return Loop(
        f"2000{loop}",
        _hl(hl, "subscriber level" if loop == "C" else "dependent level", ("0", "1")),
        (_trn(("1", "2"), 3),),
        (name,),
        max_repeat=0,
        name="subscriber level" if loop == "C" else "dependent level",
    )


RESPONSE_HEADER = (bht("0022", ("06", "11")),)

RESPONSE_LOOPS = (
    Loop(
        "2000A",
        _hl("20", "information source level", ("0", "1")),
        (AAA,),
        (
            Loop(
                "2100A",
                _nm1(SOURCE_ENTITIES, "information source name", identified=True),
                (seg("PER", el(1, True, ID, codes=("IC",)), max_use=3), AAA),
                required=True,
            ),
        ),
        required=True,
        max_repeat=0,
        name="information source level",
    ),
    Loop(
        "2000B",
        _hl("21", "information receiver level", ("0", "1")),
        (),
        (
            Loop(
                "2100B",
                _nm1(RECEIVER_ENTITIES, "information receiver name", identified=True),
                (REF, AAA, PRV),
                required=True,
            ),
        ),
        max_repeat=0,
        name="information receiver level",
    ),
    _benefit_person("22", "C", "IL"),
    _benefit_person("23", "D", "03"),
)

RESPONSE = TransactionSpec("271", "271", GUIDE, RESPONSE_HEADER, RESPONSE_LOOPS)

SPECS = (INQUIRY, RESPONSE)
