"""One run: ingest every source file, classify denials, decide resubmissions, write outputs."""

from __future__ import annotations

import datetime as dt
import logging
import os
import resource
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from claimflow.appeals.outcomes import record_835_outcomes
from claimflow.config import Settings, SourceDefinition
from claimflow.denials.cache import classify_denial_texts
from claimflow.denials.model import classifier_with_model
from claimflow.denials.reference import ensure_reference
from claimflow.errors import ConfigError, SourceError, WarehouseError
from claimflow.ingest.counts import FileCounts
from claimflow.ingest.emr import load_staged, prepare_parts
from claimflow.marts.sla import notify, refresh_alerts
from claimflow.marts.snapshot import build_snapshot
from claimflow.resubmit.decide import decide
from claimflow.resubmit.outputs import (
    CANDIDATES_FILE,
    CORRECTED_CLAIMS_FILE,
    REJECTION_LOG_FILE,
    decision_metrics,
    stage_rejection_log,
    write_candidates,
    write_json,
)
from claimflow.resubmit.publish import Output, publish, record_outputs, recover, staging_dir
from claimflow.resubmit.remits import (
    Plan,
    plan_resubmissions,
    record_resubmissions,
    stage_candidates,
    stage_worklist,
    start_staging,
    write_corrected_claims,
)
from claimflow.risk.champion import NO_CHAMPION, has_champion
from claimflow.sources.tabular import FileFingerprint, fingerprint, stage_file
from claimflow.warehouse.connection import current_catalog, cursor_of, loads_fit, open_warehouse
from claimflow.warehouse.matching import match_claims
from claimflow.warehouse.runs import InterruptedRun, close_interrupted_runs
from claimflow.warehouse.serving import publish_if_stale, publish_snapshot
from claimflow.warehouse.sql import execute, insert_rows

if TYPE_CHECKING:  # the X12 engine and pyarrow are imported only when a run has X12 files
    from claimflow.sources.x12 import SpooledParse, X12Prefetch

log = logging.getLogger("claimflow.pipeline")

Progress = Callable[[str], None]


@dataclass
class FileReport:
    """What happened to one input file in a run."""

    path: str
    source: str
    source_system: str
    file_id: str | None
    status: str  # loaded, failed, skipped
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    message: str | None = None
    warnings: list[str] = field(default_factory=list)

    def loaded(self, counts: FileCounts) -> None:
        """Mark the file loaded, with what became of its records and its warnings."""
        self.status = "loaded"
        self.rows_read = counts.rows_read
        self.rows_loaded = counts.rows_loaded
        self.rows_quarantined = counts.rows_quarantined
        self.rows_duplicate = counts.rows_duplicate
        self.warnings = counts.warnings
        self.message = "; ".join(counts.warnings) or None


@dataclass
class RunReport:
    """The outcome of a run, as the metrics file and the CLI summary show it."""

    run_id: str
    reference_date: dt.date
    warehouse: str
    out_dir: str
    files: list[FileReport] = field(default_factory=list)
    decisions: dict[str, Any] = field(default_factory=dict)
    rejection_log_appended: int = 0
    texts_classified: int = 0
    matching: dict[str, Any] = field(default_factory=dict)
    x12_resubmissions: dict[str, Any] = field(default_factory=dict)
    sla: dict[str, Any] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    classifier_version: str = ""
    duration_seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    """The run's own warnings (a source that matched no file, ...); files carry theirs."""
    interrupted: list[InterruptedRun] = field(default_factory=list)
    """Runs stopped before they committed, marked by this one: their files are skipped here
    (already loaded), so their counts are reported here."""
    published_for: list[str] = field(default_factory=list)
    """Runs that committed but were stopped before their outputs were in place: this run put
    them in place first."""
    outputs: list[dict[str, object]] = field(default_factory=list)
    risk: dict[str, Any] = field(default_factory=dict)
    """The denial-risk scoring: model version, claims scored by band, or why none were."""
    appeal_outcomes: int = 0
    """Appeal outcomes recorded from the 835s of this run (claimflow.appeals.outcomes)."""

    def warn(self, message: str) -> None:
        """Record a warning of the run (it ends ``finished_with_warnings``, exit 3)."""
        log.warning("%s", message)
        self.warnings.append(message)

    def all_warnings(self) -> list[str]:
        """The run's warnings, then each file's, named by its file."""
        return self.warnings + [f"{Path(f.path).name}: {w}" for f in self.files for w in f.warnings]

    def total(self, attr: str) -> int:
        """Sum a row count over the files."""
        return sum(int(getattr(f, attr)) for f in self.files)

    def files_with(self, status: str) -> int:
        """How many files ended with ``status``."""
        return sum(1 for f in self.files if f.status == status)

    @property
    def status(self) -> str:
        """``ok``; ``finished_with_quarantine`` when input was quarantined or a file failed;
        else ``finished_with_warnings`` when something needs a look although every row was
        placed (a source matched no file, an envelope error, an empty mapped column)."""
        looks = any(r.needs_a_look for r in self.interrupted)
        if self.total("rows_quarantined") or self.files_with("failed") or looks:
            return "finished_with_quarantine"
        if self.all_warnings():
            return "finished_with_warnings"
        return "ok"

    def metrics(self) -> dict[str, Any]:
        """The metrics file's content."""
        return {
            "run_id": self.run_id,
            "status": self.status,
            "reference_date": self.reference_date.isoformat(),
            "warnings": self.all_warnings(),
            **self.decisions,
            "rejection_log_appended": self.rejection_log_appended,
            "conservation": {
                "files_seen": len(self.files),
                "files_loaded": self.files_with("loaded"),
                "files_skipped_already_loaded": self.files_with("skipped"),
                "files_failed": self.files_with("failed"),
                "rows_read": self.total("rows_read"),
                "rows_loaded": self.total("rows_loaded"),
                "rows_quarantined": self.total("rows_quarantined"),
                "rows_duplicate": self.total("rows_duplicate"),
            },
            "files": [asdict(f) for f in self.files],
            "interrupted_runs": [r.as_dict() for r in self.interrupted],
            "outputs_published_for": self.published_for,
            "matching": self.matching,
            "x12_resubmissions": self.x12_resubmissions,
            "sla_alerts": self.sla,
            "classifier_version": self.classifier_version,
            "texts_classified": self.texts_classified,
            "risk_scores": self.risk,
            "appeal_outcomes_from_835": self.appeal_outcomes,
            "duration_seconds": round(self.duration_seconds, 3),
            "stage_seconds": self.stage_seconds,
            "outputs": {
                "warehouse": self.warehouse,
                "candidates": str(Path(self.out_dir) / CANDIDATES_FILE),
                "rejection_log": str(Path(self.out_dir) / REJECTION_LOG_FILE),
                "files": self.outputs,
            },
        }


def new_run_id(now: dt.datetime) -> str:
    """A sortable, unique run id: UTC timestamp to the microsecond plus a random suffix.

    (To the second, two runs in the same second sorted by their random suffixes: a later
    run's id could sort first.)
    """
    return now.strftime("%Y%m%dT%H%M%S%f") + "-" + secrets.token_hex(3)


def discover(
    settings: Settings, warn: Callable[[str], None] | None = None
) -> list[tuple[SourceDefinition, Path]]:
    """The files each source's pattern matches, sorted, in source order.

    A pattern is relative to the configuration's folder unless it is absolute (``~`` is the
    user's home). A configuration without sources, and a source whose pattern matches no
    file, are told to ``warn`` (the run then ends ``finished_with_warnings``).

    Raises:
        ConfigError: A pattern cannot be used as a glob, or its folder cannot be read.
    """
    say = warn or (lambda _message: None)
    if not settings.sources:
        say(
            "the configuration defines no sources, so nothing was read: add one under"
            " `sources:` (see configs/claimflow.example.yaml)"
        )
    found: list[tuple[SourceDefinition, Path]] = []
    for definition in settings.sources:
        pattern = os.path.expanduser(definition.pattern)
        anchor = Path(pattern).anchor  # pathlib globs only relative patterns
        base = Path(anchor) if anchor else settings.base_dir
        try:
            paths = sorted(p for p in base.glob(pattern[len(anchor) :]) if p.is_file())
        except (ValueError, NotImplementedError, OSError) as exc:
            raise ConfigError(
                f"source {definition.name}: pattern {definition.pattern!r} cannot be used: {exc}"
                " (a pattern is a glob: *, ?, [abc], and ** as a whole folder name)"
            ) from None
        if not paths:
            where = "" if anchor else f" (relative to {settings.base_dir})"
            say(f"source {definition.name}: pattern {definition.pattern} matched no file{where}")
        found.extend((definition, path) for path in paths)
    return found


def _ingest_file(
    conn: duckdb.DuckDBPyConnection,
    definition: SourceDefinition,
    path: Path,
    print_: FileFingerprint | OSError,
    *,
    run_id: str,
    now: dt.datetime,
    prefetch: X12Prefetch | None,
) -> FileReport:
    report = FileReport(str(path), definition.name, definition.source_system, None, "failed")
    if isinstance(print_, OSError):
        report.message = f"cannot read the file ({print_.strerror})"
        _record_run_file(conn, run_id, report)
        return report
    report.file_id = print_.file_id
    if print_.problem:
        report.message = print_.problem
        _register(conn, report, definition, print_.size_bytes, run_id, now)
        _record_run_file(conn, run_id, report)
        return report
    prior = conn.execute(
        "SELECT status FROM source_files WHERE file_id = ?", [print_.file_id]
    ).fetchone()
    if prior and prior[0] == "loaded":
        report.status = "skipped"
        report.message = "already loaded (same bytes)"
        _record_run_file(conn, run_id, report)
        return report
    conn.execute("BEGIN TRANSACTION")
    try:
        if definition.format == "x12":
            from claimflow.ingest.x12 import load_parse_result

            assert prefetch is not None
            parsed = prefetch.result(path, print_.file_id, definition.source_system)
            try:
                counts = load_parse_result(
                    conn,
                    parsed,
                    source_system=definition.source_system,
                    run_id=run_id,
                    ingested_at=now,
                )
            finally:
                parsed.remove()
        else:
            staged = stage_file(conn, path, print_.file_id, definition)
            counts = load_staged(conn, staged, definition, run_id=run_id, ingested_at=now)
    except SourceError as exc:
        conn.execute("ROLLBACK")
        report.message = exc.reason
        _register(conn, report, definition, print_.size_bytes, run_id, now)
        _record_run_file(conn, run_id, report)
        return report
    except Exception:
        conn.execute("ROLLBACK")
        raise
    report.loaded(counts)
    _register(conn, report, definition, print_.size_bytes, run_id, now)
    _record_rules(conn, counts, definition, print_.file_id, run_id)
    _record_run_file(conn, run_id, report)  # in the file's commit: a killed run's files count
    conn.execute("COMMIT")
    return report


def _ingest_lanes(
    conn: duckdb.DuckDBPyConnection,
    jobs: list[tuple[SourceDefinition, Path]],
    prints: list[FileFingerprint | OSError],
    loaded: set[str],
    *,
    run_id: str,
    now: dt.datetime,
    say: Progress,
) -> dict[int, FileReport]:
    """Load the new EMR files of different source systems concurrently, one lane per system.

    Deduplication is per source system, so the systems are independent: each lane loads its
    files in order on its own cursor, each file in its own transaction as before, while the
    other lane loads another system's files (DuckDB releases the GIL; on this 2-core machine
    one lane's single-threaded appends overlap the other's scans). Every catalog change is
    made first, here (:func:`prepare_parts`), so the lanes never write the same catalog entry.

    Only when it is safe: every job is an EMR file, at least two systems have new files, and no
    two files have the same bytes (the second of those is skipped, which needs order). Files
    that will not load (failed, already loaded) are left to the caller, as are all files
    otherwise.

    Returns:
        The reports of the files loaded here, by job index.
    """
    todo = [
        i
        for i, ((definition, _), print_) in enumerate(zip(jobs, prints, strict=True))
        if isinstance(print_, FileFingerprint)
        and not print_.problem
        and print_.file_id not in loaded
    ]
    ids = [p.file_id for p in prints if isinstance(p, FileFingerprint)]
    lanes: dict[str, list[int]] = {}
    for i in todo:
        lanes.setdefault(jobs[i][0].source_system, []).append(i)
    workers = min(len(lanes), os.cpu_count() or 1)
    if (
        workers < 2
        or any(definition.format == "x12" for definition, _ in jobs)
        or len(set(ids)) != len(ids)
        or not _lanes_fit(conn, [prints[i] for i in todo])
    ):
        return {}
    say(f"ingest {len(todo)} files of {len(lanes)} source systems concurrently")
    log.info("loading %d files of %d source systems concurrently", len(todo), len(lanes))
    conn.execute("BEGIN TRANSACTION")
    for name, definition in {jobs[i][0].name: jobs[i][0] for i in todo}.items():
        log.debug("preparing the parts of source %s", name)
        prepare_parts(conn, definition)
    conn.execute("COMMIT")

    catalog = current_catalog(conn)  # read here: the lanes' threads must not query conn

    def lane(indices: list[int]) -> list[tuple[int, FileReport]]:
        cursor = cursor_of(conn, catalog)  # the warehouse's catalog (attached when encrypted)
        try:
            return [
                (
                    i,
                    _ingest_file(
                        cursor, *jobs[i], prints[i], run_id=run_id, now=now, prefetch=None
                    ),
                )
                for i in indices
            ]
        finally:
            cursor.close()

    done: dict[int, FileReport] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="claimflow-ingest") as pool:
        for results in pool.map(lane, lanes.values()):
            done.update(results)
    return done


X12_BATCH_BYTES = 48 << 20
"""X12 files are loaded in batches of up to this many bytes of input (and
:data:`X12_BATCH_FILES` files): one set of statements and one commit for the batch, each file
committed with its ``run_files`` row. A commit costs ≈ 30 ms and a file's statements as much
again, whatever its size, and DuckDB writes a transaction's appends of a full row group
(122,880 rows) straight to the database file instead of the log."""
X12_BATCH_FILES = 200


def _ingest_x12(
    conn: duckdb.DuckDBPyConnection,
    jobs: list[tuple[SourceDefinition, Path]],
    prints: list[FileFingerprint | OSError],
    loaded: set[str],
    prefetch: X12Prefetch,
    *,
    run_id: str,
    now: dt.datetime,
    say: Progress,
) -> dict[int, FileReport]:
    """Load the new X12 files in batches (:data:`X12_BATCH_BYTES`): consecutive files of one
    source system, in job order, each batch in one transaction.

    Files that will not load (unreadable, already loaded, the same bytes as an earlier file of
    this run) are left to the caller, as are all EMR files.

    Returns:
        The reports of the files handled here, by job index.
    """
    taken = set(loaded)
    batches: list[list[int]] = []
    size = 0
    for i, ((definition, _path), print_) in enumerate(zip(jobs, prints, strict=True)):
        if (
            definition.format != "x12"
            or not isinstance(print_, FileFingerprint)
            or print_.problem
            or print_.file_id in taken
        ):
            continue
        taken.add(print_.file_id)
        last = batches[-1] if batches else None
        if (
            last is None
            or jobs[last[0]][0].source_system != definition.source_system
            or size + print_.size_bytes > X12_BATCH_BYTES
            or len(last) >= X12_BATCH_FILES
        ):
            batches.append([])
            size = 0
        batches[-1].append(i)
        size += print_.size_bytes
    done: dict[int, FileReport] = {}
    parts: dict[str, str] = {}
    for batch in batches:
        first, final = jobs[batch[0]][1].name, jobs[batch[-1]][1].name
        say(f"ingest {len(batch)} X12 files, {first} to {final}")
        done.update(
            _ingest_x12_batch(
                conn, [(i, *jobs[i], prints[i]) for i in batch], prefetch,
                run_id=run_id, now=now, parts=parts,
            )
        )  # fmt: skip
    return done


def _ingest_x12_batch(
    conn: duckdb.DuckDBPyConnection,
    batch: list[tuple[int, SourceDefinition, Path, FileFingerprint | OSError]],
    prefetch: X12Prefetch,
    *,
    run_id: str,
    now: dt.datetime,
    parts: dict[str, str],
) -> dict[int, FileReport]:
    """Load X12 files of one source system in one transaction: their rows, their registry,
    rule and ``run_files`` rows, so that each file is committed with its ``run_files`` row."""
    from claimflow.ingest.x12 import load_parse_results

    reports: dict[int, FileReport] = {}
    parses: list[tuple[int, SpooledParse]] = []
    sizes: dict[int, int] = {}
    try:
        for i, definition, path, print_ in batch:
            assert isinstance(print_, FileFingerprint)
            report = FileReport(
                str(path), definition.name, definition.source_system, print_.file_id, "failed"
            )
            reports[i] = report
            sizes[i] = print_.size_bytes
            try:
                parses.append((i, prefetch.result(path, print_.file_id, definition.source_system)))
            except SourceError as exc:
                report.message = exc.reason
        conn.execute("BEGIN TRANSACTION")
        try:
            all_counts = load_parse_results(
                conn,
                [parsed for _, parsed in parses],
                source_system=batch[0][1].source_system,
                run_id=run_id,
                ingested_at=now,
                parts=parts,
            )
            definitions = {i: d for i, d, _, _ in batch}
            for (i, _), counts in zip(parses, all_counts, strict=True):
                reports[i].loaded(counts)
                _record_rules(conn, counts, definitions[i], str(reports[i].file_id), run_id)
            _register_many(conn, [(reports[i], definitions[i], sizes[i]) for i in reports],
                           run_id, now)  # fmt: skip
            _record_run_files(conn, run_id, list(reports.values()))
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            parts.clear()  # a part created in the rolled back transaction is gone
            raise
    finally:
        for _, parsed in parses:
            parsed.remove()
    return reports


def _register_many(
    conn: duckdb.DuckDBPyConnection,
    files: list[tuple[FileReport, SourceDefinition, int]],
    run_id: str,
    now: dt.datetime,
) -> None:
    """:func:`_register` of many files in two statements."""
    rows = [
        (r.file_id, r.path, d.format, d.source_system, size, now, r.status, r.message, run_id)
        for r, d, size in files
    ]
    if not rows:
        return
    columns = [list(col) for col in zip(*rows, strict=True)]
    names = ("file_id", "path", "kind", "source_system", "size_bytes", "received_at",
             "status", "message", "run_id")  # fmt: skip
    params = dict(zip(names, columns, strict=True))
    given = ", ".join(f"unnest(${n}) AS {n}" for n in names)
    conn.execute(
        f"UPDATE source_files AS f SET path = g.path, status = g.status, message = g.message,"
        f" run_id = g.run_id FROM (SELECT {given}) AS g WHERE f.file_id = g.file_id",
        params,
    )
    conn.execute(
        f"INSERT INTO source_files SELECT {', '.join(names)} FROM (SELECT {given}) AS g"
        " WHERE NOT EXISTS (SELECT 1 FROM source_files AS f WHERE f.file_id = g.file_id)",
        params,
    )


def _lanes_fit(conn: duckdb.DuckDBPyConnection, files: list[FileFingerprint | OSError]) -> bool:
    """Whether the new files, loaded together, fit DuckDB's memory budget.

    Past it the lanes spill to disk and slow each other down: measured on 2 cores, 1,000,000
    rows (91 MB) load in 3.0 s in two lanes against 3.9 s one after the other, but 5,000,000
    rows (450 MB) take 21.6 s in two lanes against 17.2 s one after the other.
    """
    return loads_fit(conn, sum(f.size_bytes for f in files if isinstance(f, FileFingerprint)))


def _fingerprint(definition: SourceDefinition, path: Path) -> FileFingerprint | OSError:
    try:
        return fingerprint(path, definition)
    except OSError as exc:
        return exc


def _fingerprints(jobs: list[tuple[SourceDefinition, Path]]) -> list[FileFingerprint | OSError]:
    """Every file's fingerprint, in job order; files are hashed on all cores (sha256 releases
    the GIL: 450 MB of exports in 0.26 s instead of 0.58 s on 2 cores)."""
    workers = min(len(jobs), os.cpu_count() or 1)
    if workers < 2:
        return [_fingerprint(definition, path) for definition, path in jobs]
    with ThreadPoolExecutor(workers, thread_name_prefix="claimflow-hash") as pool:
        return list(pool.map(lambda job: _fingerprint(*job), jobs))


def _register(
    conn: duckdb.DuckDBPyConnection,
    report: FileReport,
    definition: SourceDefinition,
    size: int,
    run_id: str,
    now: dt.datetime,
) -> None:
    """Upsert the file registry row (keyed by the file's sha256)."""
    params = {
        "file_id": report.file_id,
        "path": report.path,
        "kind": definition.format,
        "source_system": definition.source_system,
        "size": size,
        "now": now,
        "status": report.status,
        "message": report.message,
        "run_id": run_id,
    }
    execute(
        conn,
        "UPDATE source_files SET path = $path, status = $status, message = $message,"
        " run_id = $run_id WHERE file_id = $file_id",
        params,
    )
    execute(
        conn,
        "INSERT INTO source_files SELECT $file_id, $path, $kind, $source_system, $size, $now,"
        " $status, $message, $run_id"
        " WHERE NOT EXISTS (SELECT 1 FROM source_files WHERE file_id = $file_id)",
        params,
    )


def _record_rules(
    conn: duckdb.DuckDBPyConnection,
    counts: FileCounts,
    definition: SourceDefinition,
    file_id: str,
    run_id: str,
) -> None:
    rows = [
        (
            run_id,
            rule.split(".")[0] if definition.format == "x12" else "claims_header",
            rule,
            severity,
            n,
            definition.source_system,
            file_id,
        )
        for (rule, severity), n in sorted(counts.rule_failures.items())
    ]
    insert_rows(conn, "dq_results", rows)


def _memory() -> str:
    """This process's memory now and at its peak, for the log between stages."""
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):  # not Linux
        return f"peak RSS {peak_mb:,.0f} MB"
    return f"RSS {pages * os.sysconf('SC_PAGE_SIZE') / 2**20:,.0f} MB, peak {peak_mb:,.0f} MB"


def run(
    settings: Settings,
    *,
    warehouse: Path,
    out_dir: Path,
    reference_date: dt.date | None = None,
    config_path: str = "",
    progress: Progress | None = None,
    ingest: bool = True,
) -> RunReport:
    """Run the whole flow once.

    Args:
        settings: The validated configuration.
        warehouse: The DuckDB file (created and migrated if needed).
        out_dir: Where the candidates, rejection log and metrics go.
        reference_date: The decision date; else the config's, else today.
        config_path: Recorded in the run row.
        progress: Called with a short message as each stage starts.
        ingest: Read the sources first; False re-decides on what the warehouse holds.

    Returns:
        The run report (also written to ``out_dir/metrics/<run_id>.json``).

    Raises:
        WarehouseError: The warehouse cannot be opened or written.
    """
    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    ref = reference_date or settings.reference_date or dt.date.today()
    run_id = new_run_id(now)
    report = RunReport(run_id, ref, str(warehouse), str(out_dir))
    notify_progress = progress or (lambda _msg: None)
    stage: dict[str, Any] = {"name": "start", "since": time.perf_counter()}

    def say(message: str) -> None:
        """Report progress, and time the stage that just ended (by its first word)."""
        now_s = time.perf_counter()
        name = str(stage["name"])
        spent = now_s - float(stage["since"])
        report.stage_seconds[name] = round(report.stage_seconds.get(name, 0.0) + spent, 3)
        stage.update(name=message.split(" ")[0], since=now_s)
        log.info("%s (%s)", message, _memory())
        notify_progress(message)

    # before the run row: a configuration that cannot be followed leaves no run behind
    jobs = discover(settings, report.warn) if ingest else []
    conn = open_warehouse(warehouse)
    try:
        ensure_reference(conn)
        # what killed runs left: no other run is alive while this process holds the warehouse
        report.interrupted = close_interrupted_runs(conn)
        for dead in report.interrupted:
            log.warning("run %s was interrupted before it committed", dead.run_id)
        report.published_for = recover(conn, out_dir)
        publish_if_stale(conn, warehouse)  # a run stopped before publishing what readers read
        conn.execute(
            "INSERT INTO runs (run_id, started_at, config_path, config_hash, reference_date,"
            " status) VALUES (?, ?, ?, ?, ?, 'running')",
            [run_id, now, config_path, settings.config_hash(), ref],
        )
        prints = _fingerprints(jobs)
        loaded = {
            r[0]
            for r in conn.execute(
                "SELECT file_id FROM source_files WHERE status = 'loaded'"
            ).fetchall()
        }
        prefetch = None
        if any(definition.format == "x12" for definition, _ in jobs):
            from claimflow.sources.x12 import X12Prefetch

            prefetch = X12Prefetch()
        try:
            for (definition, path), print_ in zip(jobs, prints, strict=True):
                if (
                    prefetch is not None
                    and definition.format == "x12"
                    and isinstance(print_, FileFingerprint)
                    and not print_.problem
                    and print_.file_id not in loaded
                ):
                    prefetch.add(path, print_.file_id, definition.source_system)
            done = _ingest_lanes(conn, jobs, prints, loaded, run_id=run_id, now=now, say=say)
            if prefetch is not None:
                done.update(
                    _ingest_x12(conn, jobs, prints, loaded, prefetch, run_id=run_id, now=now,
                                say=say)
                )  # fmt: skip
            reports = []
            for i, ((definition, path), print_) in enumerate(zip(jobs, prints, strict=True)):
                if i not in done:
                    say(f"ingest {path.name}")
                    done[i] = _ingest_file(
                        conn, definition, path, print_, run_id=run_id, now=now, prefetch=prefetch
                    )
                reports.append((definition, path, done[i]))
        finally:
            if prefetch is not None:
                prefetch.close()
        for definition, path, file_report in reports:
            log.info(
                "file %s source=%s status=%s read=%d loaded=%d quarantined=%d duplicate=%d",
                path.name,
                definition.name,
                file_report.status,
                file_report.rows_read,
                file_report.rows_loaded,
                file_report.rows_quarantined,
                file_report.rows_duplicate,
            )
            report.files.append(file_report)
        say("match acknowledgments and remittances to claims")
        conn.execute("BEGIN TRANSACTION")
        report.matching = asdict(match_claims(conn, run_id=run_id, now=now))
        # an appeal answered by an 835 of this run: its outcome (no appeal case: nothing)
        report.appeal_outcomes = len(record_835_outcomes(conn, now=now))
        as_of = dt.datetime.combine(ref + dt.timedelta(days=1), dt.time())
        report.sla = refresh_alerts(conn, settings.sla, as_of=as_of, run_id=run_id)
        conn.execute("COMMIT")
        say("classify denial texts")
        classifier = classifier_with_model(settings.resubmission.confidence_threshold)
        report.classifier_version = classifier.version
        _, report.texts_classified = classify_denial_texts(conn, classifier, run_id=run_id)
        say("decide resubmissions")
        fixes = {label: meta["fix"] for label, meta in classifier.labels.items() if "fix" in meta}
        decide(
            conn,
            settings.resubmission,
            classifier_version=classifier.version,
            reference_date=ref,
            fixes=fixes,
        )
        say("plan resubmissions of 835 denials and 277CA/999 rejections")
        start_staging(conn)
        reasons: dict[str, int] = {}
        plans: list[Plan] = []  # those to resubmit: the others are staged and let go
        for chunk in plan_resubmissions(conn, classifier, settings.resubmission, ref):
            stage_candidates(conn, chunk)
            stage_worklist(conn, chunk, run_id=run_id, now=now)
            for plan in chunk:
                reasons[plan.reason] = reasons.get(plan.reason, 0) + 1
            plans.extend(p for p in chunk if p.decision == "resubmit")
        report.x12_resubmissions = {
            "denied_or_rejected": sum(reasons.values()),
            "resubmitted": len(plans),
            "by_reason": dict(sorted(reasons.items())),
        }
        report.sla["notified"] = notify(conn, settings.sla, now=now)
        say("write outputs")
        report.decisions = decision_metrics(conn)
        staging = staging_dir(out_dir, run_id)
        outputs = _outputs(out_dir, staging, run_id)
        write_candidates(conn, outputs["candidates"], run_id=run_id)
        # one commit records the decisions' effects, the run and its outputs; the outputs are
        # put in place after it (claimflow.resubmit.publish)
        conn.execute("BEGIN TRANSACTION")
        report.rejection_log_appended, log_size = stage_rejection_log(
            conn,
            outputs["rejection_log"],
            out_dir / REJECTION_LOG_FILE,
            run_id=run_id,
            logged_at=now,
        )
        written = write_corrected_claims(
            conn,
            plans,
            outputs["corrected_claims"],
            published=out_dir / CORRECTED_CLAIMS_FILE,
            when=now,
            policy=settings.resubmission,
            run_id=run_id,
        )
        record_resubmissions(conn, plans, run_id=run_id, now=now)
        report.x12_resubmissions["corrected_claims_written"] = written
        if has_champion(conn):
            say("score the denial risk of open claims")
            from claimflow.risk.scoring import score_open_claims  # LightGBM: loaded when used

            scored = score_open_claims(conn, warehouse, run_id=run_id, now=now, history_as_of=as_of)
            report.risk = scored.as_json()
            if scored.file_problem:  # a champion whose file is missing or corrupt needs a look
                report.warn(f"denial risk not scored: {scored.skipped}")
            elif scored.model_version is not None:
                say("monitor the denial-risk model")
                from claimflow.risk.monitor import monitor

                # a figure past its threshold is an alert (sla_alerts), not a failed run
                watched = monitor(
                    conn,
                    warehouse,
                    run_id=run_id,
                    now=now,
                    as_of=as_of,
                    policy=settings.risk.monitoring,
                )
                report.risk["monitoring"] = watched.as_json()
        else:  # nothing to score with: the run loads none of the model's libraries
            report.risk = {"scored": 0, "skipped": NO_CHAMPION}
        say("snapshot the dashboard's default view")
        build_snapshot(conn, run_id)
        say("done")
        report.duration_seconds = time.perf_counter() - started
        report.outputs = record_outputs(
            conn,
            run_id,
            [
                Output("candidates", out_dir / CANDIDATES_FILE, outputs["candidates"]),
                *(
                    [Output("rejection_log", out_dir / REJECTION_LOG_FILE,
                            outputs["rejection_log"], append_at=log_size)]
                    if report.rejection_log_appended
                    else []
                ),
                Output("corrected_claims", out_dir / CORRECTED_CLAIMS_FILE,
                       outputs["corrected_claims"] if written else None),
            ],
        )  # fmt: skip
        write_json(outputs["metrics"], report.metrics())
        record_outputs(
            conn, run_id, [Output("metrics", _metrics_file(out_dir, run_id), outputs["metrics"])]
        )
        _finish_run(conn, report)
        conn.execute("COMMIT")
        publish(conn, run_id)
        if report.risk.get("monitoring", {}).get("raised"):  # the model's alerts, sent now
            report.sla["notified"] += notify(conn, settings.sla, now=now)
        publish_snapshot(conn, warehouse)  # what the CLI, the API and the dashboard read
    except duckdb.Error as exc:
        raise WarehouseError(f"{warehouse}: {exc}") from None
    finally:
        conn.close()
    return report


def _outputs(out_dir: Path, staging: Path, run_id: str) -> dict[str, Path]:
    """Where the run stages each of its output files."""
    return {
        "candidates": staging / CANDIDATES_FILE,
        "rejection_log": staging / REJECTION_LOG_FILE,
        "corrected_claims": staging / CORRECTED_CLAIMS_FILE,
        "metrics": staging / f"{run_id}.json",
    }


def _metrics_file(out_dir: Path, run_id: str) -> Path:
    return out_dir / "metrics" / f"{run_id}.json"


def _record_run_file(conn: duckdb.DuckDBPyConnection, run_id: str, f: FileReport) -> None:
    _record_run_files(conn, run_id, [f])


def _record_run_files(
    conn: duckdb.DuckDBPyConnection, run_id: str, files: list[FileReport]
) -> None:
    insert_rows(
        conn,
        "run_files",
        [
            (
                run_id,
                f.file_id,
                f.path,
                f.source,
                f.source_system,
                f.status,
                f.rows_read,
                f.rows_loaded,
                f.rows_quarantined,
                f.rows_duplicate,
                f.message,
            )
            for f in files
        ],
    )


def _finish_run(conn: duckdb.DuckDBPyConnection, report: RunReport) -> None:
    conn.execute(
        "UPDATE runs SET ended_at = ?, status = ?, files_seen = ?, files_loaded = ?,"
        " files_skipped = ?, files_failed = ?, rows_read = ?, rows_loaded = ?,"
        " rows_quarantined = ?, rows_duplicate = ?, duration_seconds = ? WHERE run_id = ?",
        [
            dt.datetime.now(dt.UTC).replace(tzinfo=None),
            report.status,
            len(report.files),
            report.files_with("loaded"),
            report.files_with("skipped"),
            report.files_with("failed"),
            report.total("rows_read"),
            report.total("rows_loaded"),
            report.total("rows_quarantined"),
            report.total("rows_duplicate"),
            report.duration_seconds,
            report.run_id,
        ],
    )
