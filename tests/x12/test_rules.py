"""The NPI check digit rule (CMS: Luhn over "80840" + the NPI's first nine digits).

Every expected check digit below is worked out by hand in the comment beside it: from the
rightmost of the nine digits leftwards, double every other digit (starting with the rightmost),
add the digits of the products and the undoubled digits, add 24 for the 80840 prefix, and the
check digit takes the total up to the next multiple of ten.
"""

from __future__ import annotations

import pytest

from claimflow.x12.rules import npi_check_digit, npi_is_valid, npi_problem

VALID = [
    # 123456789: doubled 9,7,5,3,1 -> 18,14,10,6,2 -> 9+5+1+6+2 = 23; undoubled 8+6+4+2 = 20;
    # 23 + 20 + 24 = 67 -> check digit 3 (the example in the CMS paper)
    "1234567893",
    # 124531959: doubled 9,9,3,4,1 -> 9+9+6+8+2 = 34; undoubled 5+1+5+2 = 13; 34+13+24 = 71 -> 9
    "1245319599",
    # 167957672: doubled 2,6,5,7,1 -> 4+3+1+5+2 = 15; undoubled 7+7+9+6 = 29; 15+29+24 = 68 -> 2
    "1679576722",
    # 100000002: doubled 2 and 1 -> 4+2 = 6; undoubled 0; 6 + 24 = 30 -> check digit 0
    "1000000020",
    # 100000000: doubled 1 -> 2; 2 + 24 = 26 -> 4
    "1000000004",
]


@pytest.mark.parametrize("npi", VALID)
def test_npis_with_the_right_check_digit_are_valid(npi: str) -> None:
    assert npi_is_valid(npi)


@pytest.mark.parametrize(
    ("first_nine", "check"),
    [(n[:9], int(n[9])) for n in VALID],
)
def test_check_digit_from_the_first_nine(first_nine: str, check: int) -> None:
    assert npi_check_digit(first_nine) == check


@pytest.mark.parametrize(
    "npi",
    [
        "1234567890",  # check digit should be 3
        "1234567894",  # off by one
        # adjacent digits swapped: 123456783 -> doubled 3,7,5,3,1 -> 6+5+1+6+2 = 20,
        # undoubled 8+6+4+2 = 20, 20+20+24 = 64 -> check digit 6, not 9
        "1234567839",
        "2234567893",  # first digit 1 -> 2 (a doubled place): total 67 + 2 = 69 -> check digit 1
    ],
)
def test_npis_with_a_wrong_check_digit_are_invalid(npi: str) -> None:
    assert not npi_is_valid(npi)


@pytest.mark.parametrize(
    "npi",
    [
        "",
        "123456789",  # nine digits
        "12345678931",  # eleven digits
        " 1234567893",  # padded
        "1234567893 ",
        "12345678A3",
        "1234-67893",
        # full-width digits (U+FF11...) are digits to str.isdigit, not to X12
        "".join(chr(0xFF10 + int(c)) for c in "1234567893"),
        "808401234567893",  # the 15-digit card-issuer form is not an NPI element value
    ],
)
def test_malformed_npis_are_invalid(npi: str) -> None:
    assert not npi_is_valid(npi)


@pytest.mark.parametrize("first_nine", ["12345678", "1234567890", "12345678X", ""])
def test_check_digit_needs_nine_digits(first_nine: str) -> None:
    with pytest.raises(ValueError, match="exactly nine digits"):
        npi_check_digit(first_nine)


@pytest.mark.parametrize(
    ("npi", "sentence"),
    [
        ("1234567893", None),
        (
            "1234567890",
            "NM109 holds NPI 1234567890, but by the CMS check-digit rule its last digit should "
            "be 3: the NPI is probably mistyped.",
        ),
        ("123456789", "NM109 should hold a 10-digit NPI, but it holds 9 digits."),
        ("", "NM109 should hold a 10-digit NPI, but it holds 0 digits."),
        (
            "12345678A3",
            "NM109 should hold a 10-digit NPI, but it holds characters that are not digits.",
        ),
    ],
)
def test_npi_problem_is_a_sentence_for_a_billing_analyst(npi: str, sentence: str | None) -> None:
    assert npi_problem(npi) == sentence


def test_npi_problem_names_the_field() -> None:
    assert npi_problem("1245319590", field="N104") == (
        "N104 holds NPI 1245319590, but by the CMS check-digit rule its last digit should be 9: "
        "the NPI is probably mistyped."
    )
