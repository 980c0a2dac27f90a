"""Past winning letters: adding them (text, PDF, DOCX; duplicates counted), the threshold
calibrated on the library, and retrieval for a denial (same condition and argument, never
another condition, the template when nothing is close enough)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from claimflow.appeals import library
from claimflow.appeals.library import (
    MIN_LETTERS,
    LibraryError,
    add_letter,
    calibrate,
    find_letter,
    fingerprint,
    library_calibration,
    list_letters,
    retrieve,
)
from claimflow.errors import UnreadableFileError
from claimflow.warehouse.connection import open_warehouse
from tests.conftest import cli

FIXTURES = Path(__file__).parent / "library_fixtures"
DENIALS = FIXTURES / "denials"
NOW = dt.datetime(2026, 12, 8, 9, 0)

# each letter's condition and the payer arguments it answers (the library's labels)
LETTERS: dict[str, tuple[str, list[str]]] = {
    "sepsis_sofa_pneumonia": ("sepsis", ["sofa_below_2", "no_organ_dysfunction"]),
    "sepsis_lactate_urosepsis": ("sepsis", ["lactate_not_elevated"]),
    "sepsis_sirs_cellulitis": ("sepsis", ["sirs_only"]),
    "sepsis_sofa_lactate_abdominal": ("sepsis", ["sofa_below_2", "lactate_not_elevated"]),
    "arf_spo2_copd": ("respiratory_failure", ["spo2_not_persistent"]),
    "arf_abg_pneumonia": ("respiratory_failure", ["no_abg_hypoxemia"]),
    "arf_symptoms_chf": ("respiratory_failure", ["symptoms_not_persistent"]),
    "arf_abg_hypercapnic": ("respiratory_failure", ["no_abg_hypoxemia"]),
    "aki_rise_dehydration": ("aki", ["creatinine_rise_insufficient"]),
    "aki_baseline_outpatient": ("aki", ["no_baseline_creatinine"]),
    "aki_urine_output": ("aki", ["urine_output_adequate"]),
    "aki_contrast_rise": ("aki", ["creatinine_rise_insufficient"]),
}
# each denial's condition, the arguments it makes, and the letter written against it
DENIAL_CASES: dict[str, tuple[str, list[str], str]] = {
    "sepsis_sofa": ("sepsis", ["sofa_below_2", "no_organ_dysfunction"], "sepsis_sofa_pneumonia"),
    "sepsis_lactate": ("sepsis", ["lactate_not_elevated"], "sepsis_lactate_urosepsis"),
    "sepsis_sirs": ("sepsis", ["sirs_only"], "sepsis_sirs_cellulitis"),
    "arf_spo2": ("respiratory_failure", ["spo2_not_persistent"], "arf_spo2_copd"),
    "arf_abg": ("respiratory_failure", ["no_abg_hypoxemia"], "arf_abg_pneumonia"),
    "arf_symptoms": ("respiratory_failure", ["symptoms_not_persistent"], "arf_symptoms_chf"),
    "aki_rise": ("aki", ["creatinine_rise_insufficient"], "aki_rise_dehydration"),
    "aki_baseline": ("aki", ["no_baseline_creatinine"], "aki_baseline_outpatient"),
    "aki_urine": ("aki", ["urine_output_adequate"], "aki_urine_output"),
}
UNRELATED = ("unrelated_knee", "unrelated_timely", "unrelated_cataract")
CONDITIONS = ("sepsis", "respiratory_failure", "aki")


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    c = open_warehouse(tmp_path / "w.duckdb")
    library._CACHE.clear()
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def full(conn: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The twelve fixture letters added with their labels; file stem → letter id."""
    ids = {}
    for stem, (condition, arguments) in LETTERS.items():
        added = add_letter(conn, FIXTURES / f"{stem}.txt", condition, arguments=arguments, now=NOW)
        ids[stem] = added.letter_id
    return ids


def _denial(stem: str) -> str:
    return (DENIALS / f"{stem}.txt").read_text()


def test_each_denial_retrieves_the_letter_of_its_condition_and_argument(
    conn: duckdb.DuckDBPyConnection, full: dict[str, str]
) -> None:
    names = {v: k for k, v in full.items()}
    hits = 0
    for stem, (condition, arguments, written_against) in DENIAL_CASES.items():
        match = find_letter(conn, condition, arguments, _denial(stem))
        assert match is not None, stem
        assert match.condition == condition
        assert set(match.shared_arguments) <= set(arguments) and match.shared_arguments, stem
        assert match.score >= match.threshold
        assert match.letter_id in match.reason and "threshold" in match.reason
        assert match.text.startswith((FIXTURES / f"{names[match.letter_id]}.txt").read_text()[:40])
        hits += names[match.letter_id] == written_against
    assert hits == len(DENIAL_CASES)  # top-1: 9 of 9 on the fixtures


def test_the_text_alone_ranks_the_right_letter_first(
    conn: duckdb.DuckDBPyConnection, full: dict[str, str]
) -> None:
    """With the denial's arguments unknown, BM25 over the texts still puts the letter written
    against that denial first (9 of 9 on the fixtures) and it clears the threshold."""
    names = {v: k for k, v in full.items()}
    for stem, (condition, _, written_against) in DENIAL_CASES.items():
        found = retrieve(conn, condition, [], _denial(stem))
        assert found.match is not None, (stem, found.reason)
        assert names[found.match.letter_id] == written_against, (stem, found.ranked)
        assert found.match.shared_arguments == ()
        assert "not known" in found.reason


def test_a_letter_of_another_condition_is_never_retrieved(
    conn: duckdb.DuckDBPyConnection, full: dict[str, str]
) -> None:
    for stem, (condition, arguments, _) in DENIAL_CASES.items():
        for asked in CONDITIONS:
            if asked == condition:
                continue
            found = retrieve(conn, asked, arguments, _denial(stem))
            assert found.match is None or found.match.condition == asked, (stem, asked)
            assert all(full_id in _ids(conn, asked) for full_id, _, _ in found.ranked)


def _ids(conn: duckdb.DuckDBPyConnection, condition: str) -> set[str]:
    return {r["letter_id"] for r in list_letters(conn, condition)}


def test_an_unrelated_denial_falls_back_to_the_template(
    conn: duckdb.DuckDBPyConnection, full: dict[str, str]
) -> None:
    worst = 0.0
    for stem in UNRELATED:
        for condition in CONDITIONS:
            found = retrieve(conn, condition, [], _denial(stem))
            assert found.match is None, (stem, condition, found.reason)
            assert "clears the threshold" in found.reason and "template" in found.reason
            worst = max(worst, found.ranked[0][1])
    calibration = library_calibration(conn)
    assert calibration.threshold is not None and worst < calibration.threshold / 1.5


def test_the_threshold_is_calibrated_leave_one_out_and_stored(
    conn: duckdb.DuckDBPyConnection, full: dict[str, str]
) -> None:
    calibration = library_calibration(conn)
    assert calibration.letters == 12
    # letters with a true match in the library (the same condition and an argument in common)
    assert calibration.positives == 7 and calibration.negatives == 12
    assert calibration.balanced_accuracy is not None and calibration.balanced_accuracy >= 0.75
    assert "leave-one-out" in calibration.reason
    stored = conn.execute(
        "SELECT fingerprint, threshold, letters FROM appeal_library_calibration"
    ).fetchall()
    assert stored == [(calibration.fingerprint, pytest.approx(calibration.threshold), 12)]
    # the library changes behind the stored calibration: it is recomputed on read
    conn.execute("DELETE FROM appeal_library WHERE letter_id = ?", [full["aki_contrast_rise"]])
    library._CACHE.clear()
    again = library_calibration(conn)
    assert again.letters == 11 and again.fingerprint != calibration.fingerprint
    assert again.fingerprint == fingerprint(library._letters(conn))


def test_too_few_letters_to_calibrate_means_the_template(conn: duckdb.DuckDBPyConnection) -> None:
    for stem in list(LETTERS)[: MIN_LETTERS - 1]:
        condition, arguments = LETTERS[stem]
        add_letter(conn, FIXTURES / f"{stem}.txt", condition, arguments=arguments)
    found = retrieve(conn, "sepsis", ["sofa_below_2"], _denial("sepsis_sofa"))
    assert found.match is None
    assert f"needs at least {MIN_LETTERS}" in found.reason and "template" in found.reason
    assert retrieve(conn, "aki", [], _denial("aki_rise")).reason.startswith(
        "the library has no aki letter"
    )


def test_a_one_condition_library_tells_letters_apart_by_their_arguments() -> None:
    letters = [
        library.Letter(f"L{i}", "sepsis", frozenset({arg}), "t", "f", text)
        for i, (arg, text) in enumerate(
            [
                ("sofa_below_2", "sofa score rose four points platelets creatinine baseline"),
                ("sofa_below_2", "sofa score rose three points bilirubin platelets baseline"),
                ("sofa_below_2", "sofa increase two points creatinine renal window"),
                ("sirs_only", "sirs criteria fever tachycardia sepsis three definition"),
                ("sirs_only", "sirs only fever leukocytosis sepsis three criteria"),
                ("sirs_only", "sepsis two sirs alone tachycardia fever definition"),
            ]
        )
    ]
    calibration = calibrate(letters)
    assert calibration.threshold is not None
    assert "sharing no argument" in calibration.reason


def test_the_same_bytes_twice_are_a_counted_duplicate(
    conn: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    source = FIXTURES / "aki_urine_output.txt"
    first = add_letter(conn, source, "aki", arguments=["urine_output_adequate"])
    copy = tmp_path / "renamed copy.txt"
    copy.write_bytes(source.read_bytes())
    second = add_letter(conn, copy, "aki")
    third = add_letter(conn, source, "sepsis", arguments=["sofa_below_2"])
    assert not first.duplicate and second.duplicate and third.duplicate
    assert second.letter_id == third.letter_id == first.letter_id
    assert (second.duplicate_adds, third.duplicate_adds) == (1, 2)
    assert third.condition == "aki"  # the row as first added, not relabelled
    (row,) = list_letters(conn)
    assert row["duplicate_adds"] == 2 and row["file_name"] == "aki_urine_output.txt"


def test_arguments_are_detected_by_the_profile_when_not_given(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    added = add_letter(conn, FIXTURES / "sepsis_lactate_urosepsis.txt", "sepsis")
    assert added.arguments_source == "detected"
    assert "lactate_not_elevated" in added.arguments
    assert added.payer == "Aetna"
    assert added.title.startswith("Sepsis due to E. coli urinary tract infection")


def test_unknown_condition_outcome_or_argument_is_refused(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    letter = FIXTURES / "aki_urine_output.txt"
    with pytest.raises(LibraryError, match="known conditions: aki, respiratory_failure, sepsis"):
        add_letter(conn, letter, "pneumonia")
    with pytest.raises(LibraryError, match="one of: overturned, partially_paid"):
        add_letter(conn, letter, "aki", outcome="upheld")
    with pytest.raises(LibraryError, match="urine_output_adequate"):
        add_letter(conn, letter, "aki", arguments=["sofa_below_2"])
    assert list_letters(conn) == []


def test_pdf_with_text_and_docx_letters_are_read(
    conn: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    from docx import Document
    from fpdf import FPDF

    text = (FIXTURES / "arf_abg_pneumonia.txt").read_text()
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(0, 5, text)
    pdf.output(str(tmp_path / "letter.pdf"))
    added = add_letter(conn, tmp_path / "letter.pdf", "respiratory_failure")
    assert added.arguments == ("no_abg_hypoxemia",)
    (stored,) = conn.execute("SELECT text, file_format FROM appeal_library").fetchall()
    assert "PaO2 54 mmHg" in stored[0] and stored[1] == "pdf"

    document = Document()
    for paragraph in (FIXTURES / "aki_baseline_outpatient.txt").read_text().split("\n\n"):
        document.add_paragraph(paragraph)
    document.save(str(tmp_path / "letter.docx"))
    added = add_letter(conn, tmp_path / "letter.docx", "aki")
    assert added.arguments == ("no_baseline_creatinine",) and added.payer == "Aetna"


def test_unreadable_letters_say_why(tmp_path: Path) -> None:
    from fpdf import FPDF

    scan = FPDF()
    scan.add_page()
    scan.rect(20, 20, 100, 60, style="F")  # a page with marks and no text layer
    scan.output(str(tmp_path / "scan.pdf"))
    (tmp_path / "empty.txt").write_text("  \n")
    (tmp_path / "letter.rtf").write_text("{\\rtf1 hello}")
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 not a zip")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02 appeal")
    cases = {
        "scan.pdf": "no text layer",
        "empty.txt": "empty",
        "letter.rtf": ".txt, .pdf, .docx",
        "broken.docx": "not a readable DOCX",
        "binary.txt": "binary",
        "missing.pdf": "no such file",
    }
    for name, says in cases.items():
        with pytest.raises(UnreadableFileError, match=says):
            library.read_letter(tmp_path / name)


def test_cli_add_and_list(tmp_path: Path) -> None:
    warehouse = str(tmp_path / "w.duckdb")
    pairs = (  # the fewest letters that calibrate: 3 conditions, a true match for each
        "sepsis_sofa_pneumonia", "sepsis_sofa_lactate_abdominal", "arf_abg_pneumonia",
        "arf_abg_hypercapnic", "aki_rise_dehydration", "aki_contrast_rise",
    )  # fmt: skip
    for stem in pairs:
        condition, arguments = LETTERS[stem]
        result = cli(
            "appeal", "library", "add", str(FIXTURES / f"{stem}.txt"),
            "--condition", condition, "--arguments", ",".join(arguments), "-w", warehouse,
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
    assert "Added L" in result.stdout and "Drafts retrieve a letter scoring at least" in (
        result.stdout
    )
    again = cli(
        "appeal", "library", "add", str(FIXTURES / "aki_contrast_rise.txt"),
        "--condition", "aki", "-w", warehouse, "--json",
    )  # fmt: skip
    assert again.exit_code == 0 and again.json()["duplicate"] is True
    assert again.json()["duplicate_adds"] == 1

    listed = cli("appeal", "library", "list", "-w", warehouse, "--json").json()
    assert len(listed["letters"]) == MIN_LETTERS == 6
    assert listed["calibration"]["threshold"] is not None
    assert "text" not in listed["letters"][0]
    table = cli("appeal", "library", "list", "--condition", "aki", "-w", warehouse)
    assert table.exit_code == 0 and "Past winning letters" in table.stdout
    assert "creatinine_rise_insufficient" in table.stdout and "no_abg_hypoxemia" not in table.stdout

    for args, code, says in (
        (["--condition", "pneumonia"], 2, "known conditions: aki, respiratory_failure, sepsis"),
        (["--condition", "aki", "--arguments", " , "], 2, "--arguments"),
        (["--condition", "aki", "--outcome", "upheld"], 2, "overturned, partially_paid"),
    ):
        bad = cli("appeal", "library", "add", str(FIXTURES / "aki_urine_output.txt"), *args,
                  "-w", warehouse)  # fmt: skip
        assert bad.exit_code == code and says in " ".join(bad.stderr.split()), bad.stderr
    missing = cli("appeal", "library", "add", str(tmp_path / "gone.pdf"), "--condition", "aki",
                  "-w", warehouse)  # fmt: skip
    assert missing.exit_code == 1 and "no such file" in missing.stderr
    assert "Traceback" not in missing.stderr
    unknown = cli("appeal", "library", "list", "--condition", "gout", "-w", warehouse)
    assert unknown.exit_code == 2 and "known conditions" in unknown.stderr
