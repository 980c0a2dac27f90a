-- Denial-risk model registry, scores and monitoring (issue 19): risk_models holds every trained
-- model (one is the champion), risk_scores the champion's score of each claim without an outcome,
-- risk_monitoring the drift and outcome figures of each run.
-- Generated from claimflow.schema.risk (create_table_sql).
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
