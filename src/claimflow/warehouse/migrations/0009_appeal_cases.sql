-- Appeal cases (issue 20, docs/appeals.md): appeal_cases holds one row per case prepared by
-- `claimflow appeal prepare` (the denial letter's fields, the condition, the payer's arguments,
-- the warehouse claim it matched); clinical_observations, clinical_medications,
-- clinical_diagnoses and clinical_notes hold its chart, each row with its lineage hash back to
-- the file and the position it was read from; their __quarantine siblings the rows that could
-- not be read (the same columns plus dq_rule, dq_severity, dq_details).
-- Generated from claimflow.schema.appeals (create_table_sql). IF NOT EXISTS: a warehouse
-- rolled back to an older schema version keeps these tables.
CREATE TABLE IF NOT EXISTS appeal_cases (
    case_id VARCHAR,
    case_dir VARCHAR,
    condition VARCHAR,
    account_number VARCHAR,
    claim_number VARCHAR,
    payer VARCHAR,
    member_id VARCHAR,
    admitted TIMESTAMP,
    discharged TIMESTAMP,
    original_drg VARCHAR,
    proposed_drg VARCHAR,
    letter_date DATE,
    appeal_deadline DATE,
    deadline_rule VARCHAR,
    arguments VARCHAR,
    letter_file VARCHAR,
    letter_file_id VARCHAR,
    letter_format VARCHAR,
    ocr BOOLEAN,
    ocr_confidence DOUBLE,
    letter_text VARCHAR,
    record_format VARCHAR,
    record_files VARCHAR,
    claim_id VARCHAR,
    warnings VARCHAR,
    prepared_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS clinical_observations (
    case_id VARCHAR,
    param VARCHAR,
    observed_at TIMESTAMP,
    observed_until TIMESTAMP,
    value DOUBLE,
    unit VARCHAR,
    value_text VARCHAR,
    qualifier VARCHAR,
    raw_value VARCHAR,
    raw_unit VARCHAR,
    file VARCHAR,
    position VARCHAR,
    source_file_id VARCHAR,
    lineage_hash VARCHAR
);
CREATE TABLE IF NOT EXISTS clinical_observations__quarantine (
    case_id VARCHAR,
    param VARCHAR,
    observed_at TIMESTAMP,
    observed_until TIMESTAMP,
    value DOUBLE,
    unit VARCHAR,
    value_text VARCHAR,
    qualifier VARCHAR,
    raw_value VARCHAR,
    raw_unit VARCHAR,
    file VARCHAR,
    position VARCHAR,
    source_file_id VARCHAR,
    lineage_hash VARCHAR,
    dq_rule VARCHAR,
    dq_severity VARCHAR,
    dq_details VARCHAR
);
CREATE TABLE IF NOT EXISTS clinical_medications (
    case_id VARCHAR,
    drug VARCHAR,
    drug_class VARCHAR,
    started_at TIMESTAMP,
    ended_at TIMESTAMP,
    rate DOUBLE,
    rate_unit VARCHAR,
    dose DOUBLE,
    dose_unit VARCHAR,
    file VARCHAR,
    position VARCHAR,
    source_file_id VARCHAR,
    lineage_hash VARCHAR
);
CREATE TABLE IF NOT EXISTS clinical_medications__quarantine (
    case_id VARCHAR,
    drug VARCHAR,
    drug_class VARCHAR,
    started_at TIMESTAMP,
    ended_at TIMESTAMP,
    rate DOUBLE,
    rate_unit VARCHAR,
    dose DOUBLE,
    dose_unit VARCHAR,
    file VARCHAR,
    position VARCHAR,
    source_file_id VARCHAR,
    lineage_hash VARCHAR,
    dq_rule VARCHAR,
    dq_severity VARCHAR,
    dq_details VARCHAR
);
CREATE TABLE IF NOT EXISTS clinical_diagnoses (
    case_id VARCHAR,
    code VARCHAR,
    description VARCHAR,
    poa VARCHAR,
    onset_at TIMESTAMP,
    file VARCHAR,
    position VARCHAR,
    source_file_id VARCHAR,
    lineage_hash VARCHAR
);
CREATE TABLE IF NOT EXISTS clinical_diagnoses__quarantine (
    case_id VARCHAR,
    code VARCHAR,
    description VARCHAR,
    poa VARCHAR,
    onset_at TIMESTAMP,
    file VARCHAR,
    position VARCHAR,
    source_file_id VARCHAR,
    lineage_hash VARCHAR,
    dq_rule VARCHAR,
    dq_severity VARCHAR,
    dq_details VARCHAR
);
CREATE TABLE IF NOT EXISTS clinical_notes (
    case_id VARCHAR,
    note_type VARCHAR,
    written_at TIMESTAMP,
    author VARCHAR,
    note_text VARCHAR,
    file VARCHAR,
    position VARCHAR,
    source_file_id VARCHAR,
    lineage_hash VARCHAR
);
CREATE TABLE IF NOT EXISTS clinical_notes__quarantine (
    case_id VARCHAR,
    note_type VARCHAR,
    written_at TIMESTAMP,
    author VARCHAR,
    note_text VARCHAR,
    file VARCHAR,
    position VARCHAR,
    source_file_id VARCHAR,
    lineage_hash VARCHAR,
    dq_rule VARCHAR,
    dq_severity VARCHAR,
    dq_details VARCHAR
);
