"""What became of a file's records: the counts a loader returns and a run adds up."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FileCounts:
    """What became of a file's records."""

    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    rule_failures: dict[tuple[str, str], int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """What the user should know although every row was placed (never a patient identifier):
    e.g. an X12 envelope error, or a mapped column that is empty in every row."""

    def add(self, other: FileCounts) -> None:
        """Accumulate another file's counts into this one."""
        self.rows_read += other.rows_read
        self.rows_loaded += other.rows_loaded
        self.rows_quarantined += other.rows_quarantined
        self.rows_duplicate += other.rows_duplicate
        self.warnings.extend(other.warnings)
