"""Files of different source systems load concurrently; the result is the serial one.

Expected rows, counts and file ids are written here by hand (file ids with hashlib).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import duckdb
import pytest

from claimflow.pipeline import _lanes_fit
from claimflow.sources.tabular import FileFingerprint
from claimflow.warehouse.connection import memory_budget_bytes
from tests.conftest import HEADER_ALPHA, Workspace

CONCURRENT = "source systems concurrently"


def _file_id(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_two_source_systems_load_concurrently_like_one_after_the_other(
    workspace: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    ws = workspace
    a1 = ws.put(
        "a1.csv",
        HEADER_ALPHA
        + "C1,P1,99213,Missing modifier,2025-07-01,denied\n"
        + "C2,P2,99214,,2025-07-02,approved\n",
    )
    a2 = ws.put(
        "a2.csv",
        HEADER_ALPHA
        + "C2,P9,99215,,2025-07-03,approved\n"  # C2 again: the earlier file's record wins
        + "C3,P3,99213,,2025-07-04,pending\n",
    )
    b1 = ws.put(
        "b1.json",
        '[{"id": "B1", "member": "M1", "code": "99213", "error_msg": null,'
        ' "date": "2025-07-05", "status": "paid"},'
        ' {"id": "", "member": "M2", "code": "99213", "error_msg": null,'
        ' "date": "2025-07-06", "status": "paid"}]',
    )
    b2 = ws.put("b2.json", '[{"identifier": "B2", "status": "paid"}]')  # no `id` column
    ws.write_config([ws.alpha_source(), ws.beta_source()])
    with caplog.at_level(logging.INFO, logger="claimflow.pipeline"):
        result = ws.run("--json")
    assert result.exit_code == 3, result.stderr  # a row quarantined, a file failed
    assert any(CONCURRENT in r.getMessage() for r in caplog.records)

    files = {f["path"]: f for f in result.json()["files"]}
    counts = {
        Path(p).name: (f["status"], f["rows_read"], f["rows_loaded"], f["rows_quarantined"],
                       f["rows_duplicate"])
        for p, f in files.items()
    }  # fmt: skip
    assert counts == {
        "a1.csv": ("loaded", 2, 2, 0, 0),
        "a2.csv": ("loaded", 2, 1, 0, 1),
        "b1.json": ("loaded", 2, 1, 1, 0),
        "b2.json": ("failed", 0, 0, 0, 0),
    }
    assert "'id'" in files[str(b2)]["message"]
    assert ws.query(
        "SELECT source_system, patient_control_number, member_id, source_file_id,"
        " source_row_number FROM claims_header ORDER BY 1, 2"
    ) == [
        ("alpha", "C1", "P1", _file_id(a1), 1),
        ("alpha", "C2", "P2", _file_id(a1), 2),
        ("alpha", "C3", "P3", _file_id(a2), 2),
        ("beta", "B1", "M1", _file_id(b1), 1),
    ]
    assert ws.query("SELECT source_system, count(*) FROM claims_line GROUP BY 1 ORDER BY 1") == [
        ("alpha", 3),
        ("beta", 1),
    ]
    assert ws.query(
        "SELECT source_file_id, source_row_number, disposition FROM bronze_emr_rows ORDER BY 1, 2"
    ) == sorted(
        [
            (_file_id(a1), 1, "loaded"),
            (_file_id(a1), 2, "loaded"),
            (_file_id(a2), 1, "duplicate"),
            (_file_id(a2), 2, "loaded"),
            (_file_id(b1), 1, "loaded"),
            (_file_id(b1), 2, "quarantined"),
        ]
    )
    assert ws.query("SELECT dq_rule FROM claims_header__quarantine") == [
        ("patient_control_number.not_null",)
    ]
    assert ws.query("SELECT file_id, status FROM source_files ORDER BY path") == [
        (_file_id(a1), "loaded"),
        (_file_id(a2), "loaded"),
        (_file_id(b1), "loaded"),
        (_file_id(b2), "failed"),
    ]

    again = ws.run("--json")  # idempotent: nothing new, nothing loaded twice
    assert [f["status"] for f in again.json()["files"]] == [
        "skipped",
        "skipped",
        "skipped",
        "failed",
    ]
    assert ws.query("SELECT count(*) FROM bronze_emr_rows") == [(6,)]


def test_the_same_bytes_under_two_sources_load_once_one_after_the_other(
    workspace: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    ws = workspace
    body = HEADER_ALPHA + "C1,P1,99213,,2025-07-01,approved\n"
    ws.put("a.csv", body)
    ws.put("g/a_copy.csv", body)
    gamma = ws.alpha_source(pattern="inbox/g/*.csv", name="gamma", source_system="gamma")
    ws.write_config([ws.alpha_source(), gamma])
    with caplog.at_level(logging.INFO, logger="claimflow.pipeline"):
        result = ws.run("--json")
    assert result.exit_code == 0, result.stderr
    assert not any(CONCURRENT in r.getMessage() for r in caplog.records)
    assert [(f["source"], f["status"]) for f in result.json()["files"]] == [
        ("alpha", "loaded"),
        ("gamma", "skipped"),
    ]
    assert ws.query("SELECT source_system, patient_control_number FROM claims_header") == [
        ("alpha", "C1")
    ]


@pytest.mark.parametrize(
    ("limit", "budget", "sizes", "together"),
    [
        ("1GB", 10**9, [29_000_000, 62_000_000], True),  # 1,000,000 benchmark rows: 3 × 91 MB
        ("1GB", 10**9, [144_000_000, 308_000_000], False),  # 5,000,000 rows: 3 × 452 MB
        ("1GB", 10**9, [160_000_000, 160_000_000], True),  # 3 × 320 MB = 960 MB ≤ 1 GB
        ("1GB", 10**9, [170_000_000, 170_000_000], False),  # 3 × 340 MB = 1,020 MB
        ("200MB", 2 * 10**8, [29_000_000, 62_000_000], False),
        ("-1", 16383.9 * 2**50, [144_000_000, 308_000_000], True),  # no limit: "16383.9 PiB"
    ],
)
def test_files_load_together_only_if_three_times_their_size_fits_the_memory_budget(
    limit: str, budget: float, sizes: list[int], together: bool
) -> None:
    conn = duckdb.connect()
    conn.execute(f"SET memory_limit = '{limit}'")
    read = memory_budget_bytes(conn)
    assert read is not None
    assert abs(read - budget) < 0.002 * budget  # DuckDB reports it rounded, in MiB, GiB, PiB
    files: list[FileFingerprint | OSError] = [
        FileFingerprint(f"f{i}", n) for i, n in enumerate(sizes)
    ]
    files.append(OSError("unreadable files do not count"))
    assert _lanes_fit(conn, files) is together
