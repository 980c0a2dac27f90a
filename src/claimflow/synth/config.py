"""The generated inbox's ``claimflow.yaml``: one source definition per file family."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CONFIG_HEADER = "# Written by `claimflow synth`: every file of this inbox, as claimflow sources.\n"
NULLS = ["", "none", "null", "nan", "n/a", "na"]
STATUS_MAP = {"approve": "approved", "deny": "denied", "paid": "approved", "rejected": "denied"}

SOURCES: list[dict[str, Any]] = [
    {
        "name": "alpha",
        "source_system": "alpha",
        "format": "csv",
        "pattern": "emr/alpha_*.csv",
        "csv": {"delimiter": ","},
        "columns": {
            "patient_control_number": "claim_id",
            "member_id": "patient_id",
            "procedure_code": "procedure_code",
            "denial_reason": "denial_reason",
            "submission_date": "submitted_at",
            "claim_status": "status",
            "payer_id": "payer_id",
            "billing_npi": "billing_npi",
            "rendering_npi": "rendering_npi",
            "total_charge": "total_charge",
            "expected_payment": "expected_payment",
            "service_from": "service_date",
            "modifier_1": "modifier",
        },
        "value_maps": {"claim_status": STATUS_MAP},
        "null_tokens": NULLS,
        "date_formats": ["%Y-%m-%d", "%m/%d/%Y"],
    },
    {
        "name": "beta",
        "source_system": "beta",
        "format": "json",
        "pattern": "emr/beta_*.json",
        "columns": {
            "patient_control_number": "id",
            "member_id": "member",
            "procedure_code": "code",
            "denial_reason": "error_msg",
            "submission_date": "date",
            "claim_status": "status",
            "payer_id": "payer",
            "billing_npi": "npi",
            "total_charge": "charge",
            "expected_payment": "expected",
            "service_from": "dos",
        },
        "value_maps": {"claim_status": STATUS_MAP},
        "null_tokens": NULLS,
        "date_formats": ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%SZ"],
    },
    {
        "name": "gamma",
        "source_system": "gamma",
        "format": "csv",
        "pattern": "emr/gamma_*.csv",
        "csv": {"delimiter": ";"},
        "columns": {
            "patient_control_number": "Encounter No",
            "member_id": "Member ID",
            "procedure_code": "HCPCS",
            "payer_id": "Payer Code",
            "billing_npi": "Facility NPI",
            "attending_npi": "Attending NPI",
            "total_charge": "Billed Amt",
            "expected_payment": "Exp Reimb",
            "service_from": "Svc Date",
            "submission_date": "Submit Date",
            "claim_status": "Claim State",
            "denial_reason": "Remark",
        },
        "value_maps": {
            "claim_status": {
                "paid": "approved",
                "sent": "submitted",
                "in process": "pending",
                "rejected": "denied",
            }
        },
        "null_tokens": NULLS,
        "date_formats": ["%d.%m.%Y", "%Y%m%d"],
    },
    {"name": "x12_837", "source_system": "clearinghouse", "format": "x12", "pattern": "x12/837*/*.x12"},
    {"name": "x12_999", "source_system": "clearinghouse", "format": "x12", "pattern": "x12/999/*.x12"},
    {"name": "x12_277ca", "source_system": "clearinghouse", "format": "x12", "pattern": "x12/277ca/*.x12"},
    {"name": "x12_835", "source_system": "payer", "format": "x12", "pattern": "x12/835/*.x12"},
]  # fmt: skip


def write_config(out_dir: Path) -> Path:
    """Write ``out_dir/claimflow.yaml`` and return its path."""
    path = out_dir / "claimflow.yaml"
    header = CONFIG_HEADER + "# Files broken on purpose are listed in truth/invalid_files.csv.\n"
    path.write_text(header + yaml.safe_dump({"sources": SOURCES}, sort_keys=False))
    return path
