"""Configuration: the shipped files validate, and mistakes are reported by field."""

from __future__ import annotations

from pathlib import Path

import pytest

from claimflow.config import load_settings
from claimflow.errors import ConfigError
from tests.conftest import REPO


@pytest.mark.parametrize("name", ["seed.yaml", "claimflow.example.yaml"])
def test_shipped_configs_validate_and_find_their_files(name: str) -> None:
    settings = load_settings(REPO / "configs" / name)
    assert {s.name for s in settings.sources} == {"alpha", "beta"}
    for source in settings.sources:
        assert list(settings.base_dir.glob(source.pattern)), source.pattern


@pytest.mark.parametrize(
    ("source_patch", "needle"),
    [
        ({"columns": {"patient_control_number": "id", "shoe_size": "s"}}, "shoe_size"),
        ({"columns": {"member_id": "m"}}, "patient_control_number"),
        ({"required": ["payer_id"]}, "payer_id"),
        ({"value_maps": {"claim_status": {"x": "maybe"}}}, "maybe"),
        ({"format": "xlsx"}, "format"),
    ],
)
def test_invalid_configs_name_the_field(
    tmp_path: Path, source_patch: dict[str, object], needle: str
) -> None:
    import yaml

    source: dict[str, object] = {
        "name": "a",
        "source_system": "a",
        "format": "csv",
        "pattern": "*.csv",
        "columns": {"patient_control_number": "id", "claim_status": "st"},
    }
    source.update(source_patch)
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"sources": [source]}))
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert needle in str(info.value) and str(path) in str(info.value)


def test_config_hash_is_stable_and_sensitive() -> None:
    a = load_settings(REPO / "configs" / "seed.yaml")
    b = load_settings(REPO / "configs" / "seed.yaml")
    assert a.config_hash() == b.config_hash()
    changed = a.model_copy(update={"reference_date": None, "sources": a.sources[:1]})
    assert changed.config_hash() != a.config_hash()
