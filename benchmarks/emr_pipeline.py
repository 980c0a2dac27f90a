"""Benchmark: the whole ``claimflow run`` on messy alpha/beta-style EMR exports.

Generates, with DuckDB (fast, deterministic), an alpha-style CSV and a beta-style JSON array
holding N rows in all: ≈5% missing patient ids written as sentinel tokens, mixed-case and
abbreviated statuses, five date formats, ≈60 distinct denial phrasings, ≈2% duplicate claim
ids, and a few rows with bad dates and unknown statuses. Then it runs ``claimflow run`` as a
separate process on a fresh warehouse and reports, for that whole process, wall time (spawn to
exit), CPU seconds and peak RSS (``os.wait4``), beside the run's own in-process
``duration_seconds`` and ``stage_seconds``, and the conservation counts, checking that they
add up.

With ``--floor`` it also times, on the same files, what any design holding these outputs must
do at least, each alone, in-process, in a fresh DuckDB file database with the run's settings
(2 threads, the 1 GB budget): reading the files, reading and storing them once as typed tables, storing every
record's raw text (bronze), and that with each record's sha256 lineage hash; then, end to end
in a child process timed like the run (whole process), ``emr_minimal_flow.py``: those stores,
the decisions and the output files, and nothing else the run does (``--repeat`` times).

Usage::

    python benchmarks/emr_pipeline.py                 # 1,000,000 and 5,000,000 rows
    python benchmarks/emr_pipeline.py --rows 200000   # one size
    python benchmarks/emr_pipeline.py --rows 1000000 --floor
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from child import timed

PHRASES = [
    "Missing modifier", "missing modifier 25", "Modifier missing on E/M", "Modifier 59 required",
    "Incorrect NPI", "Invalid NPI", "Rendering NPI does not match", "NPI check digit invalid",
    "Prior auth required", "Prior authorization required", "Precert not obtained",
    "Authorization not on file", "No prior authorization", "Pre-auth missing",
    "Authorization expired", "Auth expired before DOS", "Authorization lapsed",
    "Incorrect provider type", "Provider specialty not eligible", "Taxonomy mismatch",
    "Timely filing limit exceeded", "Filed past the filing limit", "Late filing",
    "Duplicate claim", "Exact duplicate", "Claim already paid",
    "Not medically necessary", "Medical necessity not established",
    "Patient not eligible", "Coverage terminated", "Member not found", "No coverage on DOS",
    "Other payer primary", "Coordination of benefits", "COB information needed",
    "Service bundled", "Inclusive to primary procedure", "NCCI edit bundling",
    "Non-covered service", "Not a covered benefit", "Benefit exclusion",
    "Missing information", "Incomplete information", "Missing documentation",
    "Attachment required", "Records missing",
    "incorrect procedure", "Invalid procedure code", "Wrong CPT", "Procedure code mismatch",
    "Claim lacks info", "Information incomplete on claim form", "See remark code",
    "Denied per policy", "Payer review", "Other", "Contact payer", "Adjusted",
    "Billing error", "Unknown reason",
]  # fmt: skip
STATUSES_DENIED = ["denied", "Denied", "DENIED", " deny ", "Deny"]
STATUSES_OTHER = ["approved", "Approved", "APPROVE", "paid", "pending"]
SENTINELS = ["", "NULL", "n/a", "None", "nan", " "]
DATE_FORMATS = ["%Y-%m-%d", "%m/%d/%Y", "%Y -%m-%d", "%Y%m%d", "%Y-%m-%dT%H:%M:%SZ"]


def _sql_list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _date_cases() -> str:
    day = "DATE '2025-01-01' + (i % 200)::INTEGER"
    pick = f"hash(i, 'f') % {len(DATE_FORMATS)}"
    return " ".join(
        f"WHEN {pick} = {n} THEN strftime({day}, '{fmt}')" for n, fmt in enumerate(DATE_FORMATS)
    )


def generate(rows: int, inbox: Path) -> None:
    """Write alpha.csv and beta.json with ``rows`` records in all."""
    inbox.mkdir(parents=True, exist_ok=True)
    half = rows // 2
    conn = duckdb.connect()
    conn.execute("SET threads = 2")
    body = f"""
      WITH base AS (
        SELECT i,
               hash(i, 'p') % 100 AS p, hash(i, 's') % 100 AS s, hash(i, 'd') % 100 AS d,
               CASE WHEN i % 50 = 49 THEN i - 1 ELSE i END AS claim_no
        FROM range({{n}}) AS t(i)
      )
      SELECT
        '{{prefix}}' || lpad(claim_no::VARCHAR, 9, '0') AS {{id}},
        CASE WHEN p < 5 THEN {_sql_list(SENTINELS)}[1 + (i % {len(SENTINELS)})]
             ELSE 'P' || (i % 200003)::VARCHAR END AS {{patient}},
        {_sql_list(["99213", "99214", "99215", "99381", "99401", "J1100"])}[1 + (i % 6)]
          AS {{code}},
        CASE WHEN s < 65 THEN {_sql_list(PHRASES)}[1 + (hash(i, 'r') % {len(PHRASES)})::BIGINT]
             ELSE NULL END AS {{reason}},
        CASE WHEN d = 0 THEN '2025/31/31' {_date_cases()} END AS {{date}},
        CASE WHEN s = 99 AND d = 1 THEN 'rejectified'
             WHEN s < 65 THEN {_sql_list(STATUSES_DENIED)}[1 + (i % {len(STATUSES_DENIED)})]
             ELSE {_sql_list(STATUSES_OTHER)}[1 + (i % {len(STATUSES_OTHER)})] END AS {{status}}
      FROM base ORDER BY i
    """
    alpha = body.format(
        n=half, prefix="A", id="claim_id", patient="patient_id", code="procedure_code",
        reason="denial_reason", date="submitted_at", status="status",
    )  # fmt: skip
    beta = body.format(
        n=rows - half, prefix="B", id="id", patient="member", code="code",
        reason="error_msg", date="date", status="status",
    )  # fmt: skip
    conn.execute(f"COPY ({alpha}) TO '{inbox / 'alpha.csv'}' (HEADER, DELIMITER ',')")
    conn.execute(f"COPY ({beta}) TO '{inbox / 'beta.json'}' (FORMAT JSON, ARRAY true)")
    conn.close()


CONFIG = """
sources:
  - name: alpha
    source_system: alpha
    format: csv
    pattern: inbox/alpha.csv
    columns: {patient_control_number: claim_id, member_id: patient_id,
              procedure_code: procedure_code, denial_reason: denial_reason,
              submission_date: submitted_at, claim_status: status}
    date_formats: ["%Y-%m-%d", "%m/%d/%Y", "%Y%m%d", "%Y-%m-%dT%H:%M:%SZ"]
  - name: beta
    source_system: beta
    format: json
    pattern: inbox/beta.json
    columns: {patient_control_number: id, member_id: member, procedure_code: code,
              denial_reason: error_msg, submission_date: date, claim_status: status}
    date_formats: ["%Y-%m-%d", "%m/%d/%Y", "%Y%m%d", "%Y-%m-%dT%H:%M:%SZ"]
"""


def _timed_child(cmd: list[str]) -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
    """Run ``cmd`` as a child process (:func:`child.timed`): its result, and its wall time,
    CPU seconds and peak RSS and the load average before and after."""
    load_before = os.getloadavg()[0]
    done = timed(cmd)
    proc = subprocess.CompletedProcess(cmd, done.returncode, done.stdout, done.stderr)
    return proc, {
        "load": f"{load_before:.1f}-{os.getloadavg()[0]:.1f}",
        "wall_s": round(done.wall, 2),
        "peak_rss_mb": round(done.rss_mb, 1),
        "cpu_s": round(done.cpu, 2),
    }


def run_once(workdir: Path) -> dict[str, object]:
    """Run ``claimflow run`` in a child process on a fresh warehouse; time it."""
    for leftover in ("warehouse", "out"):
        shutil.rmtree(workdir / leftover, ignore_errors=True)
    exe = Path(sys.executable).parent / "claimflow"
    cmd = [
        str(exe), "run", "--config", str(workdir / "claimflow.yaml"),
        "--warehouse", str(workdir / "warehouse" / "claimflow.duckdb"),
        "--out", str(workdir / "out"), "--reference-date", "2025-09-30", "--json",
    ]  # fmt: skip
    proc, timing = _timed_child(cmd)
    if proc.returncode not in (0, 3):
        raise SystemExit(f"claimflow run failed ({proc.returncode}):\n{proc.stderr}")
    metrics = json.loads(proc.stdout)
    c = metrics["conservation"]
    assert c["rows_read"] == c["rows_loaded"] + c["rows_quarantined"] + c["rows_duplicate"]
    return {
        **timing,
        "inner_s": metrics["duration_seconds"],
        **{k: c[k] for k in ("rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate")},
        "flagged": metrics["flagged_for_resubmission"],
        "stages": metrics["stage_seconds"],
    }


FLOOR = {
    "read the files (count the records)": [
        "SELECT count(*) FROM read_csv({alpha}, all_varchar = true)",
        "SELECT count(*) FROM read_json_objects({beta}, format = 'array')",
    ],
    "read and store them once, typed": [
        "CREATE TABLE a AS SELECT * FROM read_csv({alpha})",
        "CREATE TABLE b AS SELECT * FROM read_json({beta})",
    ],
    "store each record's raw text": [
        "CREATE TABLE a AS SELECT to_json(s)::VARCHAR AS raw FROM read_csv({alpha},"
        " all_varchar = true) AS s",
        "CREATE TABLE b AS SELECT json::VARCHAR AS raw FROM read_json_objects({beta},"
        " format = 'array')",
    ],
    "... and its sha256 lineage hash": [
        "CREATE TEMP TABLE ra AS SELECT to_json(s)::VARCHAR AS raw FROM read_csv({alpha},"
        " all_varchar = true) AS s",
        "CREATE TABLE a AS SELECT raw, sha256('f:' || rowid || ':' || raw) AS h FROM ra",
        "CREATE TEMP TABLE rb AS SELECT json::VARCHAR AS raw FROM read_json_objects({beta},"
        " format = 'array')",
        "CREATE TABLE b AS SELECT raw, sha256('f:' || rowid || ':' || raw) AS h FROM rb",
    ],
    "... the hash by the run's function (compiled, if built)": [
        "CREATE TEMP TABLE ra AS SELECT to_json(s)::VARCHAR AS raw FROM read_csv({alpha},"
        " all_varchar = true) AS s",
        "CREATE TABLE a AS SELECT raw, {hash} AS h FROM ra",
        "CREATE TEMP TABLE rb AS SELECT json::VARCHAR AS raw FROM read_json_objects({beta},"
        " format = 'array')",
        "CREATE TABLE b AS SELECT raw, {hash} AS h FROM rb",
    ],
}
"""The floor measurements: label → statements ({alpha}, {beta}: the files' quoted paths;
{hash}: the lineage hash as the run computes it, :func:`claimflow.warehouse.native.lineage_hash_sql`)."""


def floor(workdir: Path, repeat: int = 3) -> list[tuple[str, float, float]]:
    """Time each :data:`FLOOR` step (median of ``repeat``): (label, wall s, CPU s)."""
    from claimflow.warehouse import native
    from claimflow.warehouse.connection import DEFAULT_MEMORY_LIMIT

    paths = {
        "alpha": "'" + str(workdir / "inbox" / "alpha.csv") + "'",
        "beta": "'" + str(workdir / "inbox" / "beta.json") + "'",
    }
    results = []
    for label, statements in FLOOR.items():
        walls, cpus = [], []
        for _ in range(repeat):
            db = workdir / "floor.duckdb"
            for leftover in (db, db.with_suffix(".duckdb.wal")):
                leftover.unlink(missing_ok=True)
            conn = duckdb.connect(str(db), config=native.connect_config())
            native.load(conn)
            paths["hash"] = native.lineage_hash_sql(conn, "'f'", "rowid", "raw")
            conn.execute("SET threads = 2")
            conn.execute(f"SET memory_limit = '{DEFAULT_MEMORY_LIMIT}'")
            start, cpu = time.perf_counter(), time.process_time()
            for sql in statements:
                conn.execute(sql.format(**paths))
            conn.execute("CHECKPOINT")
            walls.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
            conn.close()
        results.append((label, sorted(walls)[repeat // 2], sorted(cpus)[repeat // 2]))
    (workdir / "floor.duckdb").unlink(missing_ok=True)
    return results


def minimal_flow(workdir: Path) -> dict[str, object]:
    """Time ``emr_minimal_flow.py`` (the run's stores and writes, nothing else) as a child."""
    script = Path(__file__).with_name("emr_minimal_flow.py")
    proc, timing = _timed_child([sys.executable, str(script), str(workdir)])
    if proc.returncode != 0:
        raise SystemExit(f"the minimal flow failed ({proc.returncode}):\n{proc.stderr}")
    shutil.rmtree(workdir / "minimal-out", ignore_errors=True)
    (workdir / "minimal.duckdb").unlink(missing_ok=True)
    return {**timing, "stages": json.loads(proc.stdout)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="rows in all (repeatable)")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per size")
    parser.add_argument(
        "--floor", action="store_true", help="also time the floor steps on the same files"
    )
    args = parser.parse_args()
    sizes = args.rows or [1_000_000, 5_000_000]
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
    print(
        "wall_s, cpu_s, rss_MB: `claimflow run` as a whole process (a child, os.wait4);"
        " in-process and stages: the run's own duration_seconds and stage_seconds"
    )
    header = "rows       wall_s  cpu_s   rss_MB  read      loaded    quarant.  dup      flagged"
    print(header)
    for rows in sizes:
        with tempfile.TemporaryDirectory(prefix="cf-bench-") as tmp:
            workdir = Path(tmp)
            start = time.perf_counter()
            generate(rows, workdir / "inbox")
            gen_s = time.perf_counter() - start
            (workdir / "claimflow.yaml").write_text(CONFIG)
            for _ in range(args.repeat):
                when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
                r = run_once(workdir)
                print(
                    f"{rows:<10} {r['wall_s']:<7} {r['cpu_s']:<7} {r['peak_rss_mb']:<7} {r['rows_read']:<9} "
                    f"{r['rows_loaded']:<9} {r['rows_quarantined']:<9} {r['rows_duplicate']:<8} "
                    f"{r['flagged']}   ({when}; generated in {gen_s:.1f} s;"
                    f" in-process {r['inner_s']} s; load average {r['load']})"
                )
                stages = r["stages"]
                assert isinstance(stages, dict)
                print(
                    "           stages, in-process (s): "
                    + ", ".join(f"{k} {v}" for k, v in stages.items())
                )
            if args.floor:
                for label, wall, cpu in floor(workdir):
                    print(
                        f"           floor, in-process (statements alone): {label}:"
                        f" {wall:.2f} s wall, {cpu:.2f} CPU-s"
                    )
                for _ in range(args.repeat):
                    m = minimal_flow(workdir)
                    stages = m["stages"]
                    assert isinstance(stages, dict)
                    stages.pop("peak_rss_mb")  # its own; the same as os.wait4's
                    print(
                        "           floor, whole process: the minimal flow (emr_minimal_flow.py):"
                        f" {m['wall_s']} s wall, {m['cpu_s']} CPU-s, {m['peak_rss_mb']} MB"
                        f" (load average {m['load']}); stages, in-process (s): "
                        + ", ".join(f"{k} {v}" for k, v in stages.items())
                    )


if __name__ == "__main__":
    main()
