-- Store the high-entropy strings of the two biggest append-only tables with zstd: the raw
-- EMR record and the lineage hash of every bronze row, and the claim ids and lineage hash of
-- every rejection-log line. DuckDB's default analysis (dictionary, then FSST) costs 2-3x as
-- much per appended value on such strings as zstd does, for a similar or larger file
-- (docs/benchmarks.md, EMR pipeline). Same columns, same order, same rows: only the storage
-- changes. A column's compression can only be declared when its table is created, so each
-- table is rebuilt (columns copied by name: a warehouse made by an early build lacks some).
CREATE TABLE bronze_emr_rows__0003 (
    source_file_id VARCHAR,
    source_system VARCHAR,
    source_row_number BIGINT,
    source_line BIGINT,
    raw_record VARCHAR USING COMPRESSION zstd,
    lineage_hash VARCHAR USING COMPRESSION zstd,
    disposition VARCHAR,
    run_id VARCHAR
);
INSERT INTO bronze_emr_rows__0003 BY NAME SELECT * FROM bronze_emr_rows;
DROP TABLE bronze_emr_rows;
ALTER TABLE bronze_emr_rows__0003 RENAME TO bronze_emr_rows;

CREATE TABLE rejection_log__0003 (
    run_id VARCHAR,
    logged_at TIMESTAMP,
    claim_id VARCHAR USING COMPRESSION zstd,
    patient_control_number VARCHAR USING COMPRESSION zstd,
    source_system VARCHAR,
    reason VARCHAR,
    classification VARCHAR,
    label VARCHAR,
    category VARCHAR,
    disposition VARCHAR,
    confidence DOUBLE,
    denial_reason VARCHAR,
    lineage_hash VARCHAR USING COMPRESSION zstd,
    amount DECIMAL(18,2),
    recommended_fix VARCHAR
);
INSERT INTO rejection_log__0003 BY NAME SELECT * FROM rejection_log;
DROP TABLE rejection_log;
ALTER TABLE rejection_log__0003 RENAME TO rejection_log;
