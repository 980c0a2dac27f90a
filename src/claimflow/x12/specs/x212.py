"""276/277 Health Care Claim Status Request and Response (005010X212): spec data.

Both transaction sets share the guide id, so this module registers two specs (``SPECS``). No
extractor maps them to canonical tables yet: their sets are recognised, their loops built and
their structure and elements validated.
"""

from __future__ import annotations

from claimflow.x12.spec import DT, ID, Element, Loop, R, Seg, TransactionSpec, bht, el, seg
from claimflow.x12.spec import hl as _hl

GUIDE = "005010X212"
_DATE_FORMATS = ("D8", "RD8")
_SERVICE_QUALIFIERS = ("AD", "ER", "HC", "HP", "IV", "N4", "NU", "WK")


def _nm1(
    entity: str | tuple[str, ...],
    name: str,
    *,
    types: tuple[str, ...] = ("1", "2"),
    last_name: bool = True,
    id_codes: tuple[str, ...] | None = None,
) -> Seg:
    entities = (entity,) if isinstance(entity, str) else entity
    rules: tuple[Element, ...] = (
        el(1, True, ID, 2, 3, codes=entities, name="NM101 entity identifier code"),
        el(2, True, ID, 1, 1, codes=types, name="NM102 entity type qualifier"),
        el(3, last_name, max_len=60, name="NM103 name"),
    )
    if id_codes is not None:
        rules += (
            el(8, True, ID, 1, 2, codes=id_codes, name="NM108 identification code qualifier"),
            el(9, True, min_len=2, max_len=80, name="NM109 identification code"),
        )
    return seg("NM1", *rules, q=entities, name=name)


def _dtp(required: bool, name: str) -> Seg:
    return seg(
        "DTP",
        el(1, True, ID, 3, 3, codes=("472",), name="DTP01 date qualifier"),
        el(2, True, ID, 2, 3, codes=_DATE_FORMATS, name="DTP02 date format"),
        el(3, True, max_len=35, name="DTP03 service date"),
        req=required,
        name=name,
    )


def _ref(codes: tuple[str, ...], max_use: int, name: str) -> Seg:
    return seg(
        "REF",
        el(1, True, ID, 2, 3, codes=codes, name="REF01 reference qualifier"),
        el(2, True, max_len=50, name="REF02 reference identification"),
        max_use=max_use,
        name=name,
    )


def _trn(trace_type: str) -> Seg:
    return seg(
        "TRN",
        el(1, True, ID, 1, 2, codes=(trace_type,), name="TRN01 trace type code"),
        el(2, True, max_len=50, name="TRN02 trace number"),
        name="claim status tracking number",
    )


def _dmg(required: bool) -> Seg:
    return seg(
        "DMG",
        el(1, True, ID, 2, 3, codes=("D8",), name="DMG01 date format"),
        el(2, True, DT, name="DMG02 birth date"),
        el(3, False, ID, 1, 1, codes=("F", "M", "U"), name="DMG03 gender"),
        req=required,
        name="demographic information",
    )


def _svc(*extra: Element) -> Seg:
    return seg(
        "SVC",
        el(1, True, name="SVC01 procedure"),
        el(1, True, ID, 2, 2, codes=_SERVICE_QUALIFIERS, component=1, name="SVC01-1"),
        el(1, True, component=2, name="SVC01-2 procedure code"),
        el(2, True, R, max_len=18, name="SVC02 line charge"),
        *extra,
        name="service line information",
    )


# ------------------------------------------------------------------------------ 276 request

REQUEST_REFS = ("1K", "BLT", "LU", "6P", "EJ", "XZ", "D9")


def _request_claim(loop_id: str, line_id: str, *, required: bool) -> Loop:
    line = Loop(
        line_id,
        _svc(),
        (_ref(("FJ",), 1, "line item control number"), _dtp(True, "service line date")),
        max_repeat=0,
        name="service line information",
    )
    return Loop(
        loop_id,
        _trn("1"),
        (
            _ref(REQUEST_REFS, len(REQUEST_REFS), "claim identification"),
            seg(
                "AMT",
                el(1, True, ID, codes=("T3",), name="AMT01 amount qualifier"),
                el(2, True, R, max_len=18, name="AMT02 total claim charge"),
                name="claim submitted charges",
            ),
            _dtp(False, "claim service date"),
        ),
        (line,),
        required=required,
        max_repeat=0,
        name="claim status tracking number",
    )


REQUEST_HEADER = (bht("0010", ("13",), reference=True),)

REQUEST_LOOPS = (
    Loop(
        "2000A",
        _hl("20", "information source level", ("1",)),
        (),
        (Loop("2100A", _nm1("PR", "payer name", id_codes=("PI", "XV")), required=True),),
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
                _nm1("41", "information receiver name", last_name=False, id_codes=("46",)),
                required=True,
            ),
        ),
        required=True,
        max_repeat=0,
        name="information receiver level",
    ),
    Loop(
        "2000C",
        _hl("19", "service provider level", ("1",)),
        (),
        (
            Loop(
                "2100C",
                _nm1("1P", "provider name", last_name=False, id_codes=("FI", "SV", "XX")),
                required=True,
                max_repeat=2,
            ),
        ),
        required=True,
        max_repeat=0,
        name="service provider level",
    ),
    Loop(
        "2000D",
        _hl("22", "subscriber level", ("0", "1")),
        (_dmg(False),),
        (
            Loop(
                "2100D",
                _nm1("IL", "subscriber name", id_codes=("24", "II", "MI")),
                required=True,
            ),
            _request_claim("2200D", "2210D", required=False),
        ),
        required=True,
        max_repeat=0,
        name="subscriber level",
    ),
    Loop(
        "2000E",
        _hl("23", "dependent level", None),
        (_dmg(True),),
        (
            Loop("2100E", _nm1("QC", "patient name", types=("1",)), required=True),
            _request_claim("2200E", "2210E", required=True),
        ),
        max_repeat=0,
        name="dependent level",
    ),
)

REQUEST = TransactionSpec("276", "276", GUIDE, REQUEST_HEADER, REQUEST_LOOPS)

# ------------------------------------------------------------------------------ 277 response

STC = seg(
    "STC",
    el(1, True, name="STC01 health care claim status"),
    el(1, True, component=1, name="STC01-1 status category code"),
    el(1, True, component=2, name="STC01-2 status code"),
    el(2, True, DT, name="STC02 status information effective date"),
    req=True,
    max_use=0,
    name="status information",
)
RESPONSE_REFS = ("1K", "BLT", "EJ", "XZ", "VV", "D9")


def _response_claim(loop_id: str, line_id: str, *, required: bool) -> Loop:
    line = Loop(
        line_id,
        _svc(el(3, True, R, max_len=18, name="SVC03 line paid")),
        (STC, _ref(("FJ",), 1, "line item control number"), _dtp(True, "service line date")),
        max_repeat=0,
        name="service line information",
    )
    return Loop(
        loop_id,
        _trn("2"),
        (
            STC,
            _ref(RESPONSE_REFS, len(RESPONSE_REFS), "claim identification"),
            _dtp(False, "claim service date"),
        ),
        (line,),
        required=required,
        max_repeat=0,
        name="claim status tracking number",
    )


RESPONSE_HEADER = (bht("0010", ("08",), reference=True, types=("DG",)),)

RESPONSE_LOOPS = (
    Loop(
        "2000A",
        _hl("20", "information source level", ("1",)),
        (),
        (
            Loop(
                "2100A",
                _nm1("PR", "payer name", types=("2",), id_codes=("PI", "XV")),
                (seg("PER", el(1, True, ID, codes=("IC",)), name="payer contact information"),),
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
                _nm1("41", "information receiver name", last_name=False, id_codes=("46",)),
                required=True,
            ),
            Loop("2200B", _trn("2"), (STC,), name="information receiver status"),
        ),
        required=True,
        max_repeat=0,
        name="information receiver level",
    ),
    Loop(
        "2000C",
        _hl("19", "service provider level", ("0", "1")),
        (),
        (
            Loop(
                "2100C",
                _nm1("1P", "provider name", last_name=False, id_codes=("FI", "SV", "XX")),
                required=True,
                max_repeat=2,
            ),
            Loop("2200C", _trn("1"), (STC,), name="provider of service status"),
        ),
        max_repeat=0,
        name="service provider level",
    ),
    Loop(
        "2000D",
        _hl("22", "subscriber level", ("0", "1")),
        (),
        (
            Loop(
                "2100D",
                _nm1("IL", "subscriber name", id_codes=("24", "II", "MI")),
                required=True,
            ),
            _response_claim("2200D", "2220D", required=False),
        ),
        max_repeat=0,
        name="subscriber level",
    ),
    Loop(
        "2000E",
        _hl("23", "dependent level", None),
        (),
        (
            Loop("2100E", _nm1("QC", "patient name", types=("1",)), required=True),
            _response_claim("2200E", "2220E", required=True),
        ),
        max_repeat=0,
        name="dependent level",
    ),
)

RESPONSE = TransactionSpec("277", "277", GUIDE, RESPONSE_HEADER, RESPONSE_LOOPS)

SPECS = (REQUEST, RESPONSE)
