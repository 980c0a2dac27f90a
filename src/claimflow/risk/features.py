"""The denial-risk features: one SQL definition (``FEATURES_SQL``) over the claims to describe.

The batch path (``claimflow.risk.batch``) fills its relations from the warehouse, every claim as
of its submission date, history resolved by an as-of join on the remittances' payment dates.
The single-claim path (``claimflow.risk.claim``, the API's) computes the same features in plain
Python from one claim's fields, with the tables defined here (chapters, age bands, claim types)
and history from ``risk_history``; a test holds the two equal on every claim of a world.

The relations, all temporary: ``cf_risk_claims`` (one row per claim, with ``as_of``),
``cf_risk_lines``, ``cf_risk_dx``, ``cf_risk_npi`` (each NPI seen and whether its check digit is
right) and ``cf_risk_hist`` (per claim and history key: claims, denial rate, days to pay).
"""

from __future__ import annotations

import duckdb

from claimflow.schema import FEATURES, HISTORY_KINDS
from claimflow.x12.extract.claims import CLAIM_TYPE
from claimflow.x12.rules import npi_is_valid

FEATURE_SET_VERSION = "2026-12-07.2"
"""Changes whenever a feature's definition changes; stored with every row of ``risk_features``."""

FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
MODIFIABLE: frozenset[str] = frozenset(f.name for f in FEATURES if f.modifiable)
"""The features a biller can change before sending the claim (the rest is context)."""

ICD10_CHAPTERS: tuple[tuple[str, str, str], ...] = (
    ("01", "A00", "B99"),
    ("02", "C00", "D49"),
    ("03", "D50", "D89"),
    ("04", "E00", "E89"),
    ("05", "F01", "F99"),
    ("06", "G00", "G99"),
    ("07", "H00", "H59"),
    ("08", "H60", "H95"),
    ("09", "I00", "I99"),
    ("10", "J00", "J99"),
    ("11", "K00", "K95"),
    ("12", "L00", "L99"),
    ("13", "M00", "M99"),
    ("14", "N00", "N99"),
    ("15", "O00", "O9A"),
    ("16", "P00", "P96"),
    ("17", "Q00", "Q99"),
    ("18", "R00", "R99"),
    ("19", "S00", "T88"),
    ("20", "V00", "Y99"),
    ("21", "Z00", "Z99"),
    ("22", "U00", "U85"),
)
"""ICD-10-CM chapters (CMS/NCHS tabular list): number, first and last three-character category.
Categories compare as text ('O9A' sorts after 'O99'); a code outside every range has no chapter."""

AGE_BANDS: tuple[tuple[int, str], ...] = (
    (0, "0-17"),
    (18, "18-34"),
    (35, "35-49"),
    (50, "50-64"),
    (65, "65-74"),
    (75, "75-89"),
    (90, "90+"),
)
"""Lowest age of each band. 90 and over is one bucket, as HIPAA Safe Harbor asks."""

RATE = "{denied}::DOUBLE / nullif({claims}, 0)"
AVG_DAYS = "{days}::DOUBLE / nullif({claims}, 0)"
"""The history figures from counts: written once for risk_history and the batch as-of join."""

MACROS = "\n".join(
    (
        "CREATE TEMP MACRO IF NOT EXISTS cf_icd10_chapter(code) AS CASE",
        *(
            f"  WHEN upper(left(code, 3)) BETWEEN '{lo}' AND '{hi}' THEN '{ch}'"
            for ch, lo, hi in ICD10_CHAPTERS
        ),
        "END;",
        "CREATE TEMP MACRO IF NOT EXISTS cf_age_band(age) AS CASE WHEN age IS NULL OR age < 0 THEN NULL",
        *(f"  WHEN age >= {low} THEN '{band}'" for low, band in reversed(AGE_BANDS)),
        "END;",
        "CREATE TEMP MACRO IF NOT EXISTS cf_claim_type(claim_type, segment_index, source_system) AS"
        " CASE WHEN segment_index IS NULL THEN source_system",
        *(f"  WHEN claim_type = '{kind}' THEN '{code}'" for code, kind in CLAIM_TYPE.items()),
        "  ELSE claim_type END;",
    )
)
"""Temporary macros for the code sets above, defined from the Python tables (one definition)."""

HISTORY_TARGETS = """
  SELECT claim_id, as_of, 'payer' AS key_kind, coalesce(payer_id, '') AS payer_id,
         '' AS billing_npi, '' AS procedure_code, '' AS member_id
  FROM cf_risk_claims
  UNION ALL
  SELECT claim_id, as_of, 'payer_provider', coalesce(payer_id, ''), coalesce(billing_npi, ''),
         '', ''
  FROM cf_risk_claims
  UNION ALL
  SELECT DISTINCT c.claim_id, c.as_of, 'payer_procedure', coalesce(c.payer_id, ''), '',
         l.procedure_code, ''
  FROM cf_risk_claims AS c JOIN cf_risk_lines AS l ON l.claim_id = c.claim_id
  WHERE l.procedure_code IS NOT NULL
  UNION ALL
  SELECT claim_id, as_of, 'payer_member', coalesce(payer_id, ''), '', '', member_id
  FROM cf_risk_claims WHERE coalesce(member_id, '') <> ''
"""
"""The history keys of each claim: its payer, payer × billing provider, payer × each procedure,
payer × member (key columns that do not apply are '')."""


def _history_columns() -> str:
    parts: list[str] = []
    for kind, _ in HISTORY_KINDS:
        match = f"h.key_kind = '{kind}'"
        if kind == "payer_procedure":  # the principal line's procedure
            match += " AND h.procedure_code = p.procedure_code"
        parts += [
            f"coalesce(any_value(h.claims) FILTER (WHERE {match}), 0) AS hist_{kind}_claims",
            f"any_value(h.denial_rate) FILTER (WHERE {match}) AS hist_{kind}_denial_rate",
            f"any_value(h.avg_days_to_pay) FILTER (WHERE {match}) AS hist_{kind}_days_to_pay",
        ]
    parts.append(
        "max(h.denial_rate) FILTER (WHERE h.key_kind = 'payer_procedure')"
        " AS hist_payer_procedure_max_denial_rate"
    )
    return ",\n         ".join(parts)


FEATURES_SQL = f"""
WITH lines AS (
  SELECT l.*,
         list_filter([l.modifier_1, l.modifier_2, l.modifier_3, l.modifier_4],
                     lambda m: m IS NOT NULL AND m <> '') AS modifiers,
         row_number() OVER (PARTITION BY l.claim_id
                            ORDER BY l.line_charge DESC NULLS LAST, l.line_number) AS rank
  FROM cf_risk_lines AS l
), line_totals AS (
  SELECT claim_id, count(*) AS line_count, count(DISTINCT procedure_code) AS distinct_procedures,
         sum(len(modifiers)) AS modifier_count, sum(units)::DOUBLE AS total_units,
         max(units)::DOUBLE AS max_line_units, sum(line_charge) AS total_charge,
         max(line_charge) AS max_line_charge, min(service_from) AS first_service
  FROM lines GROUP BY 1
), principal AS (
  SELECT claim_id, procedure_code, array_to_string(list_sort(modifiers), '+') AS modifiers,
         place_of_service_code, rendering_npi
  FROM lines WHERE rank = 1
), dx_chapters AS (
  SELECT claim_id, sequence, cf_icd10_chapter(code) AS chapter FROM cf_risk_dx
), dx AS (
  SELECT claim_id, count(*) AS diagnosis_count,
         arg_min(chapter, sequence) AS principal_chapter,
         count(DISTINCT chapter) AS chapter_count,
         array_to_string(list_sort(list(DISTINCT chapter) FILTER (WHERE chapter IS NOT NULL)),
                         ',') AS chapters
  FROM dx_chapters GROUP BY 1
), hist AS (
  SELECT h.claim_id,
         {_history_columns()}
  FROM cf_risk_hist AS h LEFT JOIN principal AS p ON p.claim_id = h.claim_id
  GROUP BY 1
), claims AS (
  SELECT c.*, p.procedure_code AS principal_procedure, p.modifiers AS principal_modifiers,
         coalesce(c.place_of_service, p.place_of_service_code) AS pos,
         coalesce(c.rendering_npi, p.rendering_npi) AS rendering,
         coalesce(t.first_service, c.statement_from) AS first_service
  FROM cf_risk_claims AS c
  LEFT JOIN principal AS p ON p.claim_id = c.claim_id
  LEFT JOIN line_totals AS t ON t.claim_id = c.claim_id
)
SELECT c.claim_id, c.as_of, '{FEATURE_SET_VERSION}' AS feature_set_version,
       c.payer_id, c.claim_type, c.billing_npi, c.rendering AS rendering_npi,
       c.pos AS place_of_service, coalesce(c.frequency_code, '1') AS frequency_code,
       coalesce(t.line_count, 0) AS line_count,
       coalesce(t.distinct_procedures, 0) AS distinct_procedures,
       c.principal_procedure, coalesce(c.principal_modifiers, '') AS principal_modifiers,
       coalesce(t.modifier_count, 0) AS modifier_count,
       t.total_units, t.max_line_units, t.total_charge, t.max_line_charge,
       coalesce(d.diagnosis_count, 0) AS diagnosis_count,
       d.principal_chapter AS principal_dx_chapter,
       coalesce(d.chapter_count, 0) AS dx_chapter_count,
       coalesce(d.chapters, '') AS dx_chapters,
       cf_age_band(coalesce(c.patient_age, date_sub('year', c.patient_dob,
                                                    coalesce(c.first_service, c.submission_date))))
         AS age_band,
       coalesce(trim(c.prior_auth_number), '') <> '' AS has_prior_auth,
       c.submission_date - c.first_service AS days_to_submission,
       coalesce(nb.valid, false) AS billing_npi_valid,
       nr.valid AS rendering_npi_valid,
       {
    ", ".join(
        f"coalesce(h.hist_{k}_claims, 0) AS hist_{k}_claims, h.hist_{k}_denial_rate, "
        f"h.hist_{k}_days_to_pay"
        for k, _ in HISTORY_KINDS
    )
},
       h.hist_payer_procedure_max_denial_rate
FROM claims AS c
LEFT JOIN line_totals AS t ON t.claim_id = c.claim_id
LEFT JOIN dx AS d ON d.claim_id = c.claim_id
LEFT JOIN hist AS h ON h.claim_id = c.claim_id
LEFT JOIN cf_risk_npi AS nb ON nb.npi = c.billing_npi
LEFT JOIN cf_risk_npi AS nr ON nr.npi = c.rendering
"""
"""The features of every claim in ``cf_risk_claims``: claim_id, as_of, feature_set_version and
the features, in the column order of ``risk_features``."""


def prepare(conn: duckdb.DuckDBPyConnection) -> None:
    """Define the macros ``FEATURES_SQL`` uses on this connection (once: they stay)."""
    conn.execute(MACROS)


def check_npis(conn: duckdb.DuckDBPyConnection) -> None:
    """Fill ``cf_risk_npi`` with every NPI of the claims to describe and whether it is valid.

    The check digit is claimflow's one definition (``claimflow.x12.rules``), run once per
    distinct NPI: claims repeat a few providers many times.
    """
    npis = conn.execute(
        "SELECT DISTINCT npi FROM (SELECT billing_npi AS npi FROM cf_risk_claims"
        " UNION ALL SELECT rendering_npi FROM cf_risk_claims"
        " UNION ALL SELECT rendering_npi FROM cf_risk_lines) WHERE npi IS NOT NULL"
    ).fetchall()
    conn.execute("CREATE OR REPLACE TEMP TABLE cf_risk_npi (npi VARCHAR, valid BOOLEAN)")
    if npis:
        conn.executemany(
            "INSERT INTO cf_risk_npi VALUES (?, ?)", [(n, npi_is_valid(n)) for (n,) in npis]
        )
