-- 0001: the initial warehouse, generated from claimflow.schema (tests check they agree).

CREATE VIEW claims_header AS SELECT CAST(NULL AS VARCHAR) AS claim_id, CAST(NULL AS VARCHAR) AS patient_control_number, CAST(NULL AS VARCHAR) AS claim_type, CAST(NULL AS VARCHAR) AS claim_status, CAST(NULL AS VARCHAR) AS denial_reason, CAST(NULL AS DECIMAL(18,2)) AS total_charge, CAST(NULL AS VARCHAR) AS place_of_service_code, CAST(NULL AS VARCHAR) AS bill_type_code, CAST(NULL AS VARCHAR) AS claim_frequency_code, CAST(NULL AS VARCHAR) AS assignment_code, CAST(NULL AS VARCHAR) AS benefits_assignment, CAST(NULL AS VARCHAR) AS release_of_info, CAST(NULL AS VARCHAR) AS related_causes, CAST(NULL AS VARCHAR) AS delay_reason_code, CAST(NULL AS VARCHAR) AS payer_responsibility_seq, CAST(NULL AS VARCHAR) AS subscriber_relationship_code, CAST(NULL AS VARCHAR) AS group_number, CAST(NULL AS VARCHAR) AS claim_filing_indicator, CAST(NULL AS VARCHAR) AS member_id, CAST(NULL AS VARCHAR) AS person_id, CAST(NULL AS DATE) AS patient_dob, CAST(NULL AS VARCHAR) AS patient_gender, CAST(NULL AS VARCHAR) AS payer_id, CAST(NULL AS VARCHAR) AS payer_name, CAST(NULL AS VARCHAR) AS billing_npi, CAST(NULL AS VARCHAR) AS billing_tin, CAST(NULL AS VARCHAR) AS billing_taxonomy, CAST(NULL AS VARCHAR) AS rendering_npi, CAST(NULL AS VARCHAR) AS attending_npi, CAST(NULL AS VARCHAR) AS operating_npi, CAST(NULL AS VARCHAR) AS referring_npi, CAST(NULL AS VARCHAR) AS facility_npi, CAST(NULL AS DATE) AS statement_from, CAST(NULL AS DATE) AS statement_to, CAST(NULL AS DATE) AS admission_date, CAST(NULL AS VARCHAR) AS discharge_hour, CAST(NULL AS VARCHAR) AS admission_type_code, CAST(NULL AS VARCHAR) AS admission_source_code, CAST(NULL AS VARCHAR) AS discharge_status_code, CAST(NULL AS VARCHAR) AS drg_code, CAST(NULL AS VARCHAR) AS prior_auth_number, CAST(NULL AS VARCHAR) AS referral_number, CAST(NULL AS VARCHAR) AS original_payer_claim_control_number, CAST(NULL AS VARCHAR) AS clearinghouse_trace_number, CAST(NULL AS VARCHAR) AS medical_record_number, CAST(NULL AS DECIMAL(18,2)) AS patient_paid_amount, CAST(NULL AS DECIMAL(18,2)) AS expected_payment, CAST(NULL AS DATE) AS submission_date, CAST(NULL AS VARCHAR) AS batch_id, CAST(NULL AS VARCHAR) AS source_system, CAST(NULL AS VARCHAR) AS data_source, CAST(NULL AS VARCHAR) AS source_file_id, CAST(NULL AS BIGINT) AS source_row_number, CAST(NULL AS VARCHAR) AS isa_control_number, CAST(NULL AS VARCHAR) AS group_control_number, CAST(NULL AS VARCHAR) AS st_control_number, CAST(NULL AS BIGINT) AS segment_index, CAST(NULL AS VARCHAR) AS lineage_hash, CAST(NULL AS VARCHAR) AS run_id, CAST(NULL AS TIMESTAMP) AS ingested_at WHERE false;

CREATE TABLE claims_header__quarantine (
    claim_id VARCHAR,
    patient_control_number VARCHAR,
    claim_type VARCHAR,
    claim_status VARCHAR,
    denial_reason VARCHAR,
    total_charge DECIMAL(18,2),
    place_of_service_code VARCHAR,
    bill_type_code VARCHAR,
    claim_frequency_code VARCHAR,
    assignment_code VARCHAR,
    benefits_assignment VARCHAR,
    release_of_info VARCHAR,
    related_causes VARCHAR,
    delay_reason_code VARCHAR,
    payer_responsibility_seq VARCHAR,
    subscriber_relationship_code VARCHAR,
    group_number VARCHAR,
    claim_filing_indicator VARCHAR,
    member_id VARCHAR,
    person_id VARCHAR,
    patient_dob DATE,
    patient_gender VARCHAR,
    payer_id VARCHAR,
    payer_name VARCHAR,
    billing_npi VARCHAR,
    billing_tin VARCHAR,
    billing_taxonomy VARCHAR,
    rendering_npi VARCHAR,
    attending_npi VARCHAR,
    operating_npi VARCHAR,
    referring_npi VARCHAR,
    facility_npi VARCHAR,
    statement_from DATE,
    statement_to DATE,
    admission_date DATE,
    discharge_hour VARCHAR,
    admission_type_code VARCHAR,
    admission_source_code VARCHAR,
    discharge_status_code VARCHAR,
    drg_code VARCHAR,
    prior_auth_number VARCHAR,
    referral_number VARCHAR,
    original_payer_claim_control_number VARCHAR,
    clearinghouse_trace_number VARCHAR,
    medical_record_number VARCHAR,
    patient_paid_amount DECIMAL(18,2),
    expected_payment DECIMAL(18,2),
    submission_date DATE,
    batch_id VARCHAR,
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

CREATE VIEW claims_line AS SELECT CAST(NULL AS VARCHAR) AS claim_line_id, CAST(NULL AS VARCHAR) AS claim_id, CAST(NULL AS BIGINT) AS line_number, CAST(NULL AS VARCHAR) AS line_item_control_number, CAST(NULL AS VARCHAR) AS revenue_code, CAST(NULL AS VARCHAR) AS procedure_qualifier, CAST(NULL AS VARCHAR) AS procedure_code, CAST(NULL AS VARCHAR) AS modifier_1, CAST(NULL AS VARCHAR) AS modifier_2, CAST(NULL AS VARCHAR) AS modifier_3, CAST(NULL AS VARCHAR) AS modifier_4, CAST(NULL AS DECIMAL(18,2)) AS line_charge, CAST(NULL AS VARCHAR) AS unit_basis, CAST(NULL AS DOUBLE) AS units, CAST(NULL AS VARCHAR) AS place_of_service_code, CAST(NULL AS BIGINT) AS dx_pointer_1, CAST(NULL AS BIGINT) AS dx_pointer_2, CAST(NULL AS BIGINT) AS dx_pointer_3, CAST(NULL AS BIGINT) AS dx_pointer_4, CAST(NULL AS DECIMAL(18,2)) AS non_covered_charge, CAST(NULL AS VARCHAR) AS emergency_indicator, CAST(NULL AS DATE) AS service_from, CAST(NULL AS DATE) AS service_to, CAST(NULL AS VARCHAR) AS ndc_code, CAST(NULL AS DOUBLE) AS drug_qty, CAST(NULL AS VARCHAR) AS drug_unit, CAST(NULL AS VARCHAR) AS rendering_npi, CAST(NULL AS VARCHAR) AS source_system, CAST(NULL AS VARCHAR) AS data_source, CAST(NULL AS VARCHAR) AS source_file_id, CAST(NULL AS BIGINT) AS source_row_number, CAST(NULL AS VARCHAR) AS isa_control_number, CAST(NULL AS VARCHAR) AS group_control_number, CAST(NULL AS VARCHAR) AS st_control_number, CAST(NULL AS BIGINT) AS segment_index, CAST(NULL AS VARCHAR) AS lineage_hash, CAST(NULL AS VARCHAR) AS run_id, CAST(NULL AS TIMESTAMP) AS ingested_at WHERE false;

CREATE VIEW diagnoses AS SELECT CAST(NULL AS VARCHAR) AS diagnosis_id, CAST(NULL AS VARCHAR) AS claim_id, CAST(NULL AS BIGINT) AS sequence, CAST(NULL AS VARCHAR) AS qualifier, CAST(NULL AS VARCHAR) AS code, CAST(NULL AS VARCHAR) AS poa_indicator, CAST(NULL AS BOOLEAN) AS is_principal, CAST(NULL AS VARCHAR) AS source_system, CAST(NULL AS VARCHAR) AS data_source, CAST(NULL AS VARCHAR) AS source_file_id, CAST(NULL AS BIGINT) AS source_row_number, CAST(NULL AS VARCHAR) AS isa_control_number, CAST(NULL AS VARCHAR) AS group_control_number, CAST(NULL AS VARCHAR) AS st_control_number, CAST(NULL AS BIGINT) AS segment_index, CAST(NULL AS VARCHAR) AS lineage_hash, CAST(NULL AS VARCHAR) AS run_id, CAST(NULL AS TIMESTAMP) AS ingested_at WHERE false;

CREATE TABLE source_files (
    file_id VARCHAR,
    path VARCHAR,
    kind VARCHAR,
    source_system VARCHAR,
    size_bytes BIGINT,
    received_at TIMESTAMP,
    status VARCHAR,
    message VARCHAR,
    run_id VARCHAR
);

CREATE TABLE bronze_emr_rows (
    source_file_id VARCHAR,
    source_system VARCHAR,
    source_row_number BIGINT,
    source_line BIGINT,
    raw_record VARCHAR,
    lineage_hash VARCHAR,
    disposition VARCHAR,
    run_id VARCHAR
);

CREATE TABLE runs (
    run_id VARCHAR,
    started_at TIMESTAMP,
    ended_at TIMESTAMP,
    config_path VARCHAR,
    config_hash VARCHAR,
    reference_date DATE,
    status VARCHAR,
    files_seen BIGINT,
    files_loaded BIGINT,
    files_skipped BIGINT,
    files_failed BIGINT,
    rows_read BIGINT,
    rows_loaded BIGINT,
    rows_quarantined BIGINT,
    rows_duplicate BIGINT,
    duration_seconds DOUBLE
);

CREATE TABLE run_files (
    run_id VARCHAR,
    file_id VARCHAR,
    path VARCHAR,
    source_name VARCHAR,
    source_system VARCHAR,
    status VARCHAR,
    rows_read BIGINT,
    rows_loaded BIGINT,
    rows_quarantined BIGINT,
    rows_duplicate BIGINT,
    message VARCHAR
);

CREATE TABLE dq_results (
    run_id VARCHAR,
    table_name VARCHAR,
    rule VARCHAR,
    severity VARCHAR,
    failed_rows BIGINT,
    data_source VARCHAR,
    source_file_id VARCHAR
);

CREATE TABLE denial_text_classifications (
    normalized_text VARCHAR,
    classifier_version VARCHAR,
    label VARCHAR,
    category VARCHAR,
    confidence DOUBLE,
    layer VARCHAR,
    explanation VARCHAR,
    classified_at TIMESTAMP,
    run_id VARCHAR
);

CREATE TABLE rejection_log (
    run_id VARCHAR,
    logged_at TIMESTAMP,
    claim_id VARCHAR,
    patient_control_number VARCHAR,
    source_system VARCHAR,
    reason VARCHAR,
    classification VARCHAR,
    label VARCHAR,
    confidence DOUBLE,
    denial_reason VARCHAR,
    lineage_hash VARCHAR
);
