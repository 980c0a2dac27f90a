"""The exception tree of claimflow (the X12 engine keeps its own under ``claimflow.x12``).

::

    ClaimflowError                 base of everything claimflow raises on purpose
    ├── ConfigError                a configuration file or option is wrong (user mistake)
    ├── SourceError                an input file cannot be ingested as declared
    │   ├── UnreadableFileError    empty, binary, bad encoding, broken JSON/CSV/Parquet
    │   └── MissingColumnError     a required column is absent from the file
    ├── WarehouseError             the warehouse file cannot be opened or migrated
    └── LineageNotFoundError       no row carries the lineage hash asked for

Every error that names input data names the file and the field; none carries patient
identifiers, so the messages are safe to log.
"""

from __future__ import annotations


class ClaimflowError(Exception):
    """Base class of the errors claimflow raises deliberately."""


class ConfigError(ClaimflowError):
    """A configuration file or option is invalid."""


class SourceError(ClaimflowError):
    """An input file cannot be ingested as its source definition declares.

    Args:
        path: The file concerned.
        message: What is wrong, in words a data engineer acts on.
    """

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.reason = message

    def __reduce__(self) -> tuple[type[SourceError], tuple[str, str]]:
        return (type(self), (self.path, self.reason))


class UnreadableFileError(SourceError):
    """The file is empty, binary, wrongly encoded or malformed for its format."""


class MissingColumnError(SourceError):
    """A column the source definition requires is absent from the file."""


class WarehouseError(ClaimflowError):
    """The warehouse cannot be opened, migrated or written."""


class LineageNotFoundError(ClaimflowError):
    """No row in the warehouse carries the lineage hash given."""
