"""``claimflow reference lookup``: a CARC as the reports print it (``CO-45``) or bare (``45``)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.conftest import REPO, cli

REFERENCE = REPO / "src" / "claimflow" / "reference"


def _shipped(name: str, key: str) -> dict[str, dict[str, str]]:
    with (REFERENCE / name).open(encoding="utf-8") as fh:
        return {row[key]: row for row in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("reference") / "w.duckdb")


@pytest.mark.parametrize(
    ("written", "group", "carc"),
    [("CO-45", "CO", "45"), ("co-45", "CO", "45"), ("CO45", "CO", "45"), ("CO 45", "CO", "45"),
     ("PR-1", "PR", "1"), ("OA-23", "OA", "23"), ("PI-96", "PI", "96")],
)  # fmt: skip
def test_a_carc_with_its_group_code_reads_as_the_carc_and_says_what_the_group_means(
    warehouse: str, written: str, group: str, carc: str
) -> None:
    looked = cli("reference", "lookup", "carc", written, "-w", warehouse, "--json")
    assert looked.exit_code == 0, looked.stderr
    record = looked.json()
    carcs = _shipped("carc.csv", "code")
    groups = _shipped("claim_adjustment_group_codes.csv", "code")
    assert record["code"] == carc
    assert record["description"] == carcs[carc]["description"]
    assert record["group_code"] == group
    assert record["group_name"] == groups[group]["name"]
    assert record["group_meaning"] == groups[group]["meaning_for_posting"]
    bare = cli("reference", "lookup", "carc", carc, "-w", warehouse, "--json").json()
    assert "group_code" not in bare
    assert {k: v for k, v in record.items() if not k.startswith("group_")} == bare


def test_the_text_names_the_group(warehouse: str) -> None:
    looked = cli("reference", "lookup", "carc", "CO-45", "-w", warehouse)
    assert looked.exit_code == 0, looked.stderr
    name = _shipped("claim_adjustment_group_codes.csv", "code")["CO"]["name"]
    assert f"group_name:    {name}" in looked.stdout
    cr = cli("reference", "lookup", "carc", "CR-45", "-w", warehouse)
    assert cr.exit_code == 0 and "not valid in 5010" in cr.stdout.replace("\n", " ")


def test_unknown_codes_and_sets_are_clear_errors(warehouse: str) -> None:
    unknown = cli("reference", "lookup", "carc", "CO-99999", "-w", warehouse)
    assert unknown.exit_code == 1 and "CO-99999: not a known code" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    bad_set = cli("reference", "lookup", "cark", "45", "-w", warehouse)
    assert bad_set.exit_code == 2
    assert "unknown code set 'cark'" in bad_set.stderr and "carc" in bad_set.stderr
    # the group-code form is a CARC's only: a RARC is looked up as written
    rarc = cli("reference", "lookup", "rarc", "N30", "-w", warehouse, "--json")
    assert rarc.exit_code == 0 and rarc.json()["code"] == "N30"


def test_refresh_of_an_unknown_set_is_an_error(warehouse: str, tmp_path: Path) -> None:
    newer = tmp_path / "x.csv"
    newer.write_text("code,description\n1,x\n")
    refreshed = cli("reference", "refresh", "nope", str(newer), "-w", warehouse)
    assert refreshed.exit_code == 1 and "unknown code set 'nope'" in refreshed.stderr
