-- Past winning appeal letters (issue 20, docs/appeals.md): appeal_library holds one row per
-- distinct file (by its SHA-256; adding the same bytes again counts in duplicate_adds, no second
-- row), its condition, the payer arguments it answers (given, or detected by the condition's
-- profile) and its text. appeal_library_calibration holds the retrieval threshold calibrated on
-- the library (leave-one-out, claimflow.appeals.library), for the library whose fingerprint it
-- names; a library that changed since is recalibrated on read.
-- IF NOT EXISTS: a warehouse rolled back to an older schema version keeps these tables.
CREATE TABLE IF NOT EXISTS appeal_library (
    letter_id VARCHAR,
    condition VARCHAR,
    outcome VARCHAR,
    arguments VARCHAR[],
    arguments_source VARCHAR,
    payer VARCHAR,
    title VARCHAR,
    text VARCHAR,
    file_name VARCHAR,
    file_sha256 VARCHAR,
    file_format VARCHAR,
    added_at TIMESTAMP,
    added_by VARCHAR,
    duplicate_adds BIGINT
);
CREATE TABLE IF NOT EXISTS appeal_library_calibration (
    fingerprint VARCHAR,
    letters BIGINT,
    threshold DOUBLE,
    positives BIGINT,
    negatives BIGINT,
    balanced_accuracy DOUBLE,
    method VARCHAR,
    computed_at TIMESTAMP
);
