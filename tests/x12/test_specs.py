"""The spec registry: guides are data, and a new guide is one more spec module."""

from __future__ import annotations

import pkgutil

import pytest

from claimflow.x12 import parse_file, specs
from claimflow.x12.spec import ID, Loop, TransactionSpec, el, seg

from .conftest import CORPUS


def test_every_spec_module_is_registered() -> None:
    modules = {m.name for m in pkgutil.iter_modules(specs.__path__) if not m.name.startswith("_")}
    assert modules == {"x212", "x214", "x221", "x222", "x223", "x224", "x231", "x279"}
    assert sorted(s.kind for s in specs.SPECS) == [
        *("270", "271", "276", "277", "277CA", "835", "837D", "837I", "837P", "999")
    ]


@pytest.mark.parametrize(
    ("guide", "kind"),
    [
        ("005010X222A1", "837P"),
        ("005010X222A2", "837P"),
        ("005010X222", "837P"),
        ("005010X223A3", "837I"),
        ("005010X224A2", "837D"),
        ("005010X221A1", "835"),
        ("005010X231A1", "999"),
        ("005010X214", "277CA"),
    ],
)
def test_guide_ids_with_any_addenda(guide: str, kind: str) -> None:
    spec = specs.spec_for_guide(guide)
    assert spec is not None
    assert spec.kind == kind


def test_unknown_guides() -> None:
    assert specs.spec_for_guide("004010X098A1") is None
    assert specs.spec_for_guide("005010X220A1") is None  # 834 enrollment: no spec


ELIGIBILITY_270 = TransactionSpec(
    "270",
    "270",
    "005010X279",
    (seg("BHT", el(1, True, ID, 4, 4), req=True),),
    (
        Loop(
            "2000A",
            seg("HL", q="20", qpos=3),
            (),
            (Loop("2100A", seg("NM1"), (), required=True),),
            required=True,
        ),
        Loop("2000B", seg("HL", q="21", qpos=3), (), (Loop("2100B", seg("NM1"), (seg("REF"),)),)),
        Loop(
            "2000C",
            seg("HL", q="22", qpos=3),
            (seg("TRN"),),
            (
                Loop(
                    "2100C",
                    seg("NM1"),
                    (seg("REF"), seg("N3"), seg("N4"), seg("DMG"), seg("DTP")),
                    (Loop("2110C", seg("EQ"), (), max_repeat=99),),
                ),
            ),
            max_repeat=0,
        ),
    ),
)


def test_a_new_guide_is_just_a_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    name = "LinuxForHealth__x12/demo-file__demo-single-line.270"
    # specs/x279.py is the real 270/271 spec; take it away to start from an unknown guide
    others = tuple(s for s in specs.SPECS if s.guide_prefix != "005010X279")
    monkeypatch.setattr(specs, "SPECS", others)
    before = parse_file(CORPUS / name, file_id="270")
    assert [t.supported for t in before.transactions] == [False]
    monkeypatch.setattr(specs, "SPECS", (*others, ELIGIBILITY_270))
    after = parse_file(CORPUS / name, file_id="270", keep_segments=True)
    assert [(t.kind, t.supported) for t in after.transactions] == [("270", True)]
    assert after.errors == []
    loops = [s["loop_id"] for s in after.tables["x12_segments"] if s["segment_id"] == "EQ"]
    assert loops == ["2110C"]
