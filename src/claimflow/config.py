"""Settings: a YAML file validated into immutable models and passed explicitly."""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from claimflow.errors import ConfigError
from claimflow.schema import CLAIM_STATUSES, EMR_FIELDS

DEFAULT_NULL_TOKENS: tuple[str, ...] = ("", "none", "null", "nan", "n/a", "na")
"""Values that mean "missing", compared trimmed and case-insensitively."""

DEFAULT_DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d",
    "%m/%d/%Y",
    "%Y%m%d",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
)
"""Tried in order after whitespace inside a date is removed (``2025 -07-01`` → ``2025-07-01``)."""

DEFAULT_VALUE_MAPS: dict[str, dict[str, str]] = {
    "claim_status": {"approve": "approved", "deny": "denied", "paid": "approved"},
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CsvOptions(_Frozen):
    """How a delimited file is split."""

    delimiter: str = Field(",", description="field separator, e.g. ',', ';', '|', '\\t'")
    quote: str = Field('"', description="quote character")
    escape: str = Field('"', description="escape character inside quotes")
    header: bool = Field(True, description="first line names the columns")

    @model_validator(mode="after")
    def _splittable(self) -> CsvOptions:
        if len(self.delimiter) != 1 and self.delimiter != "\\t":
            raise ValueError("csv.delimiter must be one character")
        for name in ("quote", "escape"):
            if len(getattr(self, name)) > 1:
                raise ValueError(f"csv.{name} must be one character")
        used = {"delimiter": self.delimiter, "quote": self.quote}
        if any(c in "\r\n" for c in used.values() if c):
            raise ValueError("csv.delimiter and csv.quote cannot be a line break")
        if self.delimiter == self.quote:
            raise ValueError(f"csv.delimiter and csv.quote are both {self.quote!r}")
        return self


class SourceDefinition(_Frozen):
    """One EMR export layout: where its files are and how they map to the canonical model."""

    name: str = Field(description="unique name of this source definition")
    source_system: str = Field(description="value of `source_system` on every row it loads")
    format: Literal["csv", "json", "ndjson", "parquet", "x12"]
    pattern: str = Field(
        min_length=1,
        description="glob of the files, relative to the config file's folder unless absolute",
    )
    encoding: str = Field("utf-8", description="text encoding (csv/json)")
    csv: CsvOptions = CsvOptions()
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="canonical column → column name in the file (tabular formats)",
    )
    required: tuple[str, ...] = Field(
        ("patient_control_number", "claim_status"),
        description="canonical columns that must hold a value; a row without one is quarantined",
    )
    value_maps: dict[str, dict[str, str]] = Field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_VALUE_MAPS.items()},
        description="canonical column → {value in file (any case): canonical value}",
    )
    null_tokens: tuple[str, ...] = DEFAULT_NULL_TOKENS
    date_formats: tuple[str, ...] = DEFAULT_DATE_FORMATS

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, encoding: str) -> str:
        try:
            text = getattr(codecs.lookup(encoding), "_is_text_encoding", True)
        except LookupError:
            text = False
        if not text:
            raise ValueError(
                f"unknown text encoding {encoding!r}; use a Python codec name such as utf-8,"
                " latin-1, cp1252 or utf-16"
            )
        return encoding

    @field_validator("date_formats")
    @classmethod
    def _parseable_formats(cls, formats: tuple[str, ...]) -> tuple[str, ...]:
        # DuckDB's strptime parses them (not Python's): it refuses an unknown directive for
        # every row, so an unknown one is a configuration error, caught before a run starts
        if not formats:
            raise ValueError("date_formats needs at least one format")
        with duckdb.connect() as conn:
            for fmt in formats:
                try:
                    conn.execute("SELECT try_strptime('', ?)", [fmt])
                except duckdb.Error as exc:
                    reason = str(exc).splitlines()[0].split(": ", 1)[-1]
                    raise ValueError(f"date format {fmt!r} cannot be used: {reason}") from None
        return formats

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, columns: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(columns) - set(EMR_FIELDS))
        if unknown:
            raise ValueError(
                f"unknown canonical column(s) {', '.join(unknown)}; "
                f"an EMR export can fill: {', '.join(EMR_FIELDS)}"
            )
        return columns

    @model_validator(mode="after")
    def _consistent(self) -> SourceDefinition:
        if self.format == "x12":
            if self.columns:
                raise ValueError("an x12 source takes no `columns`: the guides define them")
            return self
        if "patient_control_number" not in self.columns:
            raise ValueError("columns: the claim id must be mapped to patient_control_number")
        for name in self.required:
            if name not in self.columns:
                raise ValueError(f"required column {name!r} is not in `columns`")
        for name, mapping in self.value_maps.items():
            if name not in EMR_FIELDS:
                raise ValueError(f"value_maps names unknown canonical column {name!r}")
            if name == "claim_status":
                bad = sorted(set(mapping.values()) - set(CLAIM_STATUSES))
                if bad:
                    raise ValueError(
                        f"value_maps.claim_status maps to {bad}; allowed: {list(CLAIM_STATUSES)}"
                    )
        return self

    @property
    def null_tokens_lower(self) -> tuple[str, ...]:
        """The null tokens trimmed and lower-cased, as they are compared."""
        return tuple(sorted({t.strip().lower() for t in self.null_tokens}))


class ResubmissionPolicy(_Frozen):
    """Which denied claims are resubmitted automatically."""

    denied_status: str = Field("denied", description="claim_status value meaning denied")
    require_patient: bool = Field(True, description="a patient (member) id must be present")
    min_days_since_submission: int = Field(
        7, ge=0, description="resubmit only when more days than this have passed"
    )
    confidence_threshold: float = Field(
        0.80, ge=0.0, le=1.0, description="below it a classification is `ambiguous`"
    )
    retryable_labels: tuple[str, ...] = Field(
        ("missing_modifier", "incorrect_npi", "prior_auth_required", "missing_information"),
        description="EMR denial labels a deterministic correction fixes",
    )
    timely_filing_days: dict[str, int] = Field(
        default_factory=dict,
        description="payer id → days from the date of service a (corrected) claim may be filed",
    )
    default_timely_filing_days: int = Field(
        365, ge=1, description="filing limit for payers not in timely_filing_days"
    )
    filing_buffer_days: int = Field(
        7, ge=0, description="resubmit only if the deadline is at least this many days away"
    )
    max_attempts: int = Field(1, ge=1, description="automatic resubmissions per claim, at most")
    submitter_id: str = Field("CLAIMFLOW", description="ISA06/GS02 and 1000A id on corrected 837s")
    receiver_id: str = Field("RECEIVER", description="ISA08/GS03 and 1000B id on corrected 837s")
    submitter_phone: str = Field("0000000000", description="1000A PER04 on corrected 837s")


class PayerSla(_Frozen):
    """Acknowledgment deadlines for one payer (hours after submission)."""

    ack_999_hours: int | None = Field(None, ge=1)
    ack_277ca_hours: int | None = Field(None, ge=1)


class SlaPolicy(_Frozen):
    """When a missing acknowledgment raises an alert, and where alerts are posted."""

    ack_999_hours: int = Field(
        24, ge=1, description="a 999 is due this many hours after submission"
    )
    ack_277ca_hours: int = Field(72, ge=1, description="a 277CA is due this many hours after")
    payers: dict[str, PayerSla] = Field(default_factory=dict, description="per-payer overrides")
    webhook_url: str | None = Field(None, description="POST new alerts as JSON here (optional)")
    webhook_timeout_seconds: float = Field(5.0, gt=0, description="per attempt")
    webhook_attempts: int = Field(3, ge=1, description="tries before giving up until next run")


class RiskMonitoring(_Frozen):
    """When the denial-risk model's monitoring raises an alert (``claimflow.risk.monitor``).

    Every threshold is relative to the model's own figures on its test months (an absolute
    "AUC < 0.8" fires forever in a world whose best possible AUC is 0.76).
    """

    window_days: int = Field(
        30, ge=1, description="the claims submitted in this many days up to the run's day"
    )
    min_claims: int = Field(
        200,
        ge=1,
        description="fewer claims with a known outcome in the window: no AUC, ECE or Brier;"
        " fewer claims: drift figures are recorded but raise no alert",
    )
    auc_drop_se: float = Field(
        2.0, gt=0, description="alert when AUC < test AUC − this × the test AUC's standard error"
    )
    expected_auc_drop_se: float = Field(
        2.0,
        gt=0,
        description="alert when the expected AUC (CBPE) < its test figure − this × the test AUC's"
        " standard error",
    )
    ece_rise: float = Field(0.03, gt=0, description="alert when ECE > test ECE + this")
    brier_rise: float | None = Field(
        None, gt=0, description="alert when Brier > test Brier + this (None: recorded only)"
    )
    feature_psi: float = Field(
        0.25,
        gt=0,
        description="alert when a feature's PSI against the training window exceeds its PSI on"
        " the test months + this",
    )
    score_psi: float = Field(0.25, gt=0, description="the same for the predicted probability")
    payer_gap_se: float = Field(
        4.0,
        gt=0,
        description="alert when a payer's observed − predicted denial rate moves from its test"
        " months' figure by more than this many standard errors",
    )
    min_payer_claims: int = Field(
        50, ge=1, description="claims with a known outcome a payer needs for its gap"
    )


class RiskPolicy(_Frozen):
    """The denial-risk model (issue 19)."""

    monitoring: RiskMonitoring = RiskMonitoring()


class Settings(_Frozen):
    """The whole configuration of a run."""

    sources: tuple[SourceDefinition, ...] = ()
    resubmission: ResubmissionPolicy = ResubmissionPolicy()
    sla: SlaPolicy = SlaPolicy()
    risk: RiskPolicy = RiskPolicy()
    reference_date: dt.date | None = Field(
        None, description="decision date; the CLI's --reference-date overrides, default today"
    )
    base_dir: Path = Field(Path("."), description="directory source patterns are relative to")

    @field_validator("sources", mode="before")
    @classmethod
    def _none_is_empty(cls, sources: object) -> object:
        return () if sources is None else sources  # `sources:` with nothing under it

    @model_validator(mode="after")
    def _unique_names(self) -> Settings:
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique; repeated: {dupes}")
        return self

    def config_hash(self) -> str:
        """sha256 of the validated settings (base_dir excluded), for the run record."""
        payload = self.model_dump(mode="json", exclude={"base_dir"})
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


# libyaml's loader when PyYAML was built with it (the wheels are): the same documents, parsed
# in C about ten times faster than the pure-Python scanner
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """A YAML document, safely (no arbitrary objects).

    Raises:
        yaml.YAMLError: Not YAML.
    """
    return yaml.load(text, Loader=_YAML_LOADER)


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(top level)"
        lines.append(f"  {where}: {item['msg']}")
    return "\n".join(lines)


def load_settings(path: str | Path) -> Settings:
    """Read and validate a configuration file.

    Args:
        path: The YAML file. Source patterns in it are relative to its directory.

    Returns:
        The validated settings.

    Raises:
        ConfigError: The file is missing, is not YAML, or does not validate.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file ({exc.strerror})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        at = exc.start + (3 if data.startswith(codecs.BOM_UTF8) else 0)
        line = data.count(b"\n", 0, at) + 1
        raise ConfigError(
            f"{path}: not UTF-8: byte 0x{data[at]:02x} at byte offset {at} (line {line}) is"
            " not valid UTF-8; a configuration file must be UTF-8 (save it as UTF-8)"
        ) from None
    try:
        raw: Any = load_yaml(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    raw["base_dir"] = str(path.resolve().parent / str(raw.get("base_dir", ".")))
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: invalid configuration\n{_describe(exc)}") from None
