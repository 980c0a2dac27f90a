-- Bronze stores each EMR record's raw text once and derives its lineage hash from it.
--
-- A record's lineage hash is sha256 over its file id, its row number and its raw record, all
-- three already in bronze; silver and quarantine keep the hash as a column, so a query on them
-- needs no bronze. Storing it in bronze as well cost more than half of bronze's append (1M
-- records: 1.5 of 2.5 CPU-s, docs/benchmarks.md, ninth round). The records now live in
-- `bronze_emr_raw`, and `bronze_emr_rows` is a view with the same columns in the same order
-- that computes the hash on read. `bronze_emr_raw.lineage_hash` is kept only where the hash is
-- not that function of the row (a line the CSV reader could not split: its hash is over its
-- line number and its text, and it has no row number); elsewhere it is NULL.
CREATE TABLE bronze_emr_raw (
    source_file_id VARCHAR,
    source_system VARCHAR,
    source_row_number BIGINT,
    source_line BIGINT,
    raw_record VARCHAR USING COMPRESSION zstd,
    lineage_hash VARCHAR USING COMPRESSION zstd,
    disposition VARCHAR,
    run_id VARCHAR
);
INSERT INTO bronze_emr_raw
SELECT source_file_id, source_system, source_row_number, source_line, raw_record,
       CASE WHEN lineage_hash = sha256(source_file_id || ':' || source_row_number || ':' || raw_record)
            THEN NULL ELSE lineage_hash END,
       disposition, run_id
FROM bronze_emr_rows;
DROP TABLE bronze_emr_rows;
CREATE VIEW bronze_emr_rows AS
SELECT source_file_id, source_system, source_row_number, source_line, raw_record,
       COALESCE(lineage_hash, sha256(source_file_id || ':' || source_row_number || ':' || raw_record))
           AS lineage_hash,
       disposition, run_id
FROM bronze_emr_raw;
