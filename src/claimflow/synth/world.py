"""The world claims happen in: payers, billing and rendering providers, patients.

Everything is built from the seed alone, so the same seed gives the same world.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from claimflow.synth.codes import CITIES, FIRST_NAMES, LAST_NAMES, STREETS, TAXONOMY


def npi_check_digit(body9: str) -> str:
    """The Luhn check digit of a 9-digit NPI body, with the 80840 prefix (CMS rule)."""
    total = 0
    for i, ch in enumerate(reversed("80840" + body9)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def npi_valid(npi: str) -> bool:
    """True when ``npi`` is 10 digits whose last one is the Luhn check digit."""
    return len(npi) == 10 and npi.isdigit() and npi_check_digit(npi[:9]) == npi[9]


def make_npi(rng: random.Random) -> str:
    """A random NPI with a valid check digit (first digit 1 or 2, as issued)."""
    body = str(rng.randint(1, 2)) + "".join(str(rng.randint(0, 9)) for _ in range(8))
    return body + npi_check_digit(body)


@dataclass(frozen=True, slots=True)
class Payer:
    """A payer and its behaviour.

    Attributes:
        index: Position in ``World.payers``.
        name: NM1*PR name.
        payer_id: NM1*PR NM109 (PI) and REF*2U.
        sbr09: 837 claim filing indicator.
        clp06: 835 claim filing indicator.
        lag_days: Mean days from submission to payment.
        lag_spread: Uniform spread (±days) around the mean.
        pay_weekday: Weekday (0 = Monday) of the payer's payment run.
        timely_days: Timely-filing limit in days from the date of service.
        fee_pct: Allowed amount as a percentage of charges.
        base_denial: Background probability of a random denial.
        auth_codes: Procedure codes it denies without a prior authorization.
        copay: Office-visit copay in cents (PR-3), 0 for none.
        coinsurance_pct: Coinsurance percentage (PR-2), 0 for none.
        sequestration: Applies the 2% federal sequestration (CO-253).
    """

    index: int
    name: str
    payer_id: str
    sbr09: str
    clp06: str
    lag_days: int
    lag_spread: int
    pay_weekday: int
    timely_days: int
    fee_pct: int
    base_denial: float
    auth_codes: frozenset[str]
    copay: int
    coinsurance_pct: int
    sequestration: bool


PAYERS: tuple[Payer, ...] = (
    Payer(0, "ACME HEALTH PLAN", "60054", "CI", "12", 16, 5, 1, 90, 64, 0.03,
          frozenset({"72148", "73721", "97110"}), 2500, 0, False),
    Payer(1, "BLUE SKY INSURANCE", "00430", "BL", "12", 21, 7, 3, 180, 70, 0.02,
          frozenset({"72148"}), 3000, 0, False),
    Payer(2, "GREAT LAKES MUTUAL", "38265", "CI", "12", 30, 10, 4, 365, 66, 0.04,
          frozenset(), 0, 20, False),
    Payer(3, "FEDERAL MEDICARE PART B", "04412", "MB", "MB", 15, 2, 2, 365, 48, 0.03,
          frozenset(), 0, 20, True),
    Payer(4, "STATE MEDICAID PLAN", "77003", "MC", "MC", 40, 12, 0, 95, 42, 0.06,
          frozenset({"72148", "73721", "97110", "97530"}), 0, 0, False),
    Payer(5, "PRAIRIE CARE HMO", "87726", "HM", "HM", 24, 6, 2, 120, 60, 0.03,
          frozenset({"73721"}), 2000, 0, False),
)  # fmt: skip
PAYER_SHARES = (22, 18, 15, 20, 15, 10)


@dataclass(frozen=True, slots=True)
class Rendering:
    """An individual clinician (rendering or attending)."""

    index: int
    last: str
    first: str
    npi: str
    taxonomy: str
    wrong_npi: str  # a valid-looking NPI that is not enrolled (sent by mistake)
    wrong_npi_rate: float  # how often this clinician's claims carry ``wrong_npi``
    mod25_miss_rate: float  # how often an E/M with a same-day procedure lacks modifier 25


@dataclass(frozen=True, slots=True)
class BillingProvider:
    """An organisation that bills (2010AA) and is paid (835 payee)."""

    index: int
    name: str
    npi: str
    tin: str
    taxonomy: str
    specialty: str  # family, ortho, pt, radiology, hospital
    institutional: bool
    emr: str  # alpha, beta or gamma: which EMR export its claims appear in
    address: tuple[str, str, str, str]  # street, city, state, zip+4
    clinicians: tuple[Rendering, ...]


_BILLING = (
    ("NORTHSIDE FAMILY MEDICINE", "family", False, "alpha", 4),
    ("LAKEVIEW ORTHOPEDICS", "ortho", False, "alpha", 3),
    ("RIVERBEND PHYSICAL THERAPY", "pt", False, "beta", 3),
    ("SUMMIT IMAGING CENTER", "radiology", False, "beta", 2),
    ("ST BRIGID COMMUNITY HOSPITAL", "hospital", True, "gamma", 3),
    ("MERCY VALLEY MEDICAL CENTER", "hospital", True, "gamma", 3),
)
BILLING_SHARES = (30, 14, 14, 10, 18, 14)


@dataclass(frozen=True, slots=True)
class Patients:
    """Patients as parallel tuples (compact at a million claims)."""

    member_id: tuple[str, ...]
    last: tuple[str, ...]
    first: tuple[str, ...]
    dob: tuple[str, ...]  # CCYYMMDD
    gender: tuple[str, ...]
    street: tuple[str, ...]
    city: tuple[int, ...]  # index into CITIES
    payer: tuple[int, ...]
    coverage_end: tuple[dt.date | None, ...]

    def __len__(self) -> int:
        return len(self.member_id)


@dataclass(frozen=True, slots=True)
class World:
    """Payers, providers and patients."""

    payers: tuple[Payer, ...]
    billing: tuple[BillingProvider, ...]
    patients: Patients


def build_world(seed: int, n_patients: int, start: dt.date, end: dt.date) -> World:
    """Build the world for ``seed`` with ``n_patients`` patients."""
    rng = random.Random(f"world-{seed}")
    billing = []
    clin_index = 0
    for i, (name, specialty, inst, emr, n_clin) in enumerate(_BILLING):
        clinicians = []
        for j in range(n_clin):
            # Planted structure: the first clinician of the family practice often sends a
            # wrong NPI; the second family doctor and the first orthopedist often omit
            # modifier 25 on an E/M billed with a same-day procedure.
            wrong_rate = 0.25 if (i == 0 and j == 0) else 0.004
            mod25 = 0.45 if (i, j) in {(0, 1), (1, 0)} else 0.04
            taxonomy = TAXONOMY["emergency" if inst else specialty]
            clinicians.append(
                Rendering(
                    clin_index,
                    rng.choice(LAST_NAMES),
                    rng.choice(FIRST_NAMES),
                    make_npi(rng),
                    taxonomy,
                    make_npi(rng),
                    wrong_rate,
                    mod25,
                )
            )
            clin_index += 1
        city, state, zipc = CITIES[i % len(CITIES)]
        street = f"{rng.randint(10, 9999)} {rng.choice(STREETS)}"
        billing.append(
            BillingProvider(
                i,
                name,
                make_npi(rng),
                f"{rng.randint(10, 99)}{rng.randint(1000000, 9999999)}",
                TAXONOMY[specialty],
                specialty,
                inst,
                emr,
                (street, city, state, zipc + f"{rng.randint(1000, 9999)}"),
                tuple(clinicians),
            )
        )
    window = (end - start).days
    members: list[str] = []
    lasts: list[str] = []
    firsts: list[str] = []
    dobs: list[str] = []
    genders: list[str] = []
    streets: list[str] = []
    cities: list[int] = []
    payers: list[int] = []
    ends: list[dt.date | None] = []
    payer_idx = list(range(len(PAYERS)))
    for k in range(n_patients):
        payer = rng.choices(payer_idx, PAYER_SHARES)[0]
        members.append(f"{'WXYZMQ'[payer]}{k:07d}{rng.randint(10, 99)}")
        lasts.append(rng.choice(LAST_NAMES))
        firsts.append(rng.choice(FIRST_NAMES))
        age_year = start.year - (rng.randint(66, 90) if payer == 3 else rng.randint(1, 64))
        dobs.append(f"{age_year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}")
        genders.append(rng.choice("FM"))
        streets.append(f"{rng.randint(1, 9999)} {rng.choice(STREETS)}")
        cities.append(rng.randrange(len(CITIES)))
        payers.append(payer)
        # Planted structure: 8% of patients lose coverage during the window.
        ends.append(
            start + dt.timedelta(days=rng.randint(0, max(window - 1, 0)))
            if rng.random() < 0.08
            else None
        )
    patients = Patients(
        tuple(members),
        tuple(lasts),
        tuple(firsts),
        tuple(dobs),
        tuple(genders),
        tuple(streets),
        tuple(cities),
        tuple(payers),
        tuple(ends),
    )
    return World(PAYERS, tuple(billing), patients)
