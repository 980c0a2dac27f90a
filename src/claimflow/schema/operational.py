"""Bronze registries, run records, rule results, caches and logs."""

from __future__ import annotations

from claimflow.schema._types import INT, TS, B, C, Column, D, Kind, M, N, T, Table, _cols

SOURCE_FILES = Table(
    "source_files",
    (
        Column("file_id", C, "sha256 of the file's bytes"),
        Column("path", T, "where the file was read from (last time)"),
        Column("kind", C, "csv, json, ndjson, parquet, x12"),
        Column("source_system", C),
        Column("size_bytes", INT),
        Column("received_at", TS, "first time the file was seen"),
        Column("status", C, "loaded or failed"),
        Column("message", T, "why a file failed"),
        Column("run_id", C, "the run that last processed the file"),
    ),
    primary_key="file_id",
    doc="bronze: the file registry. A loaded file is never ingested again.",
)

BRONZE_EMR_ROWS = Table(
    "bronze_emr_rows",
    (
        Column("source_file_id", C),
        Column("source_system", C),
        Column("source_row_number", INT, "1-based record position; NULL for unparseable lines"),
        Column("source_line", INT, "line number, where the reader knows it"),
        Column("raw_record", Kind.JSON, "the record as read: a JSON object of its fields"),
        Column(
            "lineage_hash",
            C,
            "derived on read: sha256 over file id, row number and raw record (a line the"
            " reader could not split: over its line number and text, stored)",
        ),
        Column("disposition", C, "loaded, quarantined or duplicate"),
        Column("run_id", C),
    ),
    doc="bronze: every EMR record exactly as read, and where it went. `bronze_emr_raw` stores"
    " each record once; this view derives its lineage hash (migration 0005).",
    stored_in="bronze_emr_raw",
)

X12_TRANSACTIONS = Table(
    "x12_transactions",
    (
        Column("source_file_id", C),
        Column("isa_control_number", C),
        Column("group_control_number", C),
        Column("st_control_number", C),
        Column("transaction_set", C, "ST01"),
        Column("guide", C, "ST03, else GS08"),
        Column("kind", C, "837P, 837I, 837D, 835, 999, 277CA or unsupported"),
        Column("first_segment", INT),
        Column("last_segment", INT),
        Column("error_count", INT),
        Column("status", C, "loaded, quarantined (errors) or unsupported"),
        Column("rows_extracted", INT),
        Column("run_id", C),
    ),
    doc="bronze: every X12 transaction set seen, and where its rows went.",
)

X12_ERRORS = Table(
    "x12_errors",
    (
        Column("source_file_id", C),
        Column("isa_control_number", C),
        Column("group_control_number", C),
        Column("st_control_number", C),
        Column("severity", C, "error or warning"),
        Column("kind", C),
        Column("code", C, "the rule, e.g. se_count"),
        Column("segment_index", INT, "position in the file"),
        Column("segment_position", INT, "IK302: position in the transaction set"),
        Column("segment_id", C, "IK301"),
        Column("loop_id", C, "IK303"),
        Column("element_position", INT),
        Column("component_position", INT),
        Column("segment_error_code", C, "IK304"),
        Column("element_error_code", C, "IK403"),
        Column("bad_value", T, "IK404 (may be PHI: the warehouse is a PHI store)"),
        Column("context", T, "the claim (CLM01) the error sits in"),
        Column("message", T),
        Column("run_id", C),
    ),
    doc="Every X12 error and warning with its coordinates.",
)

RUNS = Table(
    "runs",
    (
        Column("run_id", C),
        Column("started_at", TS),
        Column("ended_at", TS),
        Column("config_path", T),
        Column("config_hash", C, "sha256 of the validated configuration"),
        Column("reference_date", D),
        Column(
            "status",
            C,
            "running, ok, finished_with_warnings, finished_with_quarantine, or interrupted (the"
            " process ended before the run committed; the next run marks it)",
        ),
        *_cols(INT, "files_seen", "files_loaded", "files_skipped", "files_failed"),
        *_cols(INT, "rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate"),
        Column("duration_seconds", N),
    ),
    primary_key="run_id",
)

RUN_FILES = Table(
    "run_files",
    (
        Column("run_id", C),
        Column("file_id", C),
        Column("path", T),
        Column("source_name", C),
        Column("source_system", C),
        Column("status", C, "loaded, failed, or skipped (already loaded)"),
        *_cols(INT, "rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate"),
        Column("message", T),
    ),
    doc="Per run and file: rows read = loaded + quarantined + duplicate.",
)

DQ_RESULTS = Table(
    "dq_results",
    (
        Column("run_id", C),
        Column("table_name", C),
        Column("rule", C),
        Column("severity", C, "error (quarantines) or warn (flags)"),
        Column("failed_rows", INT),
        Column("data_source", C),
        Column("source_file_id", C),
    ),
    doc="One row per (run, table, rule, file): Tuva's logical DQ summary shape.",
)

DENIAL_TEXT_CLASSIFICATIONS = Table(
    "denial_text_classifications",
    (
        Column("normalized_text", T),
        Column("classifier_version", C),
        Column("label", C),
        Column("category", C),
        Column("confidence", N),
        Column("layer", C, "exact, rule, model or fallback"),
        Column("explanation", T),
        Column("disposition", C),
        Column("auto_resubmit", B),
        Column("model_version", C),
        Column("classified_at", TS),
        Column("run_id", C),
    ),
    doc="Cache: each distinct normalised denial text, classified once per classifier version.",
)

RESUBMISSIONS = Table(
    "resubmissions",
    (
        Column("claim_id", C, "the claim that was denied or rejected"),
        Column("attempt", INT),
        Column("trigger", C, "835, 277ca or 999"),
        Column("trigger_id", C, "adjudication_id or ack_id that caused it"),
        Column("frequency_code", C, "7 replacement (denial) or 1 new original (rejection)"),
        Column("original_payer_claim_control_number", C, "REF*F8 = CLP07"),
        Column("category", C),
        Column("fix", T, "what was changed, in a biller's words"),
        Column("run_id", C),
        Column("created_at", TS),
    ),
    doc="Every automatic resubmission written to a corrected-claim file; never repeated.",
)

REJECTION_LOG = Table(
    "rejection_log",
    (
        Column("run_id", C, "the run that logged the line"),
        Column("logged_at", TS, "when that run logged it (UTC)"),
        Column("claim_id", C, "the warehouse's internal key of the claim (claims_header)"),
        Column(
            "patient_control_number", C, "the provider's claim number (CLM01, or the EMR claim id)"
        ),
        Column("source_system", C, "the claim's source system (an EMR's, or its 837 source's)"),
        Column(
            "reason",
            C,
            "why it was not resubmitted: an exclusion reason (EMR claims) or "
            "the resubmission plan's (837 claims denied by an 835, 277CA or 999)",
        ),
        Column(
            "classification",
            C,
            "retryable, non_retryable or ambiguous (EMR claims); "
            "an 837 claim's reason (non_retryable when it is not resubmittable)",
        ),
        Column("label", C, "the classifier's label of the denial"),
        Column("category", C, "the denial category (CARC category map, or the classifier's)"),
        Column("disposition", C, "what the classifier says to do with such a denial"),
        Column("confidence", N, "the classifier's confidence, 0 to 1"),
        Column(
            "denial_reason",
            T,
            "the EMR's denial text, or the classifier's explanation of an 835/277CA/999 denial",
        ),
        Column(
            "lineage_hash",
            C,
            "the denied row's: `claimflow lineage HASH` shows its file, position and raw record",
        ),
        Column("amount", M, "the money at stake: the claim's charge (or the denied amount)"),
        Column("recommended_fix", T, "what a biller should do, in words (migration 0002)"),
    ),
    doc="Append-only: each (claim, decision) logged once, ever.",
)

RUN_OUTPUTS = Table(
    "run_outputs",
    (
        Column("run_id", C),
        Column("name", C, "candidates, rejection_log, corrected_claims or metrics"),
        Column("path", T, "where the file is published"),
        Column(
            "staged_path",
            T,
            "the file the run wrote before it committed; NULL: the run has none of this output,"
            " and the previous run's file at `path` is removed",
        ),
        Column("size_bytes", INT, "of the staged file"),
        Column("sha256", C, "of the staged file"),
        Column(
            "append_at",
            INT,
            "the rejection log's size before this run's lines: the log is cut back to it before"
            " they are appended (NULL: the file replaces the one at `path`)",
        ),
        Column("published_at", TS, "NULL until the file is in place"),
    ),
    doc="Every output file of a run, recorded in the run's commit before the file is put in"
    " place: a run killed between the two has its files put in place by the next run.",
)

CONTROL_NUMBERS = Table(
    "control_numbers",
    (
        Column("sender_id", C, "ISA06"),
        Column("receiver_id", C, "ISA08"),
        Column("last_used", INT, "the last ISA13 (and GS06) given to an interchange between them"),
    ),
    doc="The interchange control number counter per sender and receiver: a number is given"
    " once, in the commit of the run that writes the interchange, and never again.",
)

OUTBOUND_INTERCHANGES = Table(
    "outbound_interchanges",
    (
        Column("sender_id", C, "ISA06"),
        Column("receiver_id", C, "ISA08"),
        Column("control_number", INT, "ISA13 = GS06"),
        Column("transaction_set", C, "837P, 837I or 837D"),
        Column("claims", INT),
        Column("run_id", C, "the run that wrote it"),
        Column("path", T, "the file it was written to"),
        Column("created_at", TS),
    ),
    doc="Every interchange claimflow wrote, by control number: which run wrote it and where.",
)

RETENTION_PURGES = Table(
    "retention_purges",
    (
        Column("purge_id", C, "one `claimflow purge`"),
        Column("purged_at", TS, "when it ran (UTC)"),
        Column("purged_by", C, "the operating-system user who ran it"),
        Column("older_than_days", INT, "the retention period given (--older-than)"),
        Column("cutoff", TS, "rows that came in before this lost their raw values"),
        Column("table_name", C, "the table purged"),
        Column("columns", T, "the columns set to NULL, comma-separated"),
        Column("rows_purged", INT, "rows of that table whose values were removed by this purge"),
    ),
    doc='Append-only: one row per purge and table (docs/security.md, "Retention"). A row'
    " came in at its run's `started_at` (appeal cases: `prepared_at`); lineage hashes and"
    " counts are kept.",
)

OPERATIONAL_TABLES: tuple[Table, ...] = (
    SOURCE_FILES,
    BRONZE_EMR_ROWS,
    X12_TRANSACTIONS,
    X12_ERRORS,
    RUNS,
    RUN_FILES,
    DQ_RESULTS,
    DENIAL_TEXT_CLASSIFICATIONS,
    RESUBMISSIONS,
    REJECTION_LOG,
    RUN_OUTPUTS,
    CONTROL_NUMBERS,
    OUTBOUND_INTERCHANGES,
    RETENTION_PURGES,
)
