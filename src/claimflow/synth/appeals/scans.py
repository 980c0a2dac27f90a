"""The denial letter on paper: a text file, a PDF with a text layer (fpdf2, a core font), or
a scan (the letter drawn at 200 dpi, skewed under 1 degree, speckled and blurred) saved as an
image-only PDF, a PNG or a fax-like TIFF. Same seed, same bytes."""

from __future__ import annotations

import datetime as dt
import io
import random
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL.Image import Image

LETTER_FORMATS = ("txt", "text_pdf", "scan_pdf", "png", "tif")
FILE_NAMES = {
    "txt": "denial.txt",
    "text_pdf": "denial.pdf",
    "scan_pdf": "denial.pdf",
    "png": "denial.png",
    "tif": "denial.tif",
}
DPI = 200
PAGE_PX = (1700, 2200)  # US Letter at 200 dpi
MARGIN_PX = 150
FONT_PX = 30  # about 11 pt at 200 dpi
LINE_PX = 38
FIXED_DATE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def write_letter(lines: list[str], fmt: str, case_dir: Path, rng: random.Random) -> Path:
    """Writes the letter in ``fmt``; returns the file."""
    path = case_dir / FILE_NAMES[fmt]
    if fmt == "txt":
        path.write_text("\n".join(lines) + "\n", encoding="ascii")
    elif fmt == "text_pdf":
        path.write_bytes(text_pdf(lines))
    else:
        image = scan(lines, rng)
        if fmt == "scan_pdf":
            path.write_bytes(image_pdf(image))
        elif fmt == "png":
            image.save(path, format="PNG", dpi=(DPI, DPI))
        else:
            fax = image.point(lambda v: 255 if v > 150 else 0).convert("1", dither=None)
            fax.save(path, format="TIFF", compression="group4", dpi=(DPI, DPI))
    return path


def _pdf() -> Any:
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="pt", format="letter")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_creator("claimflow synth appeals")
    pdf.set_auto_page_break(auto=True, margin=54)
    pdf.set_margins(72, 54, 72)
    return pdf


def text_pdf(lines: list[str]) -> bytes:
    """A PDF with a text layer: Helvetica 11 pt, one text line per letter line."""
    pdf = _pdf()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for line in lines:
        pdf.cell(0, 14, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def scan(lines: list[str], rng: random.Random) -> Image:
    """The letter as a grayscale page image, as a scanner would return it."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    page = Image.new("L", PAGE_PX, 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=FONT_PX)
    step = min(LINE_PX, (PAGE_PX[1] - 2 * 100) // max(1, len(lines)))
    y = 100
    for line in lines:
        if line:
            draw.text((MARGIN_PX, y), line, fill=20, font=font)
        y += step
    angle = rng.uniform(0.25, 0.95) * rng.choice([-1, 1])
    page = page.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=255)
    page = page.filter(ImageFilter.SMOOTH)  # the scanner's slight blur
    noise = np.random.default_rng(rng.getrandbits(32))
    # scanner grain: a small tile of noise repeated over the page (cheap, and it keeps the
    # PNG small), plus a few specks of dust
    tile = noise.normal(0, 6, size=(89, 97)).round().astype(np.int16)
    reps = (PAGE_PX[1] // 89 + 1, PAGE_PX[0] // 97 + 1)
    pixels = np.asarray(page, dtype=np.int16) + np.tile(tile, reps)[: PAGE_PX[1], : PAGE_PX[0]]
    specks = noise.integers(0, PAGE_PX[0] * PAGE_PX[1], size=300)
    flat = pixels.reshape(-1)
    flat[specks] = noise.integers(40, 160, size=specks.size)
    pixels = np.clip(pixels - 8, 0, 255)  # the paper is not quite white
    return Image.fromarray(pixels.astype(np.uint8), mode="L")


def image_pdf(image: Image) -> bytes:
    """An image-only PDF (no text layer) of one page image, JPEG-compressed."""
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=70, dpi=(DPI, DPI))
    buffer.seek(0)
    pdf = _pdf()
    pdf.add_page()
    pdf.image(buffer, x=0, y=0, w=612, h=792)
    return bytes(pdf.output())
