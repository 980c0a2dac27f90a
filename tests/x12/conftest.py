"""Shared paths and helpers for the X12 engine tests."""

from __future__ import annotations

import csv
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
