"""Reasons as a biller reads them: missing values read as missing, never as 'nan' or 'None',
and an action only where a modifiable feature raised the risk."""

from __future__ import annotations

import math

import numpy as np

from claimflow.risk.explain import FACTORS, explain

NAMES = [f.name for f in FACTORS]


def _contrib(**by_name: float) -> np.ndarray:
    out = np.zeros(len(FACTORS))
    for name, value in by_name.items():
        out[NAMES.index(name)] = value
    return out


def test_missing_values_read_as_missing_whatever_their_form() -> None:
    for missing in (None, float("nan"), ""):
        row = {
            "rendering_npi": missing,
            "rendering_npi_valid": None,
            "payer_id": "60054",
            "claim_type": "837P",
            "hist_payer_claims": missing if missing != "" else None,
            "hist_payer_denial_rate": float("nan"),
            "hist_payer_days_to_pay": float("nan"),
        }
        factors, actions = explain(
            row,
            _contrib(rendering_provider=0.9, payer=0.5),
            _contrib(rendering_provider=0.9),
        )
        words = " ".join(f.words for f in factors) + " ".join(actions)
        assert "nan" not in words.lower() and "None" not in words
        assert factors[0].name == "rendering_provider"
        assert factors[0].words == "rendering NPI none"
        assert factors[1].words == "no earlier outcome of payer 60054 (837P) before this claim"
        assert factors[1].action is None  # the payer is context


def test_history_reads_with_its_figures() -> None:
    row = {
        "payer_id": "60054",
        "principal_procedure": "73721",
        "hist_payer_procedure_claims": 212,
        "hist_payer_procedure_denial_rate": 0.4103,
        "hist_payer_procedure_days_to_pay": 23.6,
    }
    (factor,), actions = explain(row, _contrib(procedure=1.2), _contrib())
    assert factor.words == (
        "payer 60054 and 73721: 41% of 212 claims denied before this claim,"
        " paid in 24 days on average"
    )
    assert factor.action is None and actions == ()
    assert math.isclose(factor.contribution, 1.2)


def test_an_action_only_when_the_modifiable_part_raises_the_risk() -> None:
    row = {"has_prior_auth": False, "principal_procedure": "73721", "billing_npi": "1234567893",
           "billing_npi_valid": True}  # fmt: skip
    factors, actions = explain(
        row,
        _contrib(prior_auth=0.8, billing_provider=0.6, charges=-0.3),
        _contrib(prior_auth=0.8, billing_provider=0.1),
    )
    assert [f.name for f in factors] == ["prior_auth", "billing_provider"]  # never a negative
    assert actions == (
        "Attach the prior-authorization number (REF*G1) for 73721, or obtain the authorization"
        " before sending",
    )  # a valid billing NPI gets no 'correct the NPI', though its factor raised the risk
