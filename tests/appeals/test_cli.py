"""The appeal commands as a user runs them: prepare several cases at once, draft them all,
list them by deadline, record outcomes and report overturn rates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from docx import Document

from claimflow.synth.appeals.generate import generate_appeals
from tests.conftest import cli


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("appeal-cli")
    generate_appeals(root / "cases", cases=4, seed=3)
    return root


def test_prepare_draft_list_outcome_and_rates(cases: Path, tmp_path: Path) -> None:
    w = str(tmp_path / "w.duckdb")
    truths = {
        p.stem: json.loads(p.read_text())
        for p in sorted((cases / "cases" / "truth").glob("A*.json"))
    }
    dirs = [str(cases / "cases" / c) for c in truths]
    missing = str(tmp_path / "no-such-case")
    prepared = cli("appeal", "prepare", *dirs, missing, "-w", w, "--json")
    # the case that cannot be read is named; the others are loaded
    assert prepared.exit_code == 1
    assert "no-such-case" in prepared.stderr
    loaded = json.loads(prepared.stdout)["cases"]
    assert [c["case_id"] for c in loaded] == list(truths)

    drafted = cli("appeal", "draft", "--all", "--out", str(tmp_path / "drafts"), "-w", w, "--json")
    assert drafted.exit_code == 0, drafted.stderr
    drafts = json.loads(drafted.stdout)["drafts"]
    assert [d["case_id"] for d in drafts] == list(truths)
    for case_id, truth in truths.items():
        folder = tmp_path / "drafts" / case_id
        letter = "\n".join(p.text for p in Document(str(folder / "letter.docx")).paragraphs)
        assert truth["account_number"] in letter
        assert "Strength" not in letter  # the review stays in review.docx
        review = "\n".join(p.text for p in Document(str(folder / "review.docx")).paragraphs)
        assert "Strength:" in review

    listed = json.loads(cli("appeal", "list", "-w", w, "--json").stdout)["cases"]
    deadlines = [c["appeal_deadline"] for c in listed]
    assert deadlines == sorted(deadlines)  # nearest first
    assert {c["case_id"] for c in listed} == set(truths)
    assert all(c["overall"] is not None and c["rating"] for c in listed)
    table = cli("appeal", "list", "-w", w)
    assert table.exit_code == 0 and "Appeal cases" in table.stdout

    first, second, *_ = truths
    assert (
        cli("appeal", "outcome", first, "overturned", "--paid", "12000.50", "-w", w).exit_code == 0
    )
    assert cli("appeal", "outcome", second, "upheld", "-w", w).exit_code == 0
    # a later decision replaces the earlier one
    assert cli("appeal", "outcome", second, "partially_paid", "-w", w).exit_code == 0
    bad = cli("appeal", "outcome", first, "won", "-w", w)
    assert bad.exit_code == 1 and "overturned, partially_paid, upheld" in bad.stderr
    rates = json.loads(cli("appeal", "rates", "-w", w, "--json").stdout)["rates"]
    by = {(r["dimension"], r["value"]): r for r in rates}
    conditions = {truths[first]["condition"], truths[second]["condition"]}
    decided = sum(by[("condition", c)]["decided"] for c in conditions)
    assert decided == 2
    won = sum(by[("condition", c)]["won"] for c in conditions)
    assert won == 2  # overturned + partially paid
    for argument in truths[first]["arguments"]:
        assert by[("argument", argument)]["won"] >= 1


def test_draft_names_an_unknown_case(tmp_path: Path, cases: Path) -> None:
    w = str(tmp_path / "w.duckdb")
    first = sorted((cases / "cases").glob("A*"))[0]
    assert cli("appeal", "prepare", str(first), "-w", w).exit_code == 0
    result = cli("appeal", "draft", "A9999", "--out", str(tmp_path / "d"), "-w", w)
    assert result.exit_code == 1 and "no prepared case 'A9999'" in result.stderr
    nothing = cli("appeal", "draft", "--out", str(tmp_path / "d"), "-w", w)
    assert nothing.exit_code == 2 and "--all" in nothing.stderr
