"""Shared X12 text helpers: amounts, dates, envelopes. Segments end with ``~`` and a newline."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

T = "~\n"
"""Segment terminator (a newline after ``~`` keeps files readable; the guides allow it)."""

SUBMITTER_ID = "CFSUBMIT01"
CLEARINGHOUSE_ID = "CFCLEARHSE"
CLEARINGHOUSE_NAME = "CLAIMFLOW CLEARINGHOUSE"


_FRAC = tuple("" if f == 0 else (f".{f // 10}" if f % 10 == 0 else f".{f:02d}") for f in range(100))


@lru_cache(maxsize=1 << 16)
def money(cents: int) -> str:
    """An X12 ``R`` amount: no trailing zeros after the point, ``-`` for negatives."""
    if cents < 0:
        return "-" + str(-cents // 100) + _FRAC[-cents % 100]
    return str(cents // 100) + _FRAC[cents % 100]


@lru_cache(maxsize=4096)
def d8(day: dt.date) -> str:
    """CCYYMMDD (memoised: a few hundred distinct dates are formatted millions of times)."""
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def envelope_open(
    ctl: int, day: dt.date, gs01: str, version: str, sender: str, receiver: str
) -> str:
    """ISA and GS for one interchange holding one functional group (both numbered ``ctl``)."""
    yymmdd = f"{day.year % 100:02d}{day.month:02d}{day.day:02d}"
    return (
        f"ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*{receiver:<15}*{yymmdd}*1200*^*00501"
        f"*{ctl:09d}*0*P*:{T}GS*{gs01}*{sender}*{receiver}*{d8(day)}*1200*{ctl}*X*{version}{T}"
    )


def envelope_close(ctl: int, n_sets: int) -> str:
    """GE and IEA."""
    return f"GE*{n_sets}*{ctl}{T}IEA*1*{ctl:09d}{T}"


def composite(*parts: str) -> str:
    """A composite element with its trailing empty components dropped."""
    items = list(parts)
    while items and items[-1] == "":
        items.pop()
    return ":".join(items)
