-- Drafted appeals and their outcomes (issue 20, docs/appeals.md): appeal_drafts holds one row
-- per `claimflow appeal draft` (strength, trace and lint counts, the two documents' hashes);
-- appeal_outcomes what the payer decided on each appeal, from a later 835 or entered by a
-- person. Both append-only. Generated from claimflow.schema.appeal_drafts (create_table_sql).
-- IF NOT EXISTS: a warehouse rolled back to an older schema version keeps these tables.
CREATE TABLE IF NOT EXISTS appeal_drafts (
    draft_id VARCHAR,
    case_id VARCHAR,
    drafted_at TIMESTAMP,
    drafted_by VARCHAR,
    condition VARCHAR,
    verdict BOOLEAN,
    overall BIGINT,
    rating VARCHAR,
    numbers BIGINT,
    untraced BIGINT,
    lint_findings BIGINT,
    problems BIGINT,
    conflicts BIGINT,
    assessment VARCHAR,
    template VARCHAR,
    rephrased VARCHAR,
    out_dir VARCHAR,
    letter_sha256 VARCHAR,
    review_sha256 VARCHAR
);
CREATE TABLE IF NOT EXISTS appeal_outcomes (
    case_id VARCHAR,
    outcome VARCHAR,
    decided_on DATE,
    paid_amount DECIMAL(18,2),
    source VARCHAR,
    recorded_by VARCHAR,
    recorded_at TIMESTAMP,
    note VARCHAR
);
