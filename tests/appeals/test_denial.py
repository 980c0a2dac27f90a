"""Denial fields by rule: a DRG only when written as a 3-digit number in a DRG context, the
deadline from a written date or the letter date + N days."""

from __future__ import annotations

import datetime as dt

import pytest

from claimflow.appeals.denial import UNKNOWN, parse_date, read_denial, shown
from tests.appeals.fixtures.cases import NO_DRG_LETTER, SEPSIS_LETTER


def test_the_sepsis_letter() -> None:
    d = read_denial(SEPSIS_LETTER)
    assert d.account_number == "H100234567"
    assert d.claim_number == "CLM-2025-00918"
    assert d.member_id == "XJ4429910"
    assert d.payer == "Acme Health Plan"
    assert d.letter_date == dt.date(2025, 3, 14)
    assert (d.admitted, d.discharged) == (dt.date(2025, 3, 1), dt.date(2025, 3, 7))
    # the DRG sentence wraps onto the next line: read across the break
    assert (d.original_drg, d.proposed_drg) == ("871", "872")
    assert d.appeal_deadline == dt.date(2025, 3, 14) + dt.timedelta(days=60)
    assert d.deadline_rule is not None and "60 days" in d.deadline_rule


def test_a_letter_without_drg_numbers_says_unknown_never_a_guess() -> None:
    d = read_denial(NO_DRG_LETTER)
    assert (d.original_drg, d.proposed_drg) == (None, None)
    assert shown(d.original_drg) == UNKNOWN == shown(d.proposed_drg)
    assert d.account_number == "55512345"
    assert d.payer == "Beacon Health"
    assert d.letter_date == dt.date(2025, 4, 2)
    assert d.appeal_deadline == dt.date(2025, 6, 1)
    assert d.deadline_rule == "written: 2025-06-01"


@pytest.mark.parametrize(
    ("text", "original", "proposed"),
    [
        ("Original DRG: 189\nRevised DRG: 190", "189", "190"),
        ("Billed MS-DRG 871; approved MS-DRG 690.", "871", "690"),
        ("The claim was billed with DRG #207. After review DRG 207 was downgraded to 208.",
         "207", "208"),
        ("We changed the MS-DRG from 871 to 872.", "871", "872"),
        ("DRG 871 -> DRG 872", "871", "872"),
        ("Proposed DRG: 690", None, "690"),
        ("DRG 8710 was changed to 8720.", None, None),  # not 3-digit numbers
        ("DRG 87l was changed to DRG 872.", None, "872"),  # an OCR 'l' is not a digit
        ("The DRG for sepsis with MCC was changed to the one without.", None, None),
        ("Account 871234. Please pay within 872 days.", None, None),  # numbers, no DRG context
    ],
)  # fmt: skip
def test_drgs_only_as_written_numbers(
    text: str, original: str | None, proposed: str | None
) -> None:
    d = read_denial(text)
    assert (d.original_drg, d.proposed_drg) == (original, proposed)


@pytest.mark.parametrize(
    ("text", "deadline"),
    [
        ("Date: 01/10/2025\nSubmit an appeal within 30 days of the date of this letter.",
         dt.date(2025, 2, 9)),
        ("March 3, 2025\nAppeals must be filed within ninety days of this notice.",
         dt.date(2025, 6, 1)),
        ("2025-03-03\nYou may request reconsideration within 10 business days of receipt.",
         dt.date(2025, 3, 17)),  # Mon 3 March + 10 working days = Mon 17 March
        ("Date: 2025-03-03\nYour appeal must be received by April 15, 2025.",
         dt.date(2025, 4, 15)),
    ],
)  # fmt: skip
def test_deadlines(text: str, deadline: dt.date) -> None:
    assert read_denial(text).appeal_deadline == deadline


def test_a_relative_deadline_without_a_letter_date_is_unknown_and_says_why() -> None:
    d = read_denial("Please appeal within 45 days of the date of this letter.")
    assert d.letter_date is None
    assert d.appeal_deadline is None
    assert d.deadline_rule is not None and "unknown" in d.deadline_rule


def test_the_letter_date_is_not_a_date_of_service() -> None:
    text = "Dates of Service: 03/01/2025 - 03/07/2025\nMarch 20, 2025\nDear Provider"
    d = read_denial(text)
    assert d.letter_date == dt.date(2025, 3, 20)


def test_known_payer_names_and_no_payer() -> None:
    assert read_denial("UnitedHealthcare\nDear provider").payer == "UnitedHealthcare"
    assert read_denial("Dear provider, the claim was reviewed.").payer is None


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("March 5, 2025", dt.date(2025, 3, 5)),
        ("Mar. 5th, 2025", dt.date(2025, 3, 5)),
        ("5 March 2025", dt.date(2025, 3, 5)),
        ("03/05/2025", dt.date(2025, 3, 5)),
        ("2025-03-05", dt.date(2025, 3, 5)),
        ("02/30/2025", None),
    ],
)
def test_parse_date(text: str, date: dt.date | None) -> None:
    assert parse_date(text) == date


def test_an_identifier_ocr_split_with_a_space_is_joined_on_its_line() -> None:
    d = read_denial("Claim Number: 20252744767 22\nMember ID: W599693679\nDear Provider,")
    assert d.claim_number == "2025274476722"
    assert d.member_id == "W599693679"
    # a label in running text takes the identifier after it, not the words
    assert read_denial("charged on account of 2 days").account_number is None


def test_the_letterhead_names_the_payer() -> None:
    text = "Lakeshore Medicare Advantage\nClaims Review\n\nDear Provider,\nMedicare rules apply."
    assert read_denial(text).payer == "Lakeshore Medicare Advantage"
    text = "Northwind\nPO Box 1\n\nNorthwind has completed a review."
    assert read_denial(text).payer == "Northwind"  # named again in the letter
    assert read_denial("RE: your claim\nDear provider").payer is None
