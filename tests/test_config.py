"""Configuration: the shipped files validate, and mistakes are reported by field."""

from __future__ import annotations

from pathlib import Path

import pytest

from claimflow.config import load_settings
from claimflow.errors import ConfigError
from tests.conftest import REPO, Workspace


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


def test_a_config_that_is_not_utf8_names_the_byte_and_exits_1(workspace: Workspace) -> None:
    ws = workspace
    ws.config.write_bytes(b"sources:\n  - name: caf\xe9\n")
    result = ws.run()
    assert result.exit_code == 1
    assert str(ws.config) in result.stderr
    assert "not UTF-8: byte 0xe9 at byte offset 22 (line 2)" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert not ws.warehouse.exists()  # no run was started


def test_a_utf8_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"\xef\xbb\xbfreference_date: 2025-07-30\n")
    assert str(load_settings(path).reference_date) == "2025-07-30"


@pytest.mark.parametrize(
    ("source_patch", "needle"),
    [
        ({"pattern": "inbox/**.csv"}, "'**' can only be an entire path component"),
        ({"pattern": ""}, "pattern"),
        ({"encoding": "klingon"}, "unknown text encoding 'klingon'"),
        ({"encoding": "base64"}, "unknown text encoding 'base64'"),
        ({"csv": {"delimiter": '"'}}, "csv.delimiter and csv.quote are both"),
        ({"csv": {"quote": "''"}}, "csv.quote must be one character"),
        # DuckDB refused it for every row, after the run row was written (left 'running')
        ({"date_formats": ["%Q-%m"]}, "date format '%Q-%m' cannot be used"),
        ({"date_formats": []}, "date_formats needs at least one format"),
    ],
)
def test_a_config_problem_exits_1_and_leaves_no_running_run(
    workspace: Workspace, source_patch: dict[str, object], needle: str
) -> None:
    ws = workspace
    ws.put("a.csv", "claim_id,status\nC1,denied\n")
    ws.write_config([ws.alpha_source(**source_patch)])
    result = ws.run()
    assert result.exit_code == 1, result.stdout
    assert needle in " ".join(result.stderr.split()) and "Traceback" not in result.stderr
    if ws.warehouse.exists():
        assert ws.query("SELECT count(*) FROM runs WHERE status = 'running'") == [(0,)]
