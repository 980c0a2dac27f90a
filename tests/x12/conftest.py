"""Shared paths and helpers for the X12 engine tests."""

from __future__ import annotations

import csv
import datetime
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "x12"
CORPUS = DATA / "corpus"
BROKEN = DATA / "broken"

try:  # the package may not be installed in the test environment
    import claimflow.x12  # noqa: F401
except ModuleNotFoundError:  # pragma: no cover - depends on the environment
    sys.path.insert(0, str(ROOT / "src"))


def manifest() -> list[dict[str, str]]:
    """Rows of the corpus MANIFEST.tsv."""
    with (CORPUS / "MANIFEST.tsv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


# Writers: when written files are dated, and the columns that differ between a read and a re-read
# (keys and lineage point at the file a row came from)
WHEN = datetime.datetime(2024, 3, 1, 9, 30)
LINEAGE = {
    "claim_id",
    "claim_line_id",
    "diagnosis_id",
    "source_file_id",
    "data_source",
    "isa_control_number",
    "group_control_number",
    "st_control_number",
    "segment_index",
    "lineage_hash",
}
