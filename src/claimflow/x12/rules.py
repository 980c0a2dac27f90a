"""Validation rules that are not a guide's structure: pure functions over element values.

The NPI check digit follows CMS, "Requirements for Check Digit Algorithm for the National
Provider Identifier": the Luhn formula (ISO/IEC 7812) applied to the NPI prefixed with 80840,
the health-industry card issuer prefix.
"""

from __future__ import annotations

import functools

_DIGITS = frozenset("0123456789")
# Luhn over "80840" + NPI: the prefix's own share of the sum is constant (8, 0, 8, 4, 0 with
# 8, 8 and 0 in the undoubled positions and 0, 4 doubled: 8 + 0 + 8 + 8 + 0 = 24)
_PREFIX_SUM = 24


def npi_check_digit(first_nine: str) -> int:
    """The check digit (10th digit) an NPI must end in, from its first nine digits.

    Args:
        first_nine: The first nine digits of the NPI.

    Returns:
        The check digit, 0 to 9.

    Raises:
        ValueError: When ``first_nine`` is not exactly nine ASCII digits.
    """
    if len(first_nine) != 9 or not _DIGITS.issuperset(first_nine):
        raise ValueError("An NPI check digit is computed from exactly nine digits.")
    total = _PREFIX_SUM
    # from the rightmost digit leftwards, every other digit (starting with the rightmost) is
    # doubled, and a two-digit result counts as the sum of its digits
    for i, char in enumerate(reversed(first_nine)):
        digit = ord(char) - 48
        if i % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


@functools.lru_cache(maxsize=8192)  # files repeat a few billing and rendering NPIs many times
def npi_is_valid(npi: str) -> bool:
    """Whether ``npi`` is ten ASCII digits whose last digit is the CMS check digit.

    Args:
        npi: The identifier as it appears in the file (e.g. NM109 with NM108 ``XX``).

    Returns:
        True when the NPI is well formed and its check digit is right.
    """
    if len(npi) != 10 or not _DIGITS.issuperset(npi):
        return False
    return npi_check_digit(npi[:9]) == ord(npi[9]) - 48


def npi_problem(npi: str, field: str = "NM109") -> str | None:
    """A sentence for a billing analyst when ``npi`` is not a valid NPI, else None.

    Args:
        npi: The identifier as it appears in the file.
        field: Where it sits, for the sentence (e.g. ``NM109`` or ``N104``).

    Returns:
        None for a valid NPI, else what is wrong with it.
    """
    if npi_is_valid(npi):
        return None
    if not _DIGITS.issuperset(npi):
        return f"{field} should hold a 10-digit NPI, but it holds characters that are not digits."
    if len(npi) != 10:
        return f"{field} should hold a 10-digit NPI, but it holds {len(npi)} digits."
    return (
        f"{field} holds NPI {npi}, but by the CMS check-digit rule its last digit should be "
        f"{npi_check_digit(npi[:9])}: the NPI is probably mistyped."
    )
