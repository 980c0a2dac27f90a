"""Free-text denial reasons with patient identifiers planted in them, and where.

EMR denial reasons are typed by people, and some carry who the claim is for: "Prior auth
required for member W000037868 JOHN SMITH DOB 1980-02-03". :func:`planted_denials` writes such
texts: a denial phrasing (given, or :data:`BASE_REASONS`) with one or two identifier fragments
(member ids, MRNs, account and policy numbers, SSNs, dates of birth and of service, phone
numbers, e-mail addresses and names, in the forms people write them) before, after or in the
middle of it, in its own case, upper case or lower case. Each :class:`Planted` text lists the
identifiers exactly as planted, so that a redaction can be checked for every one of them
(``benchmarks/redaction.py``, ``tests/test_redact.py``). Deterministic for a seed.

The names are drawn from lists of their own (not the synthetic world's), some of them also
English words (Rose, Young, King, Brown, Will), as real names are.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

BASE_REASONS: tuple[str, ...] = (
    "Prior auth required",
    "Prior authorization not obtained for 73721",
    "Missing modifier 25 on 99213",
    "Incorrect NPI",
    "Rendering provider NPI invalid, CO-16 N290",
    "Coverage terminated",
    "Timely filing limit exceeded (90 days)",
    "Not medically necessary - CARC 50 N115",
    "Non-covered service",
    "Benefit maximum reached",
    "Diagnosis inconsistent with procedure, dx A41.9",
    "Other payer primary, COB needed",
    "Duplicate claim",
    "Patient not eligible on DOS",
    "Authorization expired",
    "Medical records requested",
    "J1100 units exceed the authorized units",
    "Denied per payer policy, see EOB remark M51",
    "Claim denied CO-197 precert missing",
    "Deductible applies, PR-1 $250.00",
    "Member id invalid",
    "Name and DOB do not match member file",
    "Subscriber not found",
    "Bundled into 99214 per NCCI",
    "Aetna: referral missing",
    "Blue Cross requires prior approval for MRI",
)
"""Denial phrasings identifiers are planted in, when none are given."""

FIRST = (
    "John", "Mary", "Robert", "Patricia", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "Barbara", "Susan", "Joseph", "Jessica", "Sarah", "Karen", "Ana", "Luis",
    "Wei", "Fatima", "Omar", "Aisha", "Carlos", "Priya", "Dmitri", "Keisha", "Thanh",
    "Siobhan", "Mateo", "Yuki", "Olusegun", "Rose", "Grace", "Hope", "Jean-Luc", "Zoe",
)  # fmt: skip
LAST = (
    "Smith", "Johnson", "Williams", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
    "Jackson", "Martin", "Lee", "Perez", "Thompson", "Harris", "Sanchez", "Clark", "Nguyen",
    "Kim", "O'Brien", "McDonald", "Van Dyke", "Nowak", "Okafor", "Patel", "Young", "King",
    "Brown", "White", "Kowalski", "Schmidt", "Ramirez-Soto", "Washington",
)  # fmt: skip


@dataclass(frozen=True)
class Planted:
    """A denial text and the identifiers planted in it, as they appear in it."""

    text: str
    base: str
    identifiers: tuple[tuple[str, str], ...]
    """(kind, value): kind is id, ssn, date, phone, email or name."""


class _Draw:
    """One text's identifiers, drawn from ``rng``; each fragment says what it planted."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.planted: list[tuple[str, str]] = []

    def plant(self, kind: str, value: str) -> str:
        self.planted.append((kind, value))
        return value

    def member_id(self) -> str:
        r = self.rng
        forms = (
            lambda: f"{r.choice('WXYZHM')}{r.randrange(10**9):09d}",
            lambda: f"{r.choice(['ABC', 'XYZ', 'JQU', 'MCD'])}{r.randrange(10**8):08d}",
            lambda: f"{r.randrange(10**8, 10**9)}",
            lambda: f"{r.randrange(10**10, 10**11)}",
            lambda: f"{r.randrange(10**8, 10**9)}01",
            lambda: f"{r.choice('WXYZ')}{r.randrange(10**6, 10**7)}-{r.randrange(10):d}",
        )
        return self.plant("id", r.choice(forms)())

    def short_id(self) -> str:
        """An MRN or account number, shorter than a member id: known only by its word."""
        return self.plant("id", f"{self.rng.randrange(10**4, 10**7)}")

    def ssn(self) -> str:
        r = self.rng
        a, b, c = r.randrange(100, 900), r.randrange(10, 100), r.randrange(1000, 10000)
        return self.plant("ssn", r.choice([f"{a}-{b}-{c}", f"{a} {b} {c}", f"{a}{b}{c}"]))

    def date(self, *, birth: bool) -> str:
        r = self.rng
        if birth:
            day = dt.date(1930, 1, 1) + dt.timedelta(days=r.randrange(365 * 85))
        else:
            day = dt.date(2024, 1, 1) + dt.timedelta(days=r.randrange(600))
        month = day.strftime("%B")
        forms = (
            day.isoformat(),
            f"{day.month:02d}/{day.day:02d}/{day.year}",
            f"{day.month}/{day.day}/{day.year}",
            f"{day.month}/{day.day}/{day.year % 100:02d}",
            f"{day.month:02d}-{day.day:02d}-{day.year}",
            f"{day.day:02d}.{day.month:02d}.{day.year}",
            f"{month[:3]} {day.day}, {day.year}",
            f"{month} {day.day} {day.year}",
            f"{day.day} {month} {day.year}",
            f"{day.day:02d}-{month[:3].upper()}-{day.year}",
            f"{month[:3]}. {day.day}, {day.year}",
        )
        return self.plant("date", r.choice(forms))

    def phone(self) -> str:
        r = self.rng
        a, b, c = r.randrange(201, 990), r.randrange(200, 999), r.randrange(10**4)
        forms = (
            f"({a}) {b}-{c:04d}",
            f"{a}-{b}-{c:04d}",
            f"{a}.{b}.{c:04d}",
            f"1-{a}-{b}-{c:04d}",
            f"+1 {a} {b} {c:04d}",
        )
        return self.plant("phone", r.choice(forms))

    def email(self, first: str, last: str) -> str:
        user = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
        domain = self.rng.choice(["gmail.com", "yahoo.com", "example.org", "mail.net"])
        return self.plant("email", f"{user}@{domain}")

    def person(self) -> tuple[str, str]:
        return self.rng.choice(FIRST), self.rng.choice(LAST)

    def name(self, style: str) -> str:
        """A name written as ``First Last``, ``LAST, FIRST``, ``First M. Last`` or ``LAST``."""
        first, last = self.person()
        initial = self.rng.choice("ABCDEJKLMRST")
        if style == "first_last":
            value = f"{first} {last}"
        elif style == "last_first":
            value = f"{last}, {first}"
        elif style == "initial":
            value = f"{first} {initial}. {last}"
        else:
            value = last
        for part in value.replace(",", " ").split():
            if len(part.rstrip(".")) > 1:
                self.plant("name", part)
        return value


Fragment = Callable[[_Draw], str]

FRAGMENTS: tuple[Fragment, ...] = (
    lambda d: f"for member {d.member_id()} {d.name('first_last').upper()}",
    lambda d: f"for member {d.member_id()} {d.name('first_last').upper()} DOB {d.date(birth=True)}",
    lambda d: f"mbr {d.member_id()}",
    lambda d: f"Member ID: {d.member_id()}",
    lambda d: f"member # {d.member_id()}",
    lambda d: f"subscriber id {d.member_id()}",
    lambda d: f"ID {d.member_id()}",
    lambda d: f"pt {d.name('first_last').lower()} dob {d.date(birth=True)}",
    lambda d: f"patient: {d.name('first_last')}",
    lambda d: f"Patient {d.name('last_first')} (DOB {d.date(birth=True)})",
    lambda d: f"pt {d.name('first_last')}",
    lambda d: f"patient name {d.name('initial')}",
    lambda d: f"{d.name('first_last').upper()} {d.member_id()}",
    lambda d: f"{d.name('last_first').upper()} ({d.member_id()})",
    lambda d: f"{d.name('first_last')} DOB {d.date(birth=True)}",
    lambda d: f"Mr. {d.name('last')}",
    lambda d: f"Mrs. {d.name('first_last')}",
    lambda d: f"Ms {d.name('last')}",
    lambda d: f"MRN {d.short_id()}",
    lambda d: f"MRN: {d.member_id()}",
    lambda d: f"acct# {d.short_id()}",
    lambda d: f"account {d.short_id()}",
    lambda d: f"policy no. {d.member_id()}",
    lambda d: f"SSN {d.ssn()}",
    lambda d: f"ssn: {d.ssn()}",
    lambda d: f"DOB {d.date(birth=True)}",
    lambda d: f"date of birth {d.date(birth=True)}",
    lambda d: f"born {d.date(birth=True)}",
    lambda d: f"DOS {d.date(birth=False)}",
    lambda d: f"on {d.date(birth=False)}",
    lambda d: f"call {d.phone()}",
    lambda d: f"ph: {d.phone()}",
    lambda d: f"pt phone {d.phone()}",
    lambda d: _contact(d),
    lambda d: f"insured: {d.name('first_last')}; policy {d.member_id()}",
    lambda d: f"subscriber {d.name('last_first').upper()} id {d.member_id()}",
    lambda d: f"beneficiary {d.name('first_last')} {d.member_id()}",
)
"""The identifier fragments: each plants its identifiers through the draw."""


def _contact(d: _Draw) -> str:
    first, last = d.person()
    for part in (first, last):
        d.plant("name", part)
    return f"contact {first} {last} at {d.email(first, last)}"


def planted_denials(
    count: int, *, seed: int = 0, bases: Sequence[str] = BASE_REASONS
) -> list[Planted]:
    """``count`` denial texts, each with one or two identifier fragments planted in a base
    phrasing: before it, after it, or inside it at a word boundary; as written, upper case or
    lower case."""
    rng = random.Random(f"planted-phi-{seed}")
    out: list[Planted] = []
    for _ in range(count):
        base = rng.choice(list(bases))
        draw = _Draw(rng)
        fragments = [rng.choice(FRAGMENTS)(draw) for _ in range(1 if rng.random() < 0.7 else 2)]
        words = base.split(" ")
        before: list[str] = []
        after: list[str] = []
        for fragment in fragments:
            where = rng.random()
            if where < 0.45:
                after.append(f"{rng.choice([' ', ' - ', '; ', ', ', '. '])}{fragment}")
            elif where < 0.75:
                before.append(f"{fragment}{rng.choice([': ', ' - ', ' ', ', '])}")
            else:
                cut = rng.randrange(1, len(words)) if len(words) > 1 else 1
                words.insert(cut, f"({fragment})")
        text = "".join(before) + " ".join(words) + "".join(after)
        case = rng.random()
        planted = draw.planted
        if case < 0.25:
            text, planted = text.upper(), [(k, v.upper()) for k, v in planted]
        elif case < 0.35:
            text, planted = text.lower(), [(k, v.lower()) for k, v in planted]
        out.append(Planted(text, base, tuple(planted)))
    return out


def remaining(planted: Planted, redacted: str) -> list[tuple[str, str]]:
    """The planted identifiers still readable in ``redacted``: a name's word as a word, an
    address as written, a number as written or as its digits in any punctuation."""
    left = []
    lowered = redacted.lower()
    for kind, value in planted.identifiers:
        if kind == "name":
            pattern = rf"(?<![\w'’-]){re.escape(value.lower())}(?![\w'’-])"
            found = re.search(pattern, lowered) is not None
        else:
            found = value.lower() in lowered
            digits = re.sub(r"\D", "", value)
            if not found and kind != "email" and len(digits) >= 4:
                spaced = r"[\s./()-]{0,2}".join(digits)
                found = re.search(rf"(?<!\d){spaced}(?!\d)", redacted) is not None
        if found:
            left.append((kind, value))
    return left
