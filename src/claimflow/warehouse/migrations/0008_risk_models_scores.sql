-- Denial-risk model registry, scores and monitoring (issue 19): risk_models holds every trained
-- model (one is the champion), risk_scores the champion's score of each claim without an outcome,
-- risk_monitoring the drift and outcome figures of each run. risk_features and risk_history are
-- made anew (derived tables, no run wrote them yet): the payer × member history joins them.
-- sla_alerts also holds the monitoring's alerts (no claim): the model version and, in words,
-- what crossed which threshold.
-- Generated from claimflow.schema.risk (create_table_sql).
DROP TABLE risk_features;
DROP TABLE risk_history;
CREATE TABLE risk_features (
    claim_id VARCHAR,
    as_of TIMESTAMP,
    feature_set_version VARCHAR,
    payer_id VARCHAR,
    claim_type VARCHAR,
    billing_npi VARCHAR,
    rendering_npi VARCHAR,
    place_of_service VARCHAR,
    frequency_code VARCHAR,
    line_count BIGINT,
    distinct_procedures BIGINT,
    principal_procedure VARCHAR,
    principal_modifiers VARCHAR,
    modifier_count BIGINT,
    total_units DOUBLE,
    max_line_units DOUBLE,
    total_charge DECIMAL(18,2),
    max_line_charge DECIMAL(18,2),
    diagnosis_count BIGINT,
    principal_dx_chapter VARCHAR,
    dx_chapter_count BIGINT,
    dx_chapters VARCHAR,
    age_band VARCHAR,
    has_prior_auth BOOLEAN,
    days_to_submission BIGINT,
    billing_npi_valid BOOLEAN,
    rendering_npi_valid BOOLEAN,
    hist_payer_claims BIGINT,
    hist_payer_denial_rate DOUBLE,
    hist_payer_days_to_pay DOUBLE,
    hist_payer_provider_claims BIGINT,
    hist_payer_provider_denial_rate DOUBLE,
    hist_payer_provider_days_to_pay DOUBLE,
    hist_payer_procedure_claims BIGINT,
    hist_payer_procedure_denial_rate DOUBLE,
    hist_payer_procedure_days_to_pay DOUBLE,
    hist_payer_member_claims BIGINT,
    hist_payer_member_denial_rate DOUBLE,
    hist_payer_member_days_to_pay DOUBLE,
    hist_payer_procedure_max_denial_rate DOUBLE,
    built_at TIMESTAMP
);
CREATE TABLE risk_history (
    key_kind VARCHAR,
    payer_id VARCHAR,
    billing_npi VARCHAR,
    procedure_code VARCHAR,
    member_id VARCHAR,
    as_of TIMESTAMP,
    claims BIGINT,
    denied BIGINT,
    denial_rate DOUBLE,
    avg_days_to_pay DOUBLE,
    feature_set_version VARCHAR,
    built_at TIMESTAMP
);
CREATE TABLE risk_models (
    model_version VARCHAR,
    feature_set_version VARCHAR,
    trained_at TIMESTAMP,
    train_from DATE,
    train_to DATE,
    calibration_from DATE,
    calibration_to DATE,
    test_from DATE,
    test_to DATE,
    train_claims BIGINT,
    calibration_claims BIGINT,
    test_claims BIGINT,
    data_fingerprint VARCHAR,
    seed BIGINT,
    model_file VARCHAR,
    model_sha256 VARCHAR,
    metrics VARCHAR,
    calibration_curve VARCHAR,
    status VARCHAR,
    promoted_at TIMESTAMP,
    promoted_by VARCHAR
);
CREATE TABLE risk_scores (
    claim_id VARCHAR,
    model_version VARCHAR,
    probability DOUBLE,
    risk_band VARCHAR,
    predicted_category VARCHAR,
    factors VARCHAR,
    actions VARCHAR,
    scored_at TIMESTAMP,
    lineage_hash VARCHAR,
    run_id VARCHAR
);
CREATE TABLE risk_monitoring (
    run_id VARCHAR,
    model_version VARCHAR,
    computed_at TIMESTAMP,
    metric VARCHAR,
    subject VARCHAR,
    window_from DATE,
    window_to DATE,
    claims BIGINT,
    value DOUBLE,
    reference DOUBLE,
    threshold DOUBLE,
    alert BOOLEAN
);
ALTER TABLE sla_alerts ADD COLUMN IF NOT EXISTS model_version VARCHAR;
ALTER TABLE sla_alerts ADD COLUMN IF NOT EXISTS detail VARCHAR;
