"""Small code sets the generator draws from (sources in MANIFEST.md beside this file).

Everything here is static data: no code runs at import time beyond building tuples.
"""

from __future__ import annotations

from typing import NamedTuple


class Proc(NamedTuple):
    """A CPT/HCPCS code with a typical charge (cents) and a 837I revenue code."""

    code: str
    charge: int
    kind: str  # em, proc, lab, img, ther, vax, drug, ecg
    revenue: str


PROCS: dict[str, Proc] = {
    p.code: p
    for p in (
        Proc("99203", 17000, "em", "0510"),
        Proc("99204", 26000, "em", "0510"),
        Proc("99212", 9500, "em", "0510"),
        Proc("99213", 13500, "em", "0510"),
        Proc("99214", 19000, "em", "0510"),
        Proc("99215", 25500, "em", "0510"),
        Proc("99283", 42000, "em", "0450"),
        Proc("99284", 68000, "em", "0450"),
        Proc("99285", 98000, "em", "0450"),
        Proc("20610", 15000, "proc", "0510"),
        Proc("11721", 8500, "proc", "0510"),
        Proc("17110", 12000, "proc", "0510"),
        Proc("12002", 21000, "proc", "0450"),
        Proc("J3301", 1800, "drug", "0636"),
        Proc("J1100", 1200, "drug", "0636"),
        Proc("36415", 1200, "lab", "0300"),
        Proc("85025", 3000, "lab", "0300"),
        Proc("80053", 4500, "lab", "0301"),
        Proc("81002", 1500, "lab", "0300"),
        Proc("71046", 9500, "img", "0324"),
        Proc("72148", 145000, "img", "0610"),
        Proc("73721", 120000, "img", "0610"),
        Proc("93000", 6000, "ecg", "0730"),
        Proc("97110", 8000, "ther", "0420"),
        Proc("97140", 7500, "ther", "0420"),
        Proc("97530", 8500, "ther", "0420"),
        Proc("90686", 4000, "vax", "0636"),
        Proc("G0008", 2500, "vax", "0771"),
    )
}

EM_OFFICE = ("99203", "99204", "99212", "99213", "99214", "99215")
EM_ER = ("99283", "99284", "99285")
MINOR_PROCS = ("20610", "11721", "17110")
LABS = ("36415", "85025", "80053", "81002")

# ICD-10-CM codes without the dot, grouped by what they support.
DX_GENERAL = ("I10", "E119", "E785", "J069", "J029", "R05", "N390", "K219", "F419", "Z0000")
DX_BACK = ("M545", "M5416", "M5126", "M4806")
DX_KNEE = ("M1711", "M1712", "M25561", "S83241A")
DX_SKIN = ("B079", "L600", "L84")
DX_ER = ("R079", "R1084", "S0990XA", "R51", "J189", "S61411A")
DX_VAX = ("Z23",)

# Places of service (CMS POS code set) used on professional claims.
POS_OFFICE = "11"
POS_OUTPATIENT = "22"

TAXONOMY = {
    "family": "207Q00000X",
    "ortho": "207X00000X",
    "pt": "225100000X",
    "radiology": "2085R0202X",
    "hospital": "282N00000X",
    "emergency": "207P00000X",
}


class Carc(NamedTuple):
    """A claim adjustment reason code with its project denial category."""

    code: str
    category: str
    text: str  # how an EMR shows the denial (free text)


# Category names are those of claimflow/reference/carc_denial_category_map.csv.
CARCS: dict[str, Carc] = {
    c.code: c
    for c in (
        Carc("197", "authorization_precert", "Prior auth required"),
        Carc("4", "coding_billing_error", "Missing modifier"),
        # CARC 16 is always sent with N290 (rendering provider id) here: classified on the pair
        Carc("16", "provider_data_error", "Incorrect NPI"),
        Carc("27", "eligibility_registration", "Coverage terminated"),
        Carc("29", "timely_filing", "Timely filing limit exceeded"),
        Carc("50", "medical_necessity_clinical", "Not medically necessary"),
        Carc("96", "non_covered_or_benefit_limit", "Non-covered service"),
        Carc("119", "non_covered_or_benefit_limit", "Benefit maximum reached"),
        Carc("11", "coding_billing_error", "Diagnosis inconsistent with procedure"),
        Carc("22", "coordination_of_benefits", "Other payer primary"),
        Carc("45", "contractual_or_payment_adjustment", ""),
        Carc("253", "contractual_or_payment_adjustment", ""),
        Carc("1", "patient_responsibility", ""),
        Carc("2", "patient_responsibility", ""),
        Carc("3", "patient_responsibility", ""),
    )
}

# 277CA rejections: (STC01-1 category, STC01-2 status, STC01-3 entity or "").
CA_REJECTIONS: tuple[tuple[str, str, str], ...] = (
    ("A7", "562", "85"),  # invalid information: billing provider NPI
    ("A7", "21", ""),  # invalid information: missing or invalid information
    ("A6", "454", ""),  # missing information: procedure code for services rendered
    ("A8", "187", ""),  # relational field in error: date(s) of service
    ("A3", "21", ""),  # returned as unprocessable
)

LAST_NAMES = (
    "SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS",
    "RODRIGUEZ", "MARTINEZ", "HERNANDEZ", "LOPEZ", "GONZALEZ", "WILSON", "ANDERSON",
    "THOMAS", "TAYLOR", "MOORE", "JACKSON", "MARTIN", "LEE", "PEREZ", "THOMPSON",
    "WHITE", "HARRIS", "SANCHEZ", "CLARK", "RAMIREZ", "LEWIS", "ROBINSON", "NGUYEN", "KIM",
)  # fmt: skip
FIRST_NAMES = (
    "JAMES", "MARY", "ROBERT", "PATRICIA", "JOHN", "JENNIFER", "MICHAEL", "LINDA",
    "DAVID", "ELIZABETH", "WILLIAM", "BARBARA", "RICHARD", "SUSAN", "JOSEPH", "JESSICA",
    "THOMAS", "SARAH", "KAREN", "ANA", "LUIS", "WEI", "FATIMA", "OMAR",
)  # fmt: skip
STREETS = ("MAIN ST", "OAK AVE", "MAPLE DR", "CEDAR LN", "PINE ST", "ELM ST", "LAKE RD")
CITIES = (
    ("SPRINGFIELD", "IL", "62701"),
    ("COLUMBUS", "OH", "43215"),
    ("AUSTIN", "TX", "78701"),
    ("DENVER", "CO", "80202"),
    ("MADISON", "WI", "53703"),
    ("RALEIGH", "NC", "27601"),
)
