"""Conformance over the public corpus: every file reads without an unexpected exception.

Each file yields rows, or errors with coordinates, or is identified as an unsupported guide.
Expectations come from MANIFEST.tsv (segment counts, transaction-set kinds, notes).
"""

from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest

from claimflow.x12 import ErrorLevel, X12Error, iter_segments, parse_file

from .conftest import CORPUS, manifest

ROWS = manifest()
IDS = [r["file"].split("/")[-1][-60:] for r in ROWS]
SUPPORTED = {"835": "835", "837P": "837P", "837I": "837I", "837D": "837D", "999": "999"}
SUPPORTED["277CA"] = "277CA"
SPEC_ONLY = ("270", "271", "276", "277")  # specs/x279.py and specs/x212.py: no extractor


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_segment_count_matches_manifest(row: dict[str, str]) -> None:
    with (CORPUS / row["file"]).open("rb") as stream:
        assert sum(1 for _ in iter_segments(stream)) == int(row["segments"])


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_every_file_reads_in_collect_mode(row: dict[str, str]) -> None:
    result = parse_file(CORPUS / row["file"], file_id=row["file"])
    produced = any(result.tables[t] for t in result.tables)
    unsupported = any(not t.supported for t in result.transactions)
    spec_only = bool(result.transactions) and all(t.kind in SPEC_ONLY for t in result.transactions)
    assert produced or result.errors or unsupported or spec_only
    for error in result.errors:
        assert error.file_id == row["file"]
        assert error.segment_id is not None
        assert error.message
    kind = row["transaction_set"]
    if kind in SUPPORTED and "INCOMPLETE" not in row["notes"]:
        assert SUPPORTED[kind] in {t.kind for t in result.transactions}
    elif "(4010)" in kind:
        # Dated 4010 guide ids are unsupported; a scrambled id is read from content, with a
        # warning that says so.
        codes = {w.code for w in result.warnings}
        assert codes & {"unsupported_guide", "guide_inferred"}
    elif kind in SPEC_ONLY:
        # recognised from their spec files (271/277 share their guide id with 270/276 and are
        # told apart by ST01) and validated, but no extractor makes rows of them
        assert result.transactions
        assert {t.kind for t in result.transactions} == {kind}
        assert all(not rows for rows in result.tables.values())


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_strict_mode_raises_only_our_errors(row: dict[str, str]) -> None:
    with contextlib.suppress(X12Error):
        parse_file(CORPUS / row["file"], file_id="f", level=ErrorLevel.STRICT)


def test_clean_fixtures_of_supported_guides_have_no_errors() -> None:
    """stupidedi's 'pass' fixtures are validated by that project; we must not flag them."""
    clean = [
        r
        for r in ROWS
        if "/pass/" in r["source_path"]
        and r["transaction_set"] in SUPPORTED
        and "X223A2" not in r["source_path"]  # two of these use DTP formats we check strictly
    ]
    assert len(clean) >= 20
    for row in clean:
        result = parse_file(CORPUS / row["file"], file_id="f")
        assert result.errors == [], (row["file"], [e.describe() for e in result.errors])


def test_gs08_and_st03_disagreement_is_a_warning() -> None:
    row = next(
        r for r in ROWS if "GS08 (005010X222) disagrees with ST03 (005010X223)" in r["notes"]
    )
    result = parse_file(CORPUS / row["file"], file_id="f")
    assert "guide_mismatch" in {w.code for w in result.warnings}
    assert {t.kind for t in result.transactions} == {"837I"}


def test_non_standard_gs08_is_recognised_from_content() -> None:
    row = next(r for r in ROWS if "non-standard GS08 '5010'" in r["notes"])
    result = parse_file(CORPUS / row["file"], file_id="f")
    assert "guide_inferred" in {w.code for w in result.warnings}


def test_reversal_keeps_negative_amounts() -> None:
    row = next(r for r in ROWS if "22 (reversal)" in r["notes"])
    result = parse_file(CORPUS / row["file"], file_id="f")
    reversals = [c for c in result.tables["adjudication"] if c["claim_status_code"] == "22"]
    assert {c["record_type"] for c in reversals} == {"reversal"}
    amounts = {(c["total_charge"], c["paid_amount"]) for c in reversals}
    # CLP*123456*22*-42.58*-42.58 and CLP*090909*22*-86.76*-86.76 in the raw file
    assert {
        (Decimal("-42.58"), Decimal("-42.58")),
        (Decimal("-86.76"), Decimal("-86.76")),
    } <= amounts
