-- Retention (issue 21, docs/security.md "Retention"): `claimflow purge --older-than DAYS` sets
-- raw records, offending values and clinical note text older than the retention period to NULL
-- and appends one row per purge and table here (append-only). Generated from
-- claimflow.schema.operational (create_table_sql).
CREATE TABLE IF NOT EXISTS retention_purges (
    purge_id VARCHAR,
    purged_at TIMESTAMP,
    purged_by VARCHAR,
    older_than_days BIGINT,
    cutoff TIMESTAMP,
    table_name VARCHAR,
    columns VARCHAR,
    rows_purged BIGINT
);
