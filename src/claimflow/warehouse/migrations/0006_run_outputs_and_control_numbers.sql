-- Outputs that follow from committed state (issue 23): every output file a run writes is
-- recorded in its commit before it is put in place (run_outputs); interchange control numbers
-- come from a counter per sender and receiver (control_numbers) and every interchange written
-- is remembered (outbound_interchanges). Generated from claimflow.schema.operational
-- (create_table_sql).

CREATE TABLE run_outputs (
    run_id VARCHAR,
    name VARCHAR,
    path VARCHAR,
    staged_path VARCHAR,
    size_bytes BIGINT,
    sha256 VARCHAR,
    append_at BIGINT,
    published_at TIMESTAMP
);

CREATE TABLE control_numbers (
    sender_id VARCHAR,
    receiver_id VARCHAR,
    last_used BIGINT
);

CREATE TABLE outbound_interchanges (
    sender_id VARCHAR,
    receiver_id VARCHAR,
    control_number BIGINT,
    transaction_set VARCHAR,
    claims BIGINT,
    run_id VARCHAR,
    path VARCHAR,
    created_at TIMESTAMP
);
