"""Why a claim is at risk, in a biller's words, and what to do about it before sending.

The model's exact TreeSHAP contributions (LightGBM ``pred_contrib``, in calibrated log-odds)
are summed over **factors**: groups of features a biller thinks of as one thing (the prior
authorization; the modifiers; the diagnoses; the procedure under this payer's policy ...). A
sum of exact contributions is exact. A claim's top three factors are those that raise its risk
most; each is worded with the values behind it.

A factor is an **action** only through its modifiable features (the catalogue's flag,
``claimflow.schema.risk.FEATURES``): when their own contributions raise the risk, the factor
carries the action a biller can take before sending. Everything else (payer, procedure,
history, charges, age) is context, never an action.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from claimflow.risk.features import FEATURE_NAMES, MODIFIABLE

TOP = 3

Values = Mapping[str, object]


def _missing(value: object) -> bool:
    """None, '' or NaN (a frame's missing value)."""
    return value is None or value == "" or (isinstance(value, float) and value != value)


def _pct(value: object) -> str:
    return "no history" if _missing(value) else f"{float(value):.0%}"  # type: ignore[arg-type]


def _n(value: object) -> str:
    return f"{0 if _missing(value) else int(value):,}"  # type: ignore[call-overload]


def _v(value: object, none: str = "none") -> str:
    if _missing(value):
        return none
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class FactorKind:
    """A group of features worded as one reason."""

    name: str
    title: str
    features: tuple[str, ...]
    words: Callable[[Values], str]
    action: Callable[[Values], str | None] | None = None
    """What a biller can do (None from it: nothing applies to these values)."""


def _history(v: Values, kind: str, subject: str) -> str:
    claims = v.get(f"hist_{kind}_claims")
    if _missing(claims) or not claims:
        return f"no earlier outcome of {subject} before this claim"
    days = v.get(f"hist_{kind}_days_to_pay")
    paid = "" if _missing(days) else f", paid in {float(days):.0f} days on average"  # type: ignore[arg-type]
    return (
        f"{subject}: {_pct(v.get(f'hist_{kind}_denial_rate'))} of {_n(claims)} claims denied"
        f" before this claim{paid}"
    )


def _auth_action(v: Values) -> str:
    if v.get("has_prior_auth"):
        return "Verify that the prior-authorization number (REF*G1) is the payer's for this service"
    return (
        f"Attach the prior-authorization number (REF*G1) for {_v(v.get('principal_procedure'))},"
        " or obtain the authorization before sending"
    )


def _npi_action(v: Values) -> str:
    if v.get("rendering_npi_valid") is False:
        return f"Correct the rendering NPI {_v(v.get('rendering_npi'))}: its check digit fails"
    return (
        f"Verify the rendering NPI {_v(v.get('rendering_npi'))} against the clinician who saw"
        " the patient and the payer's enrollment"
    )


FACTORS: tuple[FactorKind, ...] = (
    FactorKind(
        "prior_auth",
        "Prior authorization",
        ("has_prior_auth",),
        lambda v: (
            "a prior-authorization number is on the claim"
            if v.get("has_prior_auth")
            else "no prior-authorization number on the claim"
        ),
        _auth_action,
    ),
    FactorKind(
        "timing",
        "Time to submit",
        ("days_to_submission",),
        lambda v: (
            f"submitted {_v(v.get('days_to_submission'), '?')} days after the date of service"
        ),
        lambda v: (
            f"Send it now and check the payer's filing limit: {_v(v.get('days_to_submission'), '?')}"
            " days have passed since the date of service"
        ),
    ),
    FactorKind(
        "rendering_provider",
        "Rendering provider",
        ("rendering_npi", "rendering_npi_valid"),
        lambda v: (
            f"rendering NPI {_v(v.get('rendering_npi'))}"
            + (" (check digit fails)" if v.get("rendering_npi_valid") is False else "")
        ),
        _npi_action,
    ),
    FactorKind(
        "billing_provider",
        "Billing provider under this payer",
        (
            "billing_npi",
            "billing_npi_valid",
            "hist_payer_provider_claims",
            "hist_payer_provider_denial_rate",
            "hist_payer_provider_days_to_pay",
        ),
        lambda v: (
            _history(
                v,
                "payer_provider",
                f"billing NPI {_v(v.get('billing_npi'))} with payer {_v(v.get('payer_id'))}",
            )
            + (
                " (the billing NPI's check digit fails)"
                if v.get("billing_npi_valid") is False
                else ""
            )
        ),
        lambda v: (
            f"Correct the billing NPI {_v(v.get('billing_npi'))}: its check digit fails"
            if v.get("billing_npi_valid") is False
            else None
        ),
    ),
    FactorKind(
        "modifiers",
        "Modifiers",
        ("principal_modifiers", "modifier_count"),
        lambda v: (
            f"modifiers on the principal line: {_v(v.get('principal_modifiers'))};"
            f" {_n(v.get('modifier_count'))} on the whole claim"
        ),
        lambda v: (
            "Review the modifiers: an E/M visit billed with a procedure on the same day needs"
            " modifier 25; a distinct procedure needs 59 or X{EPSU}"
        ),
    ),
    FactorKind(
        "diagnoses",
        "Diagnoses",
        ("principal_dx_chapter", "dx_chapters", "dx_chapter_count", "diagnosis_count"),
        lambda v: (
            f"principal diagnosis in ICD-10-CM chapter {_v(v.get('principal_dx_chapter'))};"
            f" {_n(v.get('diagnosis_count'))} diagnoses"
        ),
        lambda v: (
            f"Check that a documented diagnosis supports {_v(v.get('principal_procedure'))}"
            " (medical necessity) and that it is sequenced first"
        ),
    ),
    FactorKind(
        "procedure",
        "Procedure under this payer's policy",
        (
            "principal_procedure",
            "distinct_procedures",
            "hist_payer_procedure_claims",
            "hist_payer_procedure_denial_rate",
            "hist_payer_procedure_days_to_pay",
            "hist_payer_procedure_max_denial_rate",
        ),
        lambda v: _history(
            v,
            "payer_procedure",
            f"payer {_v(v.get('payer_id'))} and {_v(v.get('principal_procedure'))}",
        ),
    ),
    FactorKind(
        "payer",
        "Payer",
        (
            "payer_id",
            "claim_type",
            "hist_payer_claims",
            "hist_payer_denial_rate",
            "hist_payer_days_to_pay",
        ),
        lambda v: _history(
            v, "payer", f"payer {_v(v.get('payer_id'))} ({_v(v.get('claim_type'))})"
        ),
    ),
    FactorKind(
        "eligibility",
        "Member's eligibility with this payer",
        (
            "hist_payer_member_claims",
            "hist_payer_member_denial_rate",
            "hist_payer_member_days_to_pay",
        ),
        lambda v: _history(v, "payer_member", f"this member with payer {_v(v.get('payer_id'))}"),
        lambda v: (
            f"Verify the member's eligibility with payer {_v(v.get('payer_id'))} (270/271) before"
            " sending: coverage may have ended, or another policy is primary"
        ),
    ),
    FactorKind(
        "units",
        "Lines and units",
        ("line_count", "total_units", "max_line_units"),
        lambda v: (
            f"{_n(v.get('line_count'))} lines, {_v(v.get('total_units'), '0')} units"
            f" (at most {_v(v.get('max_line_units'), '0')} on one line)"
        ),
        lambda v: "Review the units against the payer's per-day limits, or split the line",
    ),
    FactorKind(
        "charges",
        "Charges",
        ("total_charge", "max_line_charge"),
        lambda v: (
            f"billed {_v(v.get('total_charge'), '0')}, at most {_v(v.get('max_line_charge'), '0')} on one line"
        ),
    ),
    FactorKind(
        "place_of_service",
        "Place of service",
        ("place_of_service",),
        lambda v: f"place of service {_v(v.get('place_of_service'))}",
        lambda v: (
            f"Review the place of service ({_v(v.get('place_of_service'))}) against the visit"
        ),
    ),
    FactorKind(
        "frequency",
        "Claim frequency",
        ("frequency_code",),
        lambda v: f"frequency code {_v(v.get('frequency_code'))}",
        lambda v: (
            "Check the frequency code: a replacement (7) or void (8) needs the payer's claim"
            " number (REF*F8)"
        ),
    ),
    FactorKind(
        "age",
        "Patient age",
        ("age_band",),
        lambda v: f"patient age band {_v(v.get('age_band'), 'unknown')}",
    ),
)
"""Every factor; together they hold every feature once."""

_INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}
GROUPS = np.zeros((len(FEATURE_NAMES), len(FACTORS)))
"""Feature × factor: 1 where the feature belongs to the factor (contributions @ GROUPS)."""
MODIFIABLE_GROUPS = np.zeros((len(FEATURE_NAMES), len(FACTORS)))
"""The same, for the modifiable features only."""
for _k, _factor in enumerate(FACTORS):
    for _name in _factor.features:
        GROUPS[_INDEX[_name], _k] = 1.0
        if _name in MODIFIABLE:
            MODIFIABLE_GROUPS[_INDEX[_name], _k] = 1.0
if sorted(_INDEX) != sorted(n for f in FACTORS for n in f.features):
    raise AssertionError("every feature belongs to exactly one factor")
for _k, _factor in enumerate(FACTORS):
    _mod = any(n in MODIFIABLE for n in _factor.features)
    if _mod != (_factor.action is not None):
        raise AssertionError(f"factor {_factor.name}: an action iff a modifiable feature")


@dataclass(frozen=True)
class Factor:
    """One reason: a factor, its words, the values behind it and its share of the risk."""

    name: str
    title: str
    words: str
    values: dict[str, Any]
    contribution: float
    """Its exact TreeSHAP sum, in calibrated log-odds (positive: raises the risk)."""
    action: str | None
    """What a biller can do before sending; None for context nobody changes."""

    @property
    def modifiable(self) -> bool:
        """Whether a person can act on it before sending."""
        return self.action is not None

    def as_json(self) -> dict[str, Any]:
        """The factor as JSON-ready values."""
        return {
            "factor": self.name,
            "title": self.title,
            "words": self.words,
            "values": {k: _json(v) for k, v in self.values.items()},
            "contribution": round(self.contribution, 4),
            "action": self.action,
        }


def _json(value: object) -> object:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if value != value else round(value, 6)
    return str(value)


def factor_contributions(
    contrib: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per claim and factor: the sum of its features' contributions, and of its modifiable
    features' alone (``contrib``: claims × features)."""
    return contrib @ GROUPS, contrib @ MODIFIABLE_GROUPS


def explain(
    row: Values, by_factor: npt.NDArray[np.float64], by_modifiable: npt.NDArray[np.float64]
) -> tuple[tuple[Factor, ...], tuple[str, ...]]:
    """A claim's top factors (those raising its risk most, at most three) and its actions."""
    order = np.argsort(-by_factor, kind="stable")[:TOP]
    factors: list[Factor] = []
    for k in order:
        if by_factor[k] <= 0:
            break
        kind = FACTORS[k]
        action = kind.action(row) if kind.action is not None and by_modifiable[k] > 0 else None
        factors.append(
            Factor(
                kind.name,
                kind.title,
                kind.words(row),
                {n: row.get(n) for n in kind.features},
                float(by_factor[k]),
                action,
            )
        )
    actions = tuple(dict.fromkeys(f.action for f in factors if f.action is not None))
    return tuple(factors), actions
