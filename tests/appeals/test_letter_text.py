"""The denial letter as text: .txt, a PDF's text layer (a real PDF made with fpdf2), a scan (an
image rendered with Pillow, read by the real Tesseract), and the clear errors."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from claimflow.appeals.denial import read_denial
from claimflow.appeals.letter_text import find_letter, read_letter
from claimflow.errors import UnreadableFileError
from tests.appeals.fixtures.cases import SEPSIS_LETTER, text_pdf

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="Debian's tesseract-ocr is not installed"
)

SCAN_LINES = [
    "Acme Health Plan",
    "March 14, 2025",
    "Patient Account Number: H100234567",
    "Claim Number: CLM-2025-00918",
    "The DRG was changed from DRG 871 to DRG 872.",
    "You may appeal within 60 days of the date of this letter.",
]


def _scan(lines: list[str]) -> Image.Image:
    """A page as a scanner gives it: black text on white at about 200 dpi, a slight skew and
    speckle noise."""
    font = ImageFont.load_default(size=30)
    page = Image.new("L", (1500, 90 + 60 * len(lines)), 255)
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(lines):
        draw.text((70, 50 + 60 * i), line, fill=0, font=font)
    rng = random.Random(7)
    pixels = page.load()
    assert pixels is not None
    for _ in range(1500):
        x, y = rng.randrange(page.width), rng.randrange(page.height)
        pixels[x, y] = 0 if rng.random() < 0.5 else 160
    return page.rotate(0.6, expand=True, fillcolor=255)


def test_plain_text(tmp_path: Path) -> None:
    path = tmp_path / "denial.txt"
    path.write_text(SEPSIS_LETTER, encoding="utf-8")
    letter = read_letter(path)
    assert (letter.format, letter.ocr, letter.pages) == ("txt", False, 1)
    assert letter.text.strip() == SEPSIS_LETTER.strip()


def test_a_pdf_with_a_text_layer(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "denial.pdf", SEPSIS_LETTER)
    letter = read_letter(path)
    assert (letter.format, letter.ocr, letter.psm) == ("pdf", False, None)
    fields = read_denial(letter.text)
    assert fields.account_number == "H100234567"
    assert (fields.original_drg, fields.proposed_drg) == ("871", "872")


@needs_tesseract
def test_a_scanned_pdf_is_read_with_tesseract(tmp_path: Path) -> None:
    path = tmp_path / "denial.pdf"
    _scan(SCAN_LINES).save(path, "PDF", resolution=200)  # an image-only PDF: no text layer
    letter = read_letter(path)
    assert letter.ocr and letter.format == "pdf_scanned"
    assert letter.psm in (6, 3) and letter.confidence is not None
    fields = read_denial(letter.text)
    assert fields.account_number == "H100234567"
    assert fields.claim_number == "CLM-2025-00918"
    assert (fields.original_drg, fields.proposed_drg) == ("871", "872")
    assert fields.letter_date is not None and fields.letter_date.isoformat() == "2025-03-14"


@needs_tesseract
def test_a_png_is_read_with_tesseract(tmp_path: Path) -> None:
    path = tmp_path / "denial.png"
    _scan(SCAN_LINES[2:5]).save(path)
    letter = read_letter(path)
    assert (letter.format, letter.ocr, letter.pages) == ("png", True, 1)
    assert "H100234567" in letter.text


def test_an_encrypted_pdf_is_a_clear_error(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    plain = text_pdf(tmp_path / "plain.pdf", SEPSIS_LETTER)
    writer = PdfWriter()
    for page in PdfReader(plain).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "denial.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(UnreadableFileError, match=r"^denial.pdf: the PDF is encrypted"):
        read_letter(path)


def test_a_pdf_restricted_by_an_owner_password_only_is_read(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    plain = text_pdf(tmp_path / "plain.pdf", SEPSIS_LETTER)
    writer = PdfWriter()
    for page in PdfReader(plain).pages:
        writer.add_page(page)
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "denial.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    assert "H100234567" in read_letter(path).text


def test_empty_pdfs_and_files_are_clear_errors(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    blank = tmp_path / "denial.pdf"
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    with blank.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(UnreadableFileError, match=r"^denial.pdf: the PDF is empty"):
        read_letter(blank)
    empty = tmp_path / "x" / "denial.pdf"
    empty.parent.mkdir()
    empty.write_bytes(b"")
    with pytest.raises(UnreadableFileError, match=r"^denial.pdf: empty file"):
        read_letter(empty)
    garbage = tmp_path / "y" / "denial.pdf"
    garbage.parent.mkdir()
    garbage.write_bytes(b"this is not a PDF at all")
    with pytest.raises(UnreadableFileError, match=r"^denial.pdf: not a readable PDF"):
        read_letter(garbage)


def test_an_unreadable_image_is_a_clear_error(tmp_path: Path) -> None:
    for name in ("denial.png", "denial.tif"):
        path = tmp_path / name
        path.write_bytes(b"\x89PNG\r\n\x1a\n but nothing after")
        with pytest.raises(UnreadableFileError, match=rf"^{name}: not a readable image"):
            read_letter(path)


def test_finding_the_letter(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="no denial letter"):
        find_letter(tmp_path)
    (tmp_path / "denial.txt").write_text("x")
    assert find_letter(tmp_path).name == "denial.txt"
    (tmp_path / "denial.pdf").write_text("x")
    with pytest.raises(
        UnreadableFileError, match=r"several denial letters \(denial.pdf, denial.txt\)"
    ):
        find_letter(tmp_path)
