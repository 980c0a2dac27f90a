"""Reference code sets (CARC, RARC, group codes, claim status, 999 codes, POS, frequency)."""

from __future__ import annotations

from claimflow.schema._types import INT, TS, C, Column, Kind, T, Table

REF_CODES = Table(
    "ref_codes",
    (
        Column("code_set", C, "carc, rarc, group_code, clp02, claim_status_category, ..."),
        Column("code", C),
        Column("description", T),
        Column("status", C, "current or deactivated; a code once known is never dropped"),
        Column("attributes", Kind.JSON, "the file's other columns, as JSON"),
        Column("in_latest", Kind.BOOLEAN, "listed in the newest file loaded for its set"),
        Column("source", T, "shipped:<file> or the path of a refresh file"),
        Column("loaded_at", TS),
    ),
    primary_key="code_set, code",
    doc="Every reference code, long: one row per (code set, code).",
)

REF_CARC_CATEGORY = Table(
    "ref_carc_category",
    (
        Column("carc", C),
        Column("category", C, "claimflow's denial category"),
        Column("source_category", C, "the reviewed map's own, longer name"),
        Column("default_action", C),
        Column("auto_resubmit_eligible", C, "Y, N or CONDITIONAL"),
        Column("note", T),
        Column("needs_rarc", Kind.BOOLEAN, "the CARC says 'see the remark code'"),
    ),
    primary_key="carc",
    doc="CARC → denial category, from the project's reviewed map (see its MANIFEST).",
)

REF_RARC_CATEGORY = Table(
    "ref_rarc_category",
    (
        Column("rarc", C),
        Column("category", C, "the category of a CARC that needs a remark, given this remark"),
    ),
    primary_key="rarc",
    doc="RARC → denial category, for CARCs classified on the CARC + RARC pair.",
)

REF_SETS = Table(
    "ref_sets",
    (
        Column("code_set", C),
        Column("source", T),
        Column("content_sha256", C),
        Column("rows", INT),
        Column("loaded_at", TS),
    ),
    doc="Which file last loaded each code set.",
)

REFERENCE_TABLES: tuple[Table, ...] = (REF_CODES, REF_CARC_CATEGORY, REF_RARC_CATEGORY, REF_SETS)
