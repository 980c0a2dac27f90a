"""A small generated world shared by the synth tests, and a tiny X12 reader to check it."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from claimflow.synth import WorldSummary, generate_world

CLAIMS = 300
SEED = 11
START = dt.date(2025, 1, 1)
MONTHS = 2


@dataclass
class GeneratedWorld:
    root: Path
    summary: WorldSummary

    def truth(self) -> list[dict[str, str]]:
        with (self.root / "truth" / "claims.csv").open(encoding="utf-8") as fh:
            return list(csv.DictReader(fh))

    def invalid(self) -> set[str]:
        with (self.root / "truth" / "invalid_files.csv").open(encoding="utf-8") as fh:
            return {row["path"] for row in csv.DictReader(fh)}

    def x12_files(self, sub: str, *, valid_only: bool = True) -> list[Path]:
        bad = self.invalid() if valid_only else set()
        return [
            p
            for p in sorted((self.root / "x12" / sub).glob("*.x12"))
            if p.relative_to(self.root).as_posix() not in bad
        ]


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> GeneratedWorld:
    root = tmp_path_factory.mktemp("synth") / "inbox"
    summary = generate_world(root, claims=CLAIMS, seed=SEED, start=START, months=MONTHS)
    return GeneratedWorld(root, summary)


def segments(path: Path) -> Iterator[list[str]]:
    """Each segment of a file written by the generator, split into elements."""
    for raw in path.read_text(encoding="ascii").split("~"):
        seg = raw.strip()
        if seg:
            yield seg.split("*")


def transactions(path: Path) -> Iterator[list[list[str]]]:
    """The segments of each ST…SE."""
    current: list[list[str]] | None = None
    for seg in segments(path):
        if seg[0] == "ST":
            current = [seg]
        elif current is not None:
            current.append(seg)
            if seg[0] == "SE":
                yield current
                current = None


def amount(text: str) -> Decimal:
    return Decimal(text) if text else Decimal(0)
