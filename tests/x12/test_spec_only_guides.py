"""Guides added as spec files only: 270/271 (005010X279A1) and 276/277 (005010X212).

No parser code and no extractor know these sets: ``specs/x279.py`` and ``specs/x212.py`` are
data. The sets must be recognised, their loops built and their structure and elements checked,
with errors that name the segment and the loop; no canonical rows come out of them.

The files below are written by hand after the examples of the two guides (TR3 section 3).
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from claimflow.x12 import ParseResult, X12ValidationError, iter_segments, parse_bytes, specs
from claimflow.x12.spec import LoopBuilder

from .conftest import CORPUS, manifest

ISA = (
    "ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*RECEIVER       "
    "*240301*0930*^*00501*000000001*0*T*:~"
)


def interchange(functional_id: str, st01: str, guide: str, body: str) -> bytes:
    """Wrap one transaction set's body (segments between ST and SE) in ST/SE, GS/GE, ISA/IEA."""
    count = len([s for s in body.split("~") if s.strip()]) + 2
    return (
        f"{ISA}\nGS*{functional_id}*SUBMITTER*RECEIVER*20240301*0930*1*X*{guide}~\n"
        f"ST*{st01}*0001*{guide}~\n{body.strip()}\nSE*{count}*0001~\nGE*1*1~\nIEA*1*000000001~\n"
    ).encode()


# 270: an eligibility inquiry for a subscriber (X279A1 example 1, health benefit plan coverage)
BODY_270 = """
BHT*0022*13*10001234*20240301*1319~
HL*1**20*1~
NM1*PR*2*ABC COMPANY*****PI*842610001~
HL*2*1*21*1~
NM1*1P*2*BONE AND JOINT CLINIC*****SV*2000035~
HL*3*2*22*0~
TRN*1*93175-012547*9877281234~
NM1*IL*1*SMITH*ROBERT****MI*11122333301~
DMG*D8*19430519~
DTP*291*D8*20240301~
EQ*30~
"""

# 271: the answer, with a benefit-related entity in an LS/LE wrapper
BODY_271 = """
BHT*0022*11*10001234*20240301*1319~
HL*1**20*1~
NM1*PR*2*ABC COMPANY*****PI*842610001~
HL*2*1*21*1~
NM1*1P*2*BONE AND JOINT CLINIC*****SV*2000035~
HL*3*2*22*0~
TRN*2*93175-012547*9877281234~
NM1*IL*1*SMITH*JOHN****MI*123456789~
N3*15197 BROADWAY AVENUE*APT 215~
N4*KANSAS CITY*MO*64108~
DMG*D8*19630519*M~
DTP*346*D8*20240101~
EB*1**30**GOLD 123 PLAN~
EB*L~
LS*2120~
NM1*P3*1*JONES*MARCUS****SV*0202034~
LE*2120~
EB*B**1^33^35^47^86^88^98^AL^MH^UC*HM*GOLD 123 PLAN*27*10.00*****Y~
"""

# 276: a claim status request for a subscriber's claim and a dependent's service line
BODY_276 = """
BHT*0010*13*ABC276XXX*20240301*1425~
HL*1**20*1~
NM1*PR*2*ABC INSURANCE*****PI*12345~
HL*2*1*21*1~
NM1*41*2*XYZ SERVICE*****46*X67E~
HL*3*2*19*1~
NM1*1P*2*HOME HOSPITAL*****XX*1666666661~
HL*4*3*22*0~
DMG*D8*19301210*M~
NM1*IL*1*SMITH*FRED****MI*123456789A~
TRN*1*ABCXYZ1~
REF*BLT*111~
REF*EJ*SM123456~
AMT*T3*8513.88~
DTP*472*RD8*20240131-20240206~
HL*5*3*22*1~
NM1*IL*1*MANN*JOHN****MI*345678901~
HL*6*5*23~
DMG*D8*19951101*M~
NM1*QC*1*MANN*JOSEPH~
TRN*1*ABCXYZ3~
REF*EJ*MA345678~
SVC*HC:99203*150*****1~
DTP*472*D8*20240201~
"""

# 277: the payer's answer to that request
BODY_277 = """
BHT*0010*08*277X212*20240302*0810*DG~
HL*1**20*1~
NM1*PR*2*ABC INSURANCE*****PI*12345~
HL*2*1*21*1~
NM1*41*2*XYZ SERVICE*****46*X67E~
HL*3*2*19*1~
NM1*1P*2*HOME HOSPITAL*****XX*1666666661~
HL*4*3*22*0~
NM1*IL*1*SMITH*FRED****MI*123456789A~
TRN*2*ABCXYZ1~
STC*P3:317*20240301**8513.88~
REF*1K*05347006051~
REF*BLT*111~
REF*EJ*SM123456~
DTP*472*RD8*20240131-20240206~
HL*5*3*22*1~
NM1*IL*1*MANN*JOHN****MI*345678901~
HL*6*5*23~
NM1*QC*1*MANN*JOSEPH~
TRN*2*ABCXYZ3~
STC*F2:88:QC*20240301**150.00*0.00~
REF*1K*051681010827~
REF*EJ*MA345678~
SVC*HC:99203*150.00*0.00****1.00~
STC*F2:88:QC*20240301~
DTP*472*D8*20240201~
"""

SETS = {
    "270": ("HS", "005010X279A1", BODY_270),
    "271": ("HB", "005010X279A1", BODY_271),
    "276": ("HR", "005010X212", BODY_276),
    "277": ("HN", "005010X212", BODY_277),
}
# where the generic loop builder must put some segments: every (segment, loop) of these ids
LOOPS = {
    "270": [("TRN", "2000C"), ("DMG", "2100C"), ("DTP", "2100C"), ("EQ", "2110C")],
    "271": [
        *[("NM1", "2100A"), ("NM1", "2100B"), ("NM1", "2100C")],
        *[("EB", "2110C"), ("EB", "2110C"), ("LS", "2110C"), ("NM1", "2120C"), ("LE", "2110C")],
        ("EB", "2110C"),
    ],
    "276": [
        *[("DMG", "2000D"), ("TRN", "2200D"), ("AMT", "2200D"), ("DTP", "2200D")],
        *[("DMG", "2000E"), ("TRN", "2200E"), ("SVC", "2210E"), ("DTP", "2210E")],
    ],
    "277": [
        *[("TRN", "2200D"), ("STC", "2200D"), ("DTP", "2200D"), ("TRN", "2200E")],
        *[("STC", "2200E"), ("SVC", "2220E"), ("STC", "2220E"), ("DTP", "2220E")],
    ],
}
REQUESTS = ["270", "276"]
RESPONSES = ["271", "277"]


def parse(kind: str, body: str | None = None) -> ParseResult:
    functional_id, guide, default = SETS[kind]
    data = interchange(functional_id, kind, guide, body if body is not None else default)
    return parse_bytes(data, file_id=kind, keep_segments=True)


def placed(result: ParseResult, kind: str) -> list[tuple[str, str]]:
    wanted = {sid for sid, _ in LOOPS[kind]}
    return [
        (s["segment_id"], s["loop_id"])
        for s in result.tables["x12_segments"]
        if s["segment_id"] in wanted
    ]


Problem = tuple[str, str, str, int | None]


def build_segments(
    kind: str, segments: Iterable[tuple[str, list[str]]]
) -> tuple[list[Problem], list[tuple[str, str]]]:
    """Run one set's segments (ST and SE excluded) through the generic loop builder with the
    registered spec, without the envelope.

    Returns the problems reported, as (segment id, error code, loop id, element position), and
    (segment id, loop id) of each segment.
    """
    spec = specs.spec_for_kind(kind)
    assert spec is not None
    found: list[Problem] = []
    loops: list[tuple[str, str]] = []
    here = {"sid": ""}

    def sink(code: str, x12_code: str, message: str, **where: object) -> None:
        element = where.get("element")
        found.append(
            (
                str(where.get("missing") or here["sid"]),
                code,
                str(where.get("loop_id")),
                element if isinstance(element, int) else None,
            )
        )

    builder = LoopBuilder(spec, sink)
    for sid, els in segments:
        here["sid"] = sid
        loops.append((sid, builder.feed(sid, els, ":")))
    here["sid"] = "SE"
    builder.finish()
    return found, loops


def build(kind: str, body: str) -> list[Problem]:
    """Problems the spec finds in a hand-written body (``*`` elements, ``~`` terminators)."""
    segments = [s.strip().split("*") for s in body.split("~") if s.strip()]
    return build_segments(kind, [(els[0], els) for els in segments])[0]


def errors(result: ParseResult) -> list[tuple[str | None, str, str | None, int | None]]:
    return [(e.segment_id, e.code, e.loop_id, e.element_position) for e in result.errors]


# ------------------------------------------------------------------------------ registry


def test_the_four_sets_are_registered_from_two_spec_modules() -> None:
    by_kind = {s.kind: s for s in specs.SPECS}
    assert {k: (by_kind[k].transaction_set, by_kind[k].guide_prefix) for k in SETS} == {
        "270": ("270", "005010X279"),
        "271": ("271", "005010X279"),
        "276": ("276", "005010X212"),
        "277": ("277", "005010X212"),
    }


@pytest.mark.parametrize(
    ("guide", "st01", "kind"),
    [
        ("005010X279A1", "270", "270"),
        ("005010X279A1", "271", "271"),
        ("005010X212", "276", "276"),
        ("005010X212", "277", "277"),
        ("005010X214", "277", "277CA"),  # the 277CA keeps its own guide
    ],
)
def test_a_guide_shared_by_two_sets_is_told_apart_by_st01(guide: str, st01: str, kind: str) -> None:
    spec = specs.spec_for_guide(guide, transaction_set=st01)
    assert spec is not None
    assert spec.kind == kind


def test_a_set_that_is_not_in_the_guide_finds_no_spec() -> None:
    assert specs.spec_for_guide("005010X212", transaction_set="835") is None


# ------------------------------------------------------------------------------ the specs alone


@pytest.mark.parametrize("kind", list(SETS))
def test_hand_written_set_is_clean_for_its_spec(kind: str) -> None:
    segments = [s.strip().split("*") for s in SETS[kind][2].split("~") if s.strip()]
    problems, loops = build_segments(kind, [(els[0], els) for els in segments])
    assert problems == []
    wanted = {sid for sid, _ in LOOPS[kind]}
    assert [(sid, loop) for sid, loop in loops if sid in wanted] == LOOPS[kind]


@pytest.mark.parametrize(
    ("kind", "old", "new", "expected"),
    [
        # a required segment missing: the dependent's demographics (2000E DMG)
        ("276", "DMG*D8*19951101*M~\n", "", ("DMG", "segment_missing", "2000E", None)),
        # a bad code: NM108 of the payer must be PI or XV
        ("276", "*****PI*12345~", "*****ZZ*12345~", ("NM1", "element_invalid", "2100A", 8)),
        # the service line's date (2210E DTP) is required
        ("276", "DTP*472*D8*20240201~\n", "", ("DTP", "segment_missing", "2210E", None)),
        # the information receiver name loop (2100B) is required
        (
            "270",
            "NM1*1P*2*BONE AND JOINT CLINIC*****SV*2000035~\n",
            "",
            ("NM1", "loop_missing", "2100B", None),
        ),
        # DMG03 gender must be F, M or U
        ("271", "DMG*D8*19630519*M~", "DMG*D8*19630519*Q~", ("DMG", "element_invalid", "2100C", 3)),
        # EB01 is a coded eligibility or benefit information code
        ("271", "EB*L~", "EB*ZZ~", ("EB", "element_invalid", "2110C", 1)),
        # each claim status tracking number (2200D) needs a status (STC)
        (
            "277",
            "STC*P3:317*20240301**8513.88~\n",
            "",
            ("STC", "segment_missing", "2200D", None),
        ),
        # TRN01 of a 277 claim is 2 (referenced transaction)
        ("277", "TRN*2*ABCXYZ1~", "TRN*9*ABCXYZ1~", ("TRN", "element_invalid", "2200D", 1)),
    ],
)
def test_broken_set_names_segment_and_loop(
    kind: str, old: str, new: str, expected: tuple[str, str, str, int | None]
) -> None:
    body = SETS[kind][2]
    assert old in body
    assert build(kind, body.replace(old, new, 1)) == [expected]


# ------------------------------------------------------------------------------ through the parser


@pytest.mark.parametrize("kind", [*REQUESTS, *RESPONSES])
def test_hand_written_set_is_recognised_and_validates_clean(kind: str) -> None:
    result = parse(kind)
    assert [(t.kind, t.supported, t.valid) for t in result.transactions] == [(kind, True, True)]
    assert result.errors == []
    assert result.warnings == []
    # no extractor maps these sets yet: nothing but the raw segments comes out
    assert {name for name, rows in result.tables.items() if rows} == {"x12_segments"}
    assert placed(result, kind) == LOOPS[kind]


def _only(result: ParseResult) -> X12ValidationError:
    (error,) = result.errors
    return error


def test_parser_reports_a_missing_segment_with_segment_and_loop() -> None:
    result = parse("276", BODY_276.replace("DMG*D8*19951101*M~\n", ""))
    error = _only(result)
    assert (error.segment_id, error.loop_id, error.segment_error_code) == ("DMG", "2000E", "3")
    assert error.message == (
        "Required segment DMG (demographic information) is missing from loop 2000E."
    )
    assert (error.isa13, error.gs06, error.st02) == ("000000001", "1", "0001")
    assert not result.transactions[0].valid


def test_parser_reports_a_bad_code_with_segment_loop_and_element() -> None:
    result = parse("270", BODY_270.replace("HL*3*2*22*0~", "HL*3*2*22*7~"))
    error = _only(result)
    assert (error.segment_id, error.loop_id, error.element_position) == ("HL", "2000C", 4)
    assert (error.element_error_code, error.bad_value) == ("7", "7")
    assert "HL04 hierarchical child code holds '7'" in error.message
    # HL*3 is the 7th segment of the set (ST, BHT, HL, NM1, HL, NM1, HL)
    assert error.segment_position == 7


@pytest.mark.parametrize(
    "kind",
    [
        "271",
        "277",
    ],
)
def test_parser_reports_errors_in_response_sets(kind: str) -> None:
    broken = {
        "271": BODY_271.replace("EB*L~", "EB*ZZ~"),
        "277": BODY_277.replace("TRN*2*ABCXYZ1~", "TRN*9*ABCXYZ1~"),
    }[kind]
    error = _only(parse(kind, broken))
    assert (error.segment_id, error.loop_id, error.element_position) == {
        "271": ("EB", "2110C", 1),
        "277": ("TRN", "2200D", 1),
    }[kind]


# ------------------------------------------------------------------------------ the corpus


SAMPLES = [r for r in manifest() if r["transaction_set"] in SETS]


def test_corpus_samples_of_the_four_sets_are_clean_for_their_specs() -> None:
    """Every corpus 270/271/276/277 builds without a structure or element error."""
    assert len(SAMPLES) == 15
    for row in SAMPLES:
        segments = [
            (sid, els)
            for sid, els in iter_segments((CORPUS / row["file"]).read_bytes())
            if sid not in ("ISA", "GS", "ST", "SE", "GE", "IEA")
        ]
        problems, _ = build_segments(row["transaction_set"], segments)
        assert problems == [], row["file"]
