"""De-identified exports: the analytic tables (``claimflow export deidentified``) and the Tuva
input layer (``claimflow export tuva --deidentify``), under one set of rules.

HIPAA Safe Harbor (45 CFR 164.514(b)(2)) lists 18 identifiers of a patient (and of relatives,
employers and household members) that a de-identified data set may not hold. The warehouse's
analytic tables hold some of them: member and subscriber ids, the medical record number, the
provider's and payer's claim numbers (patient control number, CLP07, REF*F8), prior
authorization and referral numbers, trace and batch numbers, dates of birth and of service,
and free text that may quote any of these. Names, street addresses, phone numbers and e-mails
of patients are not columns of those tables (they sit in the raw X12 and EMR records of bronze,
which are never exported).

Every column of every exported table has a rule (:data:`RULES`); a column without one stops the
export (:class:`DeidentifyError`), so a column added to the warehouse is a decision, not a leak:

- ``keep``: codes, amounts, provider NPIs, payer ids and names, flags;
- ``drop``: direct identifiers, free text, file and control numbers, lineage hashes, load
  times (the Tuva table keeps the column, empty, so that its shape is Tuva's);
- ``key``: an identifier replaced by a surrogate key, ``HMAC-SHA256(secret, domain, value)``
  truncated to 128 bits (32 hex digits): the same secret gives the same key in every export,
  so the tables join and two exports join; without the secret a key cannot be computed from an
  identifier, nor turned back into one. It is never a (salted) hash of the identifier alone;
- ``date``: the year only (``--dates year``, the default; Safe Harbor), or the date shifted by
  a per-patient offset of -182..+182 days drawn from the secret (``--dates shift``): every date
  of one patient moves by the same number of days, so intervals (days to pay, length of stay)
  hold. Shifted dates are not Safe Harbor: they need an expert determination or a data use
  agreement;
- ``age``: the patient's age in whole years at the first date of service, with every age over
  89 written ``90+`` (the date of birth itself is dropped);
- ``zip3``: the first three digits of a ZIP code, ``000`` for the restricted three-digit areas
  of 20,000 people or fewer (:data:`RESTRICTED_ZIP3`).

The secret is ``deid_key`` (:func:`claimflow.secrets.read_secret`): ``CLAIMFLOW_DEID_KEY``,
``CLAIMFLOW_DEID_KEY_FILE`` or ``CLAIMFLOW_DEID_KEY_COMMAND``. The export's ``MANIFEST.md`` and
``manifest.json`` state the method, the choices and what each column became, and a key id
(an HMAC of a fixed text: it tells whether two exports used the same secret, not the secret).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa
from duckdb.func import PythonUDFType

from claimflow.atomic import atomic_path
from claimflow.errors import ClaimflowError
from claimflow.marts.kpis import build_cohort, default_window
from claimflow.secrets import read_secret
from claimflow.warehouse.sql import sql_str

SECRET_NAME = "deid_key"
"""The managed secret of the surrogate keys and the date shifts (claimflow.secrets)."""
MIN_SECRET_BYTES = 16
KEY_HEX_DIGITS = 32
"""Surrogate keys: the HMAC-SHA256 truncated to 128 bits."""
SHIFT_MAX_DAYS = 182
"""``--dates shift`` moves a patient's dates by -182..+182 days."""
SCHEME = "claimflow-deid-v1"
"""Prefixed to every HMAC input (with the domain), so that another scheme's keys differ."""
RESTRICTED_ZIP3: tuple[str, ...] = (
    "036", "059", "063", "102", "203", "556", "692", "790", "821",
    "823", "830", "831", "878", "879", "884", "890", "893",
)  # fmt: skip
"""Three-digit ZIP areas of 20,000 people or fewer (2000 Census; HHS, 67 FR 53182, 53233-4),
written ``000``. Safe Harbor asks for the current Census figures: review against them."""

DateMode = Literal["year", "shift"]
Action = Literal["keep", "drop", "key", "date", "age", "zip3"]


class DeidentifyError(ClaimflowError):
    """A de-identified export cannot be written as asked."""


@dataclass(frozen=True)
class Rule:
    """What happens to a column: its action, why, and (keys) the key's domain."""

    action: Action
    why: str
    domain: str | None = None
    rename: str | None = None


def _keep(why: str = "not an identifier") -> Rule:
    return Rule("keep", why)


def _drop(why: str) -> Rule:
    return Rule("drop", why)


def _key(domain: str, why: str, rename: str | None = None) -> Rule:
    return Rule("key", why, domain, rename)


def _date(why: str = "a date of the patient's care or claim") -> Rule:
    return Rule("date", why)


_CODE = _keep("a code, not an identifier")
_MONEY = _keep("an amount")
_PROVIDER = _keep("a provider's identifier (NPI, taxonomy): not the patient's")
_PAYER = _keep("the payer, not the patient")
_LINEAGE = _drop("file and position in the source: links back to the raw record")
_CONTROL = _drop("a control, trace or batch number of the transmission: unique to the claim")

RULES: dict[str, Rule] = {
    # who the patient is
    "patient_ref": _key("patient", "the patient (person id, else member id)", "patient_key"),
    "member_id": _drop("member id (a health plan beneficiary number)"),
    "person_id": _drop("patient identifier"),
    "patient_member_id": _drop("member id from the 835 (NM1*QC)"),
    "insured_member_id": _drop("subscriber's member id from the 835 (NM1*IL)"),
    "corrected_member_id": _drop("corrected member id from the 835 (NM1*74)"),
    "medical_record_number": _drop("medical record number"),
    "mrn": _drop("medical record number"),
    "group_number": _drop("the subscriber's group (employer) number"),
    "patient_dob": _drop("date of birth; the age is kept as patient_age"),
    "patient_age": Rule("age", "age at the first date of service; over 89 written 90+"),
    "patient_gender": _keep("not one of Safe Harbor's identifiers"),
    "subscriber_relationship_code": _CODE,
    # claim and account numbers
    "claim_id": _key("claim", "the warehouse's claim key, itself derived from claim numbers"),
    "claim_line_id": _key("claim_line", "the warehouse's claim line key"),
    "diagnosis_id": _key("diagnosis", "row key derived from the claim key"),
    "procedure_id": _key("procedure", "row key derived from the claim key"),
    "adjudication_id": _key("adjudication", "the 835 claim's row key"),
    "adjudication_line_id": _key("adjudication_line", "the 835 service line's row key"),
    "adjustment_id": _key("adjustment", "row key"),
    "remark_id": _key("remark", "row key"),
    "payment_id": _key("payment", "the 835's row key (derived from its control numbers)"),
    "patient_control_number": _drop("patient account / claim number (CLM01, CLP01, EMR id)"),
    "payer_claim_control_number": _drop("the payer's claim number (CLP07)"),
    "original_payer_claim_control_number": _drop("the payer's claim number (REF*F8)"),
    "original_reference_number": _drop("a claim or account number of the 835"),
    "clearinghouse_trace_number": _CONTROL,
    "line_item_control_number": _drop("the provider's line number (REF*6R): unique to the claim"),
    "prior_auth_number": _drop("prior authorization number: unique to the patient's episode"),
    "referral_number": _drop("referral number: unique to the patient's episode"),
    "batch_id": _CONTROL,
    "isa_control_number": _CONTROL,
    "group_control_number": _CONTROL,
    "st_control_number": _CONTROL,
    "trace_number": _CONTROL,
    # free text
    "denial_reason": _drop(
        "free text: may quote names, member ids and dates (the category is kept)"
    ),
    "recommended_fix": _drop("text written for the claim: may quote its values"),
    "crossover_payer_name": _PAYER,
    # dates
    "statement_from": _date(),
    "statement_to": _date(),
    "admission_date": _date(),
    "discharge_date": _date(),
    "discharge_hour": _drop("an element of a date (the hour)"),
    "submission_date": _date(),
    "service_from": _date(),
    "service_to": _date(),
    "procedure_date": _date(),
    "payment_date": _date("the 835 payment date (BPR16)"),
    "payer_received_date": _date(),
    "first_payment_date": _date(),
    "claim_start_date": _date(),
    "claim_end_date": _date(),
    "claim_line_start_date": _date(),
    "claim_line_end_date": _date(),
    "paid_date": _date(),
    "file_date": _drop("when the source file arrived: a date of the claim"),
    "ingest_datetime": _drop("load time"),
    "ingested_at": _drop("load time"),
    "logged_at": _drop("when the run logged it"),
    # where it came from
    "source_file_id": _LINEAGE,
    "source_row_number": _LINEAGE,
    "segment_index": _LINEAGE,
    "lineage_hash": _drop("sha256 over the raw record: a hash of identifiers, unkeyed"),
    "run_id": _drop("the loading run (not needed for analysis)"),
    "file_name": _drop("the source file's name: may name a patient or an account"),
    "source_system": _keep("the source system"),
    "data_source": _keep("the source system"),
    # providers and payers
    "billing_npi": _PROVIDER,
    "rendering_npi": _PROVIDER,
    "attending_npi": _PROVIDER,
    "operating_npi": _PROVIDER,
    "referring_npi": _PROVIDER,
    "facility_npi": _PROVIDER,
    "billing_taxonomy": _PROVIDER,
    "billing_tin": _drop("a tax id: a sole practitioner's may be a social security number"),
    "rendering_tin": _drop("a tax id: a sole practitioner's may be a social security number"),
    "payer_id": _PAYER,
    "payer_name": _PAYER,
    "payer": _PAYER,
    "plan": _PAYER,
    # claim content
    "claim_type": _CODE,
    "claim_status": _CODE,
    "place_of_service_code": _CODE,
    "bill_type_code": _CODE,
    "claim_frequency_code": _CODE,
    "frequency": _CODE,
    "assignment_code": _CODE,
    "benefits_assignment": _CODE,
    "release_of_info": _CODE,
    "related_causes": _CODE,
    "delay_reason_code": _CODE,
    "payer_responsibility_seq": _CODE,
    "claim_filing_indicator": _CODE,
    "admission_type_code": _CODE,
    "admission_source_code": _CODE,
    "discharge_status_code": _CODE,
    "admit_source_code": _CODE,
    "admit_type_code": _CODE,
    "discharge_disposition_code": _CODE,
    "drg_code": _CODE,
    "drg_code_type": _CODE,
    "drg_weight": _keep("DRG weight"),
    "discharge_fraction": _keep("a fraction"),
    "total_charge": _MONEY,
    "patient_paid_amount": _MONEY,
    "expected_payment": _MONEY,
    "line_number": _keep("position on the claim"),
    "claim_line_number": _keep("position on the claim"),
    "revenue_code": _CODE,
    "revenue_center_code": _CODE,
    "procedure_qualifier": _CODE,
    "procedure_code": _CODE,
    "hcpcs_code": _CODE,
    "modifier_1": _CODE,
    "modifier_2": _CODE,
    "modifier_3": _CODE,
    "modifier_4": _CODE,
    "line_charge": _MONEY,
    "charge_amount": _MONEY,
    "unit_basis": _CODE,
    "units": _keep("units"),
    "service_unit_quantity": _keep("units"),
    "dx_pointer_1": _CODE,
    "dx_pointer_2": _CODE,
    "dx_pointer_3": _CODE,
    "dx_pointer_4": _CODE,
    "non_covered_charge": _MONEY,
    "emergency_indicator": _CODE,
    "ndc_code": _CODE,
    "drug_qty": _keep("quantity"),
    "drug_unit": _CODE,
    "sequence": _keep("position on the claim"),
    "qualifier": _CODE,
    "code": _CODE,
    "poa_indicator": _CODE,
    "is_principal": _keep("a flag"),
    # remittance
    "claim_status_code": _CODE,
    "paid_amount": _MONEY,
    "patient_responsibility": _MONEY,
    "facility_type_code": _CODE,
    "coverage_amount": _MONEY,
    "interest_amount": _MONEY,
    "discount_amount": _MONEY,
    "match_method": _keep("how the remittance was matched"),
    "match_score": _keep("match score"),
    "record_type": _CODE,
    "is_denied": _keep("a flag"),
    "line_paid": _MONEY,
    "units_paid": _keep("units"),
    "original_procedure_qualifier": _CODE,
    "original_procedure_code": _CODE,
    "original_modifier_1": _CODE,
    "original_units": _keep("units"),
    "allowed_amount": _MONEY,
    "level": _CODE,
    "source": _CODE,
    "group_code": _CODE,
    "reason_code": _CODE,
    "amount": _MONEY,
    "quantity": _keep("quantity"),
    "triplet_index": _keep("position in the CAS segment"),
    "is_patient_responsibility": _keep("a flag"),
    "carc_category": _keep("the CARC's denial category (ref_carc_category)"),
    "source_segment": _CODE,
    "remark_code": _CODE,
    "rarc_category": _keep("the RARC's category (ref_rarc_category)"),
    # denials (rejection_log) and KPI inputs (kpi_claims.sql)
    "reason": _keep("why it was not resubmitted (a fixed vocabulary)"),
    "classification": _CODE,
    "label": _keep("the classifier's label (a fixed vocabulary)"),
    "category": _keep("the denial category (a fixed vocabulary)"),
    "disposition": _CODE,
    "confidence": _keep("the classifier's confidence"),
    "ik501": _CODE,
    "first_status": _CODE,
    "latest_status": _CODE,
    "latest_status_code": _CODE,
    "latest_entity_code": _CODE,
    "initially_denied": _keep("a flag"),
    "contractual_amount": _MONEY,
    "written_off_amount": _MONEY,
    # Tuva's columns not named above
    "total_cost_amount": _MONEY,
    "coinsurance_amount": _MONEY,
    "copayment_amount": _MONEY,
    "deductible_amount": _MONEY,
    "diagnosis_code_type": _CODE,
    "procedure_code_type": _CODE,
    "hcpcs_modifier_1": _CODE,
    "hcpcs_modifier_2": _CODE,
    "hcpcs_modifier_3": _CODE,
    "hcpcs_modifier_4": _CODE,
    "hcpcs_modifier_5": _CODE,
    "in_network_flag": _keep("a flag"),
}
"""Column name → rule, for every column of every de-identified table (a table may override)."""

PATTERN_RULES: tuple[tuple[re.Pattern[str], Rule], ...] = (
    (re.compile(r"^(diagnosis_code|diagnosis_poa|procedure_code)_\d+$"), _CODE),
    (re.compile(r"^procedure_date_\d+$"), _date()),
    (re.compile(r"(^|_)(zip|zip_code|postal_code)($|_)"), Rule("zip3", "a ZIP code")),
)
"""Rules by the shape of a column's name: numbered Tuva columns, and any ZIP code column."""

SHIFT_REF = "shift_ref"
"""The source column (never exported) whose value draws a row's date offset: the patient,
else the claim."""


@dataclass(frozen=True)
class Table:
    """One exported table: its file, what it holds, its source query and its own rules."""

    name: str
    about: str
    sql: str
    overrides: dict[str, Rule] = field(default_factory=dict)
    tuva_shape: bool = False
    """Keep every column of the source (a dropped one empty, a year as January 1st)."""

    @property
    def file(self) -> str:
        return f"{self.name}.parquet"


_PATIENT = "coalesce(h.person_id, h.member_id)"
_AGE_REF = "coalesce(h.statement_from, fl.first_service, h.submission_date)"

ANALYTIC_TABLES: tuple[Table, ...] = (
    Table(
        "claims",
        "one row per claim version (claims_header): codes, amounts, payer, providers, the "
        "patient's key, age and gender",
        f"""SELECT h.*, {_PATIENT} AS patient_ref,
                   CASE WHEN h.patient_dob <= {_AGE_REF}
                        THEN date_sub('year', h.patient_dob, {_AGE_REF}) END AS patient_age,
                   coalesce({_PATIENT}, 'claim ' || h.claim_id) AS {SHIFT_REF}
            FROM claims_header AS h
            LEFT JOIN (SELECT claim_id, min(service_from) AS first_service
                       FROM claims_line GROUP BY 1) AS fl ON fl.claim_id = h.claim_id""",
    ),
    Table(
        "claim_lines",
        "one row per service line (claims_line)",
        f"""SELECT l.*, coalesce({_PATIENT}, 'claim ' || l.claim_id) AS {SHIFT_REF}
            FROM claims_line AS l LEFT JOIN claims_header AS h ON h.claim_id = l.claim_id""",
    ),
    Table("diagnoses", "one row per ICD-10-CM code of a claim", "SELECT * FROM diagnoses"),
    Table(
        "procedures",
        "one row per ICD-10-PCS procedure of an institutional claim (procedures_icd)",
        f"""SELECT p.*, coalesce({_PATIENT}, 'claim ' || p.claim_id) AS {SHIFT_REF}
            FROM procedures_icd AS p LEFT JOIN claims_header AS h ON h.claim_id = p.claim_id""",
    ),
    Table(
        "remittances",
        "one row per 835 claim (adjudication), with its payment's date and payer; claim_id "
        "is the matched claim's key (NULL: unmatched)",
        f"""SELECT a.*, p.payment_date, p.payer_id, p.payer_name,
                   coalesce({_PATIENT}, a.patient_member_id) AS patient_ref,
                   coalesce({_PATIENT}, a.patient_member_id,
                            'remittance ' || a.adjudication_id) AS {SHIFT_REF}
            FROM adjudication AS a
            LEFT JOIN payments AS p ON p.payment_id = a.payment_id
            LEFT JOIN claims_header AS h ON h.claim_id = a.claim_id""",
    ),
    Table(
        "remittance_lines",
        "one row per 835 service line (adjudication_line); claim_line_id is the matched line's",
        f"""SELECT al.*, coalesce({_PATIENT}, a.patient_member_id,
                                  'remittance ' || a.adjudication_id) AS {SHIFT_REF}
            FROM adjudication_line AS al
            JOIN adjudication AS a ON a.adjudication_id = al.adjudication_id
            LEFT JOIN claims_header AS h ON h.claim_id = a.claim_id""",
    ),
    Table(
        "adjustments",
        "one row per CAS adjustment (835, and prior payers' on 837s), with the CARC's category",
        """SELECT j.*, r.category AS carc_category
           FROM adjustments AS j LEFT JOIN ref_carc_category AS r ON r.carc = j.reason_code""",
    ),
    Table(
        "remarks",
        "one row per remittance remark code (RARC), with its category",
        """SELECT m.*, r.category AS rarc_category
           FROM remarks AS m LEFT JOIN ref_rarc_category AS r ON r.rarc = m.remark_code""",
    ),
    Table(
        "denials",
        "one row per logged denial decision (rejection_log): reason, label, category, "
        "disposition, amount; the denial text itself is dropped",
        "SELECT * FROM rejection_log",
    ),
    Table(
        "claim_outcomes",
        "the KPI inputs: one row per claim of the KPI cohort (marts/sql/kpi_claims.sql, every "
        "submission date): acknowledgments, first payment, initial denial, paid, allowed, "
        "contractual and written-off amounts",
        f"""SELECT k.*, {_PATIENT} AS patient_ref,
                   coalesce({_PATIENT}, 'claim ' || k.claim_id) AS {SHIFT_REF}
            FROM deid_kpi_claims AS k LEFT JOIN claims_header AS h ON h.claim_id = k.claim_id""",
    ),
)
"""The analytic tables of ``claimflow export deidentified`` (docs/security.md)."""


def tuva_table() -> Table:
    """Tuva's ``medical_claim`` (marts/sql/tuva_medical_claim.sql), de-identified in its shape:
    person_id and member_id become keys (person_id the same as the analytic patient_key)."""
    sql = (resources.files("claimflow.marts") / "sql" / "tuva_medical_claim.sql").read_text("utf-8")
    return Table(
        "medical_claim",
        "Tuva Project input layer medical_claim, one row per claim line",
        f"SELECT t.*, coalesce(t.person_id, 'claim ' || t.claim_id) AS {SHIFT_REF}"
        f" FROM ({sql}) AS t",
        overrides={
            "person_id": _key("patient", "the patient (person id, else member id)"),
            "member_id": _key("member", "member id"),
        },
        tuva_shape=True,
    )


# ---------------------------------------------------------------------------- the keys


class Keyer:
    """Surrogate keys and date offsets from one secret (HMAC-SHA256)."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise DeidentifyError(f"the de-identification secret needs {MIN_SECRET_BYTES} bytes")
        self._secret = secret
        self._prefixed: dict[str, hmac.HMAC] = {}

    def _mac(self, domain: str, value: str) -> bytes:
        """HMAC-SHA256(secret, SCHEME 0x1F domain 0x1F value)."""
        prefixed = self._prefixed.get(domain)
        if prefixed is None:  # the state after the key and the prefix, copied for each value
            prefixed = hmac.new(self._secret, f"{SCHEME}\x1f{domain}\x1f".encode(), hashlib.sha256)
            self._prefixed[domain] = prefixed
        mac = prefixed.copy()
        mac.update(value.encode())
        return mac.digest()

    def key(self, domain: str, value: str) -> str:
        """The surrogate key of ``value`` in ``domain`` (``patient``, ``claim``, ...)."""
        return self._mac(domain, value).hex()[:KEY_HEX_DIGITS]

    def shift_days(self, ref: str) -> int:
        """The date offset of a patient (or claim), -SHIFT_MAX_DAYS..+SHIFT_MAX_DAYS."""
        draw = int.from_bytes(self._mac("date-shift", ref)[:8], "big")
        return draw % (2 * SHIFT_MAX_DAYS + 1) - SHIFT_MAX_DAYS

    def key_id(self) -> str:
        """Names the secret without disclosing it: equal in two exports iff the secret is."""
        return self._mac("key-id", "").hex()[:12]


def _key_udf(keyer: Keyer) -> Callable[[pa.Array, pa.Array], pa.Array]:
    def deid_key(domains: pa.Array, values: pa.Array) -> pa.Array:
        pairs = zip(domains.to_pylist(), values.to_pylist(), strict=True)
        return pa.array(
            [None if d is None or v is None else keyer.key(d, v) for d, v in pairs], pa.string()
        )

    return deid_key


def _shift_udf(keyer: Keyer) -> Callable[[pa.Array], pa.Array]:
    def deid_shift(refs: pa.Array) -> pa.Array:
        return pa.array(
            [None if r is None else keyer.shift_days(r) for r in refs.to_pylist()], pa.int32()
        )

    return deid_shift


@contextmanager
def keyed(conn: duckdb.DuckDBPyConnection, keyer: Keyer) -> Iterator[None]:
    """Register ``deid_key(domain, value)`` and ``deid_shift(ref)`` on ``conn`` meanwhile."""
    conn.create_function(
        "deid_key", _key_udf(keyer),
        [duckdb.sqltype("VARCHAR"), duckdb.sqltype("VARCHAR")], duckdb.sqltype("VARCHAR"),
        type=PythonUDFType.ARROW,
    )  # fmt: skip
    conn.create_function(
        "deid_shift", _shift_udf(keyer),
        [duckdb.sqltype("VARCHAR")], duckdb.sqltype("INTEGER"), type=PythonUDFType.ARROW,
    )  # fmt: skip
    try:
        yield
    finally:
        for name in ("deid_key", "deid_shift"):
            with suppress(duckdb.Error):  # a failed statement's result: its error is raised
                conn.remove_function(name)


# ---------------------------------------------------------------------------- the rules in SQL


def zip3_sql(expr: str) -> str:
    """SQL: the ZIP3 of a ZIP code expression (``000`` for a restricted area; NULL: no ZIP)."""
    restricted = ", ".join(f"'{z}'" for z in RESTRICTED_ZIP3)
    digits = f"left(trim(CAST({expr} AS VARCHAR)), 3)"
    return (
        f"CASE WHEN regexp_matches(trim(CAST({expr} AS VARCHAR)), '^[0-9]{{3}}')"
        f" THEN CASE WHEN {digits} IN ({restricted}) THEN '000' ELSE {digits} END END"
    )


def age_sql(expr: str) -> str:
    """SQL: an age in years as text, ``90+`` for every age over 89 (NULL: unknown)."""
    return (
        f"CASE WHEN {expr} IS NULL OR {expr} < 0 THEN NULL WHEN {expr} >= 90 THEN '90+'"
        f" ELSE CAST(CAST({expr} AS INTEGER) AS VARCHAR) END"
    )


def rule_for(table: Table, column: str) -> Rule | None:
    """The rule of ``table.column`` (the table's own, else by name, else by the name's shape)."""
    if column in table.overrides:
        return table.overrides[column]
    if column in RULES:
        return RULES[column]
    for pattern, rule in PATTERN_RULES:
        if pattern.search(column):
            return rule
    return None


@dataclass(frozen=True)
class Fate:
    """What one source column became in the export."""

    column: str
    action: Action
    output: str | None
    why: str


def _date_sql(column: str, dates: DateMode, *, tuva_shape: bool) -> str:
    if dates == "shift":
        return f"CAST({column} AS DATE) + deid_shift({SHIFT_REF})"
    if tuva_shape:
        return f"make_date(year({column}), 1, 1)"
    return f"CAST(year({column}) AS INTEGER)"


def deidentified_select(
    conn: duckdb.DuckDBPyConnection, table: Table, dates: DateMode
) -> tuple[str, list[Fate]]:
    """The query writing ``table`` de-identified, and each source column's fate.

    Raises:
        DeidentifyError: A column of the source has no rule.
    """
    described = conn.execute(f"DESCRIBE ({table.sql})").fetchall()
    names = [str(r[0]) for r in described]
    types = {str(r[0]): str(r[1]) for r in described}
    missing = [n for n in names if n != SHIFT_REF and rule_for(table, n) is None]
    if missing:
        raise DeidentifyError(
            f"{table.name}: no de-identification rule for column(s) {', '.join(missing)};"
            " add one to claimflow.marts.deidentify.RULES before exporting"
        )
    has_dates = any((r := rule_for(table, n)) is not None and r.action == "date" for n in names)
    if has_dates and SHIFT_REF not in names:
        raise DeidentifyError(f"{table.name}: dates without a {SHIFT_REF} column")
    selects: list[str] = []
    fates: list[Fate] = []
    for name in names:
        if name == SHIFT_REF:
            continue
        rule = rule_for(table, name)
        assert rule is not None  # checked above
        col = f'src."{name}"'
        out = rule.rename or name
        expr: str | None
        if rule.action == "keep":
            expr = col
        elif rule.action == "drop":
            expr = f"CAST(NULL AS {types[name]})" if table.tuva_shape else None
        elif rule.action == "key":
            value = f"nullif(trim(CAST({col} AS VARCHAR)), '')"
            expr = f"deid_key('{rule.domain}', {value})"
        elif rule.action == "date":
            expr = _date_sql(col, dates, tuva_shape=table.tuva_shape)
        elif rule.action == "age":
            expr = age_sql(col)
        else:
            expr = zip3_sql(col)
        if expr is not None:
            selects.append(f'{expr} AS "{out}"')
        fates.append(Fate(name, rule.action, out if expr is not None else None, rule.why))
    select = f"SELECT {', '.join(selects)} FROM ({table.sql}) AS src"
    return select, fates


# ---------------------------------------------------------------------------- the export

MANIFEST_MD = "MANIFEST.md"
MANIFEST_JSON = "manifest.json"


@dataclass(frozen=True)
class Written:
    """One file of an export."""

    table: Table
    rows: int
    fates: list[Fate]


def read_keyer() -> Keyer:
    """The keyer of the managed secret ``deid_key`` (claimflow.secrets).

    Raises:
        SecretError: The secret is not set, or set in a way claimflow refuses.
    """
    return Keyer(read_secret(SECRET_NAME, min_bytes=MIN_SECRET_BYTES))


def _check_out_dir(out_dir: Path, files: Sequence[str]) -> None:
    """Refuse a folder holding anything but this export's own files: an identified file
    (a plain Tuva export, a CSV) must never sit among de-identified ones."""
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise DeidentifyError(f"{out_dir}: not a directory")
    own = {*files, MANIFEST_MD, MANIFEST_JSON}
    others = sorted(p.name for p in out_dir.iterdir() if p.name not in own)
    if others:
        shown = ", ".join(others[:5]) + (" ..." if len(others) > 5 else "")
        raise DeidentifyError(
            f"{out_dir} holds other files ({shown}): a de-identified export is written to an"
            " empty folder (or over an earlier de-identified export of the same kind)"
        )


def export_tables(
    conn: duckdb.DuckDBPyConnection,
    out_dir: Path,
    tables: Sequence[Table],
    keyer: Keyer,
    dates: str,
    *,
    command: str,
) -> list[Written]:
    """Write each table de-identified as ``out_dir/<name>.parquet``, then the manifest."""
    mode = _date_mode(dates)
    _check_out_dir(out_dir, [t.file for t in tables])
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Written] = []
    with keyed(conn, keyer):
        for table in tables:
            select, fates = deidentified_select(conn, table, mode)
            target = out_dir / table.file
            with atomic_path(target) as part:
                conn.execute(f"COPY ({select}) TO {sql_str(str(part))} (FORMAT PARQUET)")
            rows = conn.execute(
                f"SELECT count(*) FROM read_parquet({sql_str(str(target))})"
            ).fetchall()  # every row fetched: the functions are removed after it
            written.append(Written(table, int(rows[0][0]), fates))
    _write_manifest(out_dir, written, keyer, mode, command)
    return written


def _date_mode(dates: str) -> DateMode:
    if dates == "year":
        return "year"
    if dates == "shift":
        return "shift"
    raise DeidentifyError(f"dates must be year or shift, not {dates!r}")


def export_deidentified(
    conn: duckdb.DuckDBPyConnection, out_dir: Path, keyer: Keyer, dates: str = "year"
) -> list[Written]:
    """``claimflow export deidentified``: the analytic tables, de-identified."""
    window = default_window(conn)
    start, end = window if window is not None else (dt.date(1900, 1, 1), dt.date(1900, 1, 1))
    build_cohort(conn, start=start, end=end, table="deid_kpi_claims")
    try:
        return export_tables(
            conn, out_dir, ANALYTIC_TABLES, keyer, dates, command="claimflow export deidentified"
        )
    finally:
        conn.execute("DROP TABLE IF EXISTS deid_kpi_claims")


def export_tuva_deidentified(
    conn: duckdb.DuckDBPyConnection, out_dir: Path, keyer: Keyer, dates: str = "year"
) -> int:
    """``claimflow export tuva --deidentify``: medical_claim.parquet, de-identified."""
    written = export_tables(
        conn, out_dir, [tuva_table()], keyer, dates, command="claimflow export tuva --deidentify"
    )
    return written[0].rows


_DATES_TEXT = {
    "year": "year only (`--dates year`, Safe Harbor): each date column holds the year as an "
    "integer{tuva}.",
    "shift": "shifted (`--dates shift`): each date moved by one offset per patient (else per "
    f"claim) of -{SHIFT_MAX_DAYS}..+{SHIFT_MAX_DAYS} days drawn from the secret; intervals within "
    "a patient hold. Shifted dates are NOT Safe Harbor (a date other than the year remains): "
    "release them only under an expert determination or a data use agreement.",
}


def _fate_text(fate: Fate, dates: DateMode, tuva_shape: bool) -> str:
    if fate.action == "keep":
        return "kept"
    if fate.action == "drop":
        return "emptied (NULL)" if tuva_shape else "dropped"
    if fate.action == "key":
        return "surrogate key (HMAC)"
    if fate.action == "date":
        if dates == "shift":
            return "date shifted per patient"
        return "year only (as January 1st)" if tuva_shape else "year only (integer)"
    if fate.action == "age":
        return "age in years, 90+ above 89"
    return "ZIP3 (000 for restricted areas)"


def _write_manifest(
    out_dir: Path, written: list[Written], keyer: Keyer, dates: DateMode, command: str
) -> None:
    from claimflow import __version__

    tuva = any(w.table.tuva_shape for w in written)
    created = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    data = {
        "command": command,
        "claimflow_version": __version__,
        "created_at": created,
        "method": "HIPAA Safe Harbor, 45 CFR 164.514(b)(2)"
        + (" (dates shifted: not Safe Harbor)" if dates == "shift" else ""),
        "dates": dates,
        "date_shift_max_days": SHIFT_MAX_DAYS if dates == "shift" else None,
        "keys": f"HMAC-SHA256(secret, '{SCHEME}' | domain | value), first {KEY_HEX_DIGITS} hex",
        "key_id": keyer.key_id(),
        "secret": f"claimflow secret {SECRET_NAME} (never written here)",
        "age": "years at the first date of service; every age over 89 is '90+'",
        "zip3": {"restricted_as_000": list(RESTRICTED_ZIP3)},
        "free_text": "dropped",
        "tables": [
            {
                "file": w.table.file,
                "about": w.table.about,
                "rows": w.rows,
                "columns": [
                    {
                        "source": f.column,
                        "action": f.action,
                        "output": f.output,
                        "domain": rule.domain if (rule := rule_for(w.table, f.column)) else None,
                        "why": f.why,
                    }
                    for f in w.fates
                ],
            }
            for w in written
        ],
    }
    with atomic_path(out_dir / MANIFEST_JSON) as part:
        part.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# De-identified export",
        "",
        f"Written by `{command}` (claimflow {__version__}) at {created}.",
        "",
        "## Method",
        "",
        "- HIPAA Safe Harbor (45 CFR 164.514(b)(2)): the identifiers of the patient that the "
        "warehouse holds are dropped or replaced; free text (denial reasons, fixes) is dropped, "
        "not redacted; raw records, quarantine and file names are not exported.",
        "- Dates: "
        + _DATES_TEXT[dates].format(
            tuva=" (Tuva's date columns: January 1st of the year)" if tuva else ""
        ),
        "- Ages: years at the first date of service; every age over 89 is `90+`; no date of birth.",
        "- ZIP codes: the first three digits; `000` for the restricted areas "
        + ", ".join(RESTRICTED_ZIP3)
        + " (2000 Census, 20,000 people or fewer). The warehouse's tables hold no patient ZIP "
        "code today; the rule applies to any ZIP column that appears.",
        f"- Surrogate keys: HMAC-SHA256 with a managed secret, truncated to {KEY_HEX_DIGITS} hex "
        "digits, one domain per kind of key (patient, claim, claim_line, ...). The same secret "
        "gives the same keys in every export, so the tables and successive exports join. "
        "Without the secret a key can neither be computed from an identifier nor reversed. "
        "Keys are a re-identification code held by whoever holds the secret: keep the secret "
        "from the recipients of this export.",
        f"- Key id: `{keyer.key_id()}` (equal in two exports if and only if the secret is).",
        "",
        "## Files and columns",
        "",
    ]
    for w in written:
        lines += [f"### `{w.table.file}` ({w.rows} rows)", "", w.table.about + ".", ""]
        lines += ["| source column | became | why |", "|---|---|---|"]
        for f in w.fates:
            rule = rule_for(w.table, f.column)
            became = _became(f, rule, dates, w.table.tuva_shape)
            lines.append(f"| `{f.column}` | {became} | {f.why} |")
        lines.append("")
    with atomic_path(out_dir / MANIFEST_MD) as part:
        part.write_text("\n".join(lines), encoding="utf-8")


def _became(fate: Fate, rule: Rule | None, dates: DateMode, tuva_shape: bool) -> str:
    named = f"`{fate.output}`: " if fate.output and fate.output != fate.column else ""
    if fate.action == "key" and rule is not None:
        return f"{named}surrogate key (HMAC, domain `{rule.domain}`)"
    return named + _fate_text(fate, dates, tuva_shape)
