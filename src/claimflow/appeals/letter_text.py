"""The denial letter as text: ``denial.txt``, a PDF's text layer (pypdf), or a scan — a PDF
whose pages are images, ``denial.png`` or ``denial.tif`` — read with Tesseract.

A scanned page is read twice at most: with page segmentation mode 6 (one block of text), and
when Tesseract is not confident of it, with mode 3 (automatic layout); the reading with the
higher mean word confidence is kept and the result says which mode and that OCR was used. No
page is rendered (poppler is not needed): a scanned PDF's images are taken from the page as
they are stored (pypdf ``page.images``).

An encrypted PDF, an empty file or PDF, an image that cannot be decoded: a clear error naming
the file (:class:`~claimflow.errors.UnreadableFileError`).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from claimflow.errors import UnreadableFileError

LETTER_NAMES: tuple[str, ...] = (
    "denial.pdf",
    "denial.png",
    "denial.tif",
    "denial.tiff",
    "denial.txt",
)
"""The file names a denial letter goes by in a case directory."""

MIN_TEXT_CHARS = 20
"""A PDF page with fewer non-blank characters in its text layer is read from its images."""

CONFIDENT = 85.0
"""Tesseract's mean word confidence (0-100) at which the first reading (mode 6) is kept
without trying mode 3."""

PSMS = (6, 3)


@dataclass(frozen=True)
class LetterText:
    """The letter's text and how it was read."""

    file: str
    file_id: str
    format: str
    """``txt``, ``pdf`` (text layer), ``pdf_scanned`` (a page read by OCR), ``png`` or ``tif``."""
    text: str
    ocr: bool
    pages: int
    psm: int | None = None
    """The Tesseract page segmentation mode kept (the last page's, for several)."""
    confidence: float | None = None
    """Tesseract's mean word confidence over the pages read by OCR, 0-100."""


def find_letter(case_dir: Path) -> Path:
    """The denial letter of a case directory.

    Raises:
        UnreadableFileError: None, or more than one.
    """
    found = [case_dir / n for n in LETTER_NAMES if (case_dir / n).is_file()]
    if not found:
        raise UnreadableFileError(
            str(case_dir),
            "no denial letter (denial.pdf, denial.png, denial.tif or denial.txt)",
        )
    if len(found) > 1:
        raise UnreadableFileError(
            str(case_dir),
            f"several denial letters ({', '.join(p.name for p in found)}); keep one",
        )
    return found[0]


def read_letter(path: Path) -> LetterText:
    """The text of a denial letter by its suffix (.txt, .pdf, .png, .tif/.tiff).

    Raises:
        UnreadableFileError: Empty, encrypted, not what its suffix says, no text found, or
            Tesseract is not installed for a scan.
    """
    name = path.name
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableFileError(name, "empty file (0 bytes of text)")
    file_id = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    if suffix == ".txt":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
        if "\x00" in text:
            raise UnreadableFileError(name, "binary content (NUL byte); expected text")
        return LetterText(name, file_id, "txt", _tidy(text), ocr=False, pages=1)
    if suffix == ".pdf":
        return _read_pdf(path, name, file_id)
    if suffix in (".png", ".tif", ".tiff"):
        return _read_image(path, name, file_id, "png" if suffix == ".png" else "tif")
    raise UnreadableFileError(name, "not a denial letter format (.pdf, .png, .tif or .txt)")


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip() + "\n"


def _read_pdf(path: Path, name: str, file_id: str) -> LetterText:
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError, PdfReadError

    try:
        reader = PdfReader(str(path))
        encrypted = reader.is_encrypted
    except (PdfReadError, ValueError, OSError) as exc:
        raise UnreadableFileError(name, f"not a readable PDF ({exc})") from None
    if encrypted:
        # an owner password alone (printing and copying restricted) still opens with ""
        try:
            opened = reader.decrypt("") != PasswordType.NOT_DECRYPTED
        except DependencyError:
            raise UnreadableFileError(
                name,
                "the PDF is encrypted with AES, which needs the cryptography package to open"
                " (pip install cryptography), or save an unprotected copy as denial.pdf",
            ) from None
        except Exception:  # pypdf raises several kinds for a cipher it cannot use
            opened = False
        if not opened:
            raise UnreadableFileError(
                name,
                "the PDF is encrypted with a password; save an unprotected copy as denial.pdf",
            )
    try:
        pages = list(reader.pages)
    except (PdfReadError, ValueError) as exc:
        raise UnreadableFileError(name, f"not a readable PDF ({exc})") from None
    if not pages:
        raise UnreadableFileError(name, "the PDF has no pages")
    texts: list[str] = []
    confidences: list[float] = []
    psm: int | None = None
    for number, page in enumerate(pages, start=1):
        try:
            layer = page.extract_text() or ""
        except Exception:  # a broken content stream: the page's images are read instead
            layer = ""
        if len("".join(layer.split())) >= MIN_TEXT_CHARS:
            texts.append(layer)
            continue
        images = _page_images(page, name, number)
        if not images:
            if layer.strip():
                texts.append(layer)
            continue
        for image in images:
            text, confidence, psm = _ocr(image, name)
            texts.append(text)
            confidences.append(confidence)
    joined = "\n\n".join(t.strip() for t in texts if t.strip())
    if not joined.strip():
        raise UnreadableFileError(name, "the PDF is empty: no text layer and no page image to read")
    return LetterText(
        name,
        file_id,
        "pdf_scanned" if confidences else "pdf",
        _tidy(joined),
        ocr=bool(confidences),
        pages=len(pages),
        psm=psm,
        confidence=sum(confidences) / len(confidences) if confidences else None,
    )


def _page_images(page: Any, name: str, number: int) -> list[Any]:
    try:
        return [image.image for image in page.images if image.image is not None]
    except Exception as exc:  # pypdf's image decoders raise many kinds
        raise UnreadableFileError(
            name, f"page {number}: its image cannot be decoded ({exc})"
        ) from None


def _read_image(path: Path, name: str, file_id: str, kind: str) -> LetterText:
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        with Image.open(path) as opened:
            frames = [frame.copy() for frame in ImageSequence.Iterator(opened)]
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise UnreadableFileError(name, f"not a readable image ({exc})") from None
    texts: list[str] = []
    confidences: list[float] = []
    psm: int | None = None
    for frame in frames:
        text, confidence, psm = _ocr(frame, name)
        texts.append(text)
        confidences.append(confidence)
    joined = "\n\n".join(t.strip() for t in texts if t.strip())
    if not joined:
        raise UnreadableFileError(name, "no text found in the image")
    return LetterText(
        name,
        file_id,
        kind,
        _tidy(joined),
        ocr=True,
        pages=len(frames),
        psm=psm,
        confidence=sum(confidences) / len(confidences),
    )


def _ocr(image: Any, name: str) -> tuple[str, float, int]:
    """(text, mean word confidence, mode) of the better of Tesseract's readings."""
    import pytesseract

    # Tesseract's OpenMP threads fight each other (and every other process) on a busy
    # machine: one thread reads a page 3-4 times faster there (1.9 s against 7.2 s measured
    # under load). An explicit setting is left alone.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    gray = image.convert("L")
    best: tuple[str, float, int] | None = None
    for psm in PSMS:
        try:
            data = pytesseract.image_to_data(
                gray, config=f"--psm {psm}", output_type=pytesseract.Output.DICT
            )
        except pytesseract.TesseractNotFoundError:
            raise UnreadableFileError(
                name,
                "a scanned letter needs Tesseract: install Debian's tesseract-ocr (make tesseract)",
            ) from None
        except (pytesseract.TesseractError, OSError, ValueError) as exc:
            raise UnreadableFileError(name, f"Tesseract could not read the image ({exc})") from None
        reading = (*_text_of(data), psm)
        if best is None or reading[1] > best[1]:
            best = reading
        if best[1] >= CONFIDENT:
            break
    assert best is not None
    return best


def _text_of(data: dict[str, list[Any]]) -> tuple[str, float]:
    """Tesseract's words back into lines (a blank line between blocks and paragraphs), and
    their mean confidence."""
    lines: list[str] = []
    current: list[str] = []
    key: tuple[int, int, int] | None = None
    paragraph: tuple[int, int] | None = None
    confidences: list[float] = []
    for i, word in enumerate(data["text"]):
        word = str(word).strip()
        if not word:
            continue
        here = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        if here != key:
            if current:
                lines.append(" ".join(current))
            if paragraph is not None and here[:2] != paragraph:
                lines.append("")
            current, key, paragraph = [], here, here[:2]
        current.append(word)
        conf = float(data["conf"][i])
        if conf >= 0:
            confidences.append(conf)
    if current:
        lines.append(" ".join(current))
    mean = sum(confidences) / len(confidences) if confidences else 0.0
    return "\n".join(lines), mean
