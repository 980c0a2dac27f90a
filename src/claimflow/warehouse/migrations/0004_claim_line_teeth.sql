-- 837D tooth information (2400 TOO): one row per tooth on a dental service line, with its
-- surfaces; dental denials often turn on the tooth (frequency limits, missing-tooth clauses).
-- Generated from claimflow.schema.claims.CLAIM_LINE_TEETH (create_table_sql).
CREATE TABLE claim_line_teeth (
    tooth_id VARCHAR,
    claim_id VARCHAR,
    claim_line_id VARCHAR,
    sequence BIGINT,
    code_qualifier VARCHAR,
    tooth_code VARCHAR,
    surfaces VARCHAR,
    source_system VARCHAR,
    data_source VARCHAR,
    source_file_id VARCHAR,
    source_row_number BIGINT,
    isa_control_number VARCHAR,
    group_control_number VARCHAR,
    st_control_number VARCHAR,
    segment_index BIGINT,
    lineage_hash VARCHAR,
    run_id VARCHAR,
    ingested_at TIMESTAMP
);

CREATE TABLE claim_line_teeth__quarantine (
    tooth_id VARCHAR,
    claim_id VARCHAR,
    claim_line_id VARCHAR,
    sequence BIGINT,
    code_qualifier VARCHAR,
    tooth_code VARCHAR,
    surfaces VARCHAR,
    source_system VARCHAR,
    data_source VARCHAR,
    source_file_id VARCHAR,
    source_row_number BIGINT,
    isa_control_number VARCHAR,
    group_control_number VARCHAR,
    st_control_number VARCHAR,
    segment_index BIGINT,
    lineage_hash VARCHAR,
    run_id VARCHAR,
    ingested_at TIMESTAMP,
    dq_rule VARCHAR,
    dq_severity VARCHAR,
    dq_details VARCHAR
);
