"""The lower bound of ``claimflow run`` on ``emr_pipeline.py``'s files: the stores and writes
issue #2 requires, and nothing else.

It does what no implementation of the issue can skip, the way the run does it (DuckDB with the
run's settings: 2 threads, the 1 GB budget; the run's lineage hash function; the two source
systems in two lanes when they fit the budget, as the run decides): stores every record typed
(silver: null tokens, the declared date formats, the status map) and raw (bronze), each with its
lineage hash; decides every denied claim with a fixed stand-in for the classifier (a label per
distinct denial text by a hash of it: no phrases, no keywords, no model); writes the candidates
JSON (the fields of ``EXPECTED.md`` plus the lineage hash, temporary file and rename) and
appends the rejection log to its table and its CSV (fsynced).

It does none of the rest: no file registry, no checks or quarantine, no duplicate pass, no rule
results, no run rows or metrics, no acknowledgment matching, no snapshot. Whatever this takes
on a machine, ``claimflow run`` cannot take less there.

Usage (``emr_pipeline.py --floor`` runs it as a child process and times it)::

    python benchmarks/emr_minimal_flow.py WORKDIR     # WORKDIR/inbox/{alpha.csv,beta.json}

Prints one JSON object: seconds per stage (in-process, its own clock), and the process's peak
RSS in MB. ``emr_pipeline.py --floor`` reports its wall, CPU seconds and peak RSS as a whole
process (``os.wait4``), like ``claimflow run``'s.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
import threading
import time
from pathlib import Path

started = time.perf_counter()

import duckdb  # noqa: E402  (the import is part of what is timed)

from claimflow.warehouse import native  # noqa: E402
from claimflow.warehouse.connection import DEFAULT_MEMORY_LIMIT, loads_fit  # noqa: E402

NULLS = "('', 'n/a', 'na', 'nan', 'none', 'null')"
FORMATS = "['%Y-%m-%d', '%m/%d/%Y', '%Y%m%d', '%Y-%m-%dT%H:%M:%SZ']"

SCHEMA = """
CREATE TABLE bronze (file_id VARCHAR, row_number BIGINT, raw_record VARCHAR USING COMPRESSION zstd);
CREATE TABLE claims_header (
  claim_id VARCHAR USING COMPRESSION zstd, source_system VARCHAR,
  patient_control_number VARCHAR USING COMPRESSION zstd, member_id VARCHAR USING COMPRESSION zstd,
  procedure_code VARCHAR, denial_reason VARCHAR, submission_date DATE, claim_status VARCHAR,
  lineage_hash VARCHAR USING COMPRESSION zstd);
CREATE TABLE rejection_log (
  run_id VARCHAR, claim_id VARCHAR USING COMPRESSION zstd, source_system VARCHAR, reason VARCHAR,
  classification VARCHAR, denial_reason VARCHAR, lineage_hash VARCHAR USING COMPRESSION zstd);
"""

SOURCES = {
    # source system: (reader, raw record, file's columns for claim id, patient, procedure,
    # denial text, date, status)
    "alpha": (
        "SELECT * FROM read_csv({path}, all_varchar = true)",
        "to_json(s)::VARCHAR",
        ["claim_id", "patient_id", "procedure_code", "denial_reason", "submitted_at", "status"],
    ),
    "beta": (
        "SELECT json::VARCHAR AS raw FROM read_json_objects({path}, format = 'array')",
        "s.raw",
        ["id", "member", "code", "error_msg", "date", "status"],
    ),
}
FILES = {"alpha": "alpha.csv", "beta": "beta.json"}


def _value(expr: str) -> str:
    return f"CASE WHEN lower(trim({expr})) IN {NULLS} THEN NULL ELSE trim({expr}) END"


def load(conn: duckdb.DuckDBPyConnection, system: str, path: Path, hash_sql: str) -> None:
    """Stage one file, type it with its lineage hash, append silver and bronze (one transaction)."""
    reader, raw, columns = SOURCES[system]
    if system == "beta":  # one parse of each object for all six keys, as the run does
        keys = ", ".join(f"'$.{c}'" for c in columns)
        fields = [f"s.v[{i + 1}]" for i in range(len(columns))]
        source = f"(SELECT rowid, raw, json_extract_string(raw, [{keys}]) AS v FROM st_{system})"
    else:
        fields = [f's."{c}"' for c in columns]
        source = f"st_{system}"
    picked = ", ".join(f"{f} AS f{i}" for i, f in enumerate(fields))
    claim, patient, procedure, reason, date, status = (_value(f"f{i}") for i in range(6))
    file_id = "'" + system * 64 + "'"
    conn.execute("BEGIN TRANSACTION")
    conn.execute(f"CREATE TEMP TABLE st_{system} AS {reader.format(path=repr(str(path)))}")
    conn.execute(
        f"""CREATE TEMP TABLE ty_{system} AS SELECT row_number, raw,
        {claim} AS patient_control_number, {patient} AS member_id, {procedure} AS procedure_code,
        {reason} AS denial_reason,
        CAST(try_strptime(replace({date}, ' ', ''), {FORMATS}) AS DATE) AS submission_date,
        CASE lower({status}) WHEN 'approve' THEN 'approved' WHEN 'deny' THEN 'denied'
          WHEN 'paid' THEN 'approved' ELSE lower({status}) END AS claim_status,
        {hash_sql.replace("$file_id", file_id)} AS lineage_hash
        FROM (SELECT s.rowid + 1 AS row_number, {raw} AS raw, {picked} FROM {source} AS s)"""
    )
    conn.execute(
        f"INSERT INTO claims_header SELECT md5('{system}' || chr(31) || patient_control_number),"
        f" '{system}', patient_control_number, member_id, procedure_code, denial_reason,"
        f" submission_date, claim_status, lineage_hash FROM ty_{system}"
    )
    conn.execute(f"INSERT INTO bronze SELECT {file_id}, row_number, raw FROM ty_{system}")
    conn.execute("COMMIT")
    conn.execute(f"DROP TABLE st_{system}")
    conn.execute(f"DROP TABLE ty_{system}")


def main(workdir: Path) -> dict[str, float]:
    out = workdir / "minimal-out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    db = workdir / "minimal.duckdb"
    for leftover in (db, db.with_suffix(".duckdb.wal")):
        leftover.unlink(missing_ok=True)
    marks = {"import": time.perf_counter() - started}
    t = time.perf_counter()
    conn = duckdb.connect(str(db), config=native.connect_config())
    native.load(conn)
    conn.execute("SET threads = 2")
    conn.execute(f"SET memory_limit = '{DEFAULT_MEMORY_LIMIT}'")
    conn.execute(SCHEMA)
    hash_sql = native.lineage_hash_sql(conn, "$file_id", "row_number", "raw")
    marks["start"] = time.perf_counter() - t

    t = time.perf_counter()
    paths = {system: workdir / "inbox" / name for system, name in FILES.items()}
    if loads_fit(conn, sum(p.stat().st_size for p in paths.values())):  # the run's rule
        lanes = [
            threading.Thread(target=lambda s=s: load(conn.cursor(), s, paths[s], hash_sql))
            for s in paths
        ]
        for lane in lanes:
            lane.start()
        for lane in lanes:
            lane.join()
    else:
        for system, path in paths.items():
            load(conn, system, path, hash_sql)
    marks["ingest"] = time.perf_counter() - t

    t = time.perf_counter()
    conn.execute(
        "CREATE TEMP TABLE labels AS SELECT text, ['retryable', 'non_retryable', 'ambiguous']"
        "[1 + (hash(text) % 3)::INTEGER] AS classification FROM (SELECT DISTINCT"
        " lower(denial_reason) AS text FROM claims_header WHERE denial_reason IS NOT NULL)"
    )
    conn.execute(
        """CREATE TEMP TABLE decisions AS SELECT h.*, l.classification,
        CASE WHEN l.classification = 'ambiguous' THEN 0.6 ELSE 0.95 END AS confidence,
        CASE WHEN h.member_id IS NULL THEN 'missing_patient_id'
             WHEN h.submission_date IS NULL THEN 'missing_submitted_at'
             WHEN DATE '2025-09-30' - h.submission_date <= 7 THEN 'too_recent'
             WHEN h.denial_reason IS NULL THEN 'missing_denial_reason'
             WHEN l.classification = 'retryable' THEN NULL
             ELSE l.classification END AS reason
        FROM claims_header AS h LEFT JOIN labels AS l ON l.text = lower(h.denial_reason)
        WHERE h.claim_status = 'denied'"""
    )
    marks["decide"] = time.perf_counter() - t

    t = time.perf_counter()
    partial = out / ".resubmission_candidates.json.tmp"
    conn.execute(
        f"""COPY (SELECT patient_control_number AS claim_id, member_id AS patient_id,
        strftime(submission_date, '%Y-%m-%d') AS submitted_at, denial_reason, classification,
        confidence, source_system, 'Correct the ' || classification || ' cause and resubmit'
        AS recommended_change, lineage_hash FROM decisions WHERE reason IS NULL
        ORDER BY source_system, patient_control_number) TO '{partial}' (FORMAT json, ARRAY true)"""
    )
    os.replace(partial, out / "resubmission_candidates.json")
    conn.execute("BEGIN TRANSACTION")
    conn.execute(
        "INSERT INTO rejection_log SELECT 'run', patient_control_number, source_system, reason,"
        " classification, denial_reason, lineage_hash FROM decisions WHERE reason IS NOT NULL"
        " ORDER BY source_system, patient_control_number"
    )
    lines = out / ".rejection_log.new.csv"
    conn.execute(f"COPY rejection_log TO '{lines}' (HEADER)")
    with lines.open("rb") as src, (out / "rejection_log.csv").open("ab") as log:
        while chunk := src.read(1 << 20):
            log.write(chunk)
        log.flush()
        os.fsync(log.fileno())
    lines.unlink()
    conn.execute("COMMIT")
    marks["write"] = time.perf_counter() - t

    t = time.perf_counter()
    conn.close()
    marks["close"] = time.perf_counter() - t
    marks["in_process"] = time.perf_counter() - started
    result = {k: round(v, 3) for k, v in marks.items()}
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
