"""Delimiters and the streaming segment reader: bytes in, segments out.

The reader learns the delimiters from each ISA, so one file may hold several interchanges with
different delimiters. It decodes UTF-8 (with or without BOM) and UTF-16, accepts any line
endings or none, a newline as the segment terminator, and leading whitespace. It reads the
input in large chunks and splits each chunk with ``str.split``; memory holds one chunk at a time.

X12 5010's basic and extended character sets are printable ASCII. A segment holding anything
else (a byte that is not UTF-8, a UTF-8 character outside ASCII, a control character that is
not one of the interchange's delimiters) is *unclean*: the reader names it in
:attr:`SegmentReader.unclean` and the parser reports each element holding such characters,
shown with :func:`escape_text`. Line breaks inside a segment (files wrapped at a fixed width)
are not data and are dropped.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

CHUNK_SIZE = 1 << 20
ISA_LENGTH = 106
_SEEK_LIMIT = 1 << 16
_WHITESPACE = " \t\r\n\x0b\x0c"
_NEWLINES = "\r\n"
_ENVELOPE_START = re.compile(r"(?:^|[\s~'\x1c\x1d\x85])(GS|ST)([\x00-\x08\x0e-\x1f!-/:-@\[-`{-~])")
_COMPONENT_GUESSES = (":", ">", "|", "^", "\\")
_TERMINATOR_GUESSES = ("~", "'", "\x1c", "\x1d", "\x85", "\n")
_PRINTABLE = bytes(range(0x20, 0x7F))
_OUTSIDE_SET = re.compile(r"[^\x20-\x7e]")
"""A character outside X12's basic and extended character sets (outside printable ASCII)."""
_UNSAFE_IN_TEXT = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
"""Characters no message may carry raw: controls and undecodable bytes (lone surrogates)."""


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The separators of one interchange.

    Attributes:
        element: Element separator (ISA position 4).
        component: Component separator (ISA16).
        repetition: Repetition separator (ISA11), or None when ISA11 is a code such as ``U``.
        segment: Segment terminator as written after ISA16 (``"\\n"`` for any newline).
        guessed: True when no ISA was found and the delimiters were guessed from the content.
    """

    element: str = "*"
    component: str = ":"
    repetition: str | None = "^"
    segment: str = "~"
    guessed: bool = False


@dataclass(frozen=True, slots=True)
class ReaderIssue:
    """A problem the reader met before any segment could be formed.

    Attributes:
        code: ``isa_missing``, ``isa_length``, ``isa_delimiters``, ``junk_before_isa`` or
            ``junk_after_iea``.
        message: A sentence describing the problem.
        segment_index: Index of the next segment at the time (1-based).
        value: The offending text, shortened.
    """

    code: str
    message: str
    segment_index: int
    value: str


_ALLOWED: dict[Delimiters, tuple[bytes, re.Pattern[str]]] = {}


def escape_text(value: str, *, keep_unicode: bool = False) -> str:
    r"""``value`` safe to show, store and encode: characters outside printable ASCII as ``\xNN``.

    A byte that did not decode (held as a lone surrogate) is shown as that byte, any other
    character outside printable ASCII as its UTF-8 bytes, and a backslash is doubled, so the
    shown text tells exactly what the file held: ``SEGUROS M\xc9DICOS``. Values without such
    characters come back unchanged.

    Args:
        value: The text to show.
        keep_unicode: Keep printable characters beyond ASCII (for messages, which may hold
            ``…``); only control characters and undecodable bytes are escaped.
    """
    pattern = _UNSAFE_IN_TEXT if keep_unicode else _OUTSIDE_SET
    if pattern.search(value) is None:
        return value
    return pattern.sub(_escape_char, value.replace("\\", "\\\\"))


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    if "\udc80" <= char <= "\udcff":  # a byte that did not decode (surrogateescape)
        return f"\\x{ord(char) - 0xDC00:02x}"
    return "".join(f"\\x{b:02x}" for b in char.encode("utf-8", "surrogatepass"))


def allowed_in(delims: Delimiters) -> tuple[bytes, re.Pattern[str]]:
    """What may stand inside a segment of an interchange with these delimiters.

    That is printable ASCII and the delimiters themselves (some interchanges use control
    characters, such as ``0x1D``, as delimiters).

    Returns:
        The bytes plain text consists of (with the terminator, which stands between segments;
        line breaks are counted apart) and a pattern that finds a character not allowed inside
        a segment.
    """
    cached = _ALLOWED.get(delims)
    if cached is None:
        if len(_ALLOWED) >= 256:  # files with ever new delimiters cannot grow it without end
            _ALLOWED.clear()
        extra = [c for c in (delims.element, delims.component, delims.repetition) if c]
        ascii_extra = "".join(c for c in extra if c.isascii())
        between = delims.segment if delims.segment.isascii() and delims.segment != "\n" else ""
        keep = _PRINTABLE + (ascii_extra + between).encode("ascii")
        hexes = "".join(f"\\x{ord(c):02x}" for c in ascii_extra)
        outside = re.compile(f"[^\\x20-\\x7e{hexes}]")
        cached = _ALLOWED[delims] = (keep, outside)
    return cached


def parse_isa(text: str) -> tuple[Delimiters, int] | None:
    """Learn the delimiters from an ISA segment at the start of ``text``.

    Args:
        text: Text that starts with ``ISA``.

    Returns:
        The delimiters and the length of the ISA segment without its terminator, or None when
        the text does not hold a usable ISA.
    """
    if len(text) < 4 or not text.startswith("ISA"):
        return None
    element = text[3]
    if element.isalnum() or element in _WHITESPACE or not element.isascii():
        return None
    pos = 3
    for _ in range(16):
        pos = text.find(element, pos + 1) if _ else pos
        if pos < 0:
            return None
    # pos is now at the 16th element separator; ISA16 is the next character.
    if pos + 2 >= len(text):
        return None
    component = text[pos + 1]
    segment = text[pos + 2]
    if segment.isalnum() or segment == " " or component.isalnum() or component == element:
        return None
    if not (segment.isascii() and component.isascii()):
        return None  # a delimiter must be ASCII (it may appear in values the tables keep)
    if segment in _NEWLINES:
        segment = "\n"
    fields = text[: pos + 2].split(element)
    repetition: str | None = fields[11] if len(fields) > 11 else None
    if (
        repetition is None
        or len(repetition) != 1
        or repetition.isalnum()
        or not repetition.isascii()
        or repetition in (" ", element, component, segment)
    ):
        repetition = None
    return Delimiters(element, component, repetition, segment), pos + 2


def _guess_delimiters(text: str, start: int) -> Delimiters:
    """Guess the delimiters of content that has no ISA (it starts at GS or ST)."""
    element = text[start + 2]
    rest = text[start:]
    ends = [(rest.find(t), t) for t in _TERMINATOR_GUESSES if rest.find(t) >= 0]
    segment = min(ends)[1] if ends else "~"
    sample = rest[:8192]
    found = [c for c in _COMPONENT_GUESSES if c in sample and c not in (element, segment)]
    component = found[0] if found else ":"
    return Delimiters(element, component, None, segment, guessed=True)


def _open_text(stream: BinaryIO, chunk_size: int) -> Iterator[str]:
    """Decode the byte stream chunk by chunk, detecting UTF-16 and the UTF-8 BOM."""
    first = stream.read(chunk_size)
    encoding = "utf-8"
    if first.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif first[:1] == b"\x00" and first[1:2].isalpha():
        encoding = "utf-16-be"
    elif first[1:2] == b"\x00" and first[:1].isalpha():
        encoding = "utf-16-le"
    elif first.startswith(codecs.BOM_UTF8):
        first = first[3:]
    # UTF-8 bytes that do not decode survive as surrogates (and encode back unchanged);
    # a UTF-16 stream with an odd trailing byte gets a replacement character.
    errors = "surrogateescape" if encoding == "utf-8" else "replace"
    decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
    chunk = first
    while chunk:
        text = decoder.decode(chunk)
        if text:
            yield text.lstrip("\ufeff") if encoding != "utf-8" else text
        chunk = stream.read(chunk_size)
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail


class SegmentReader:
    """Streams segment texts from a binary reader, learning delimiters from each ISA.

    Iterate over :meth:`batches` for lists of segment texts (stripped of surrounding
    whitespace, without terminator). After an ISA has been yielded, :attr:`delimiters` holds
    that interchange's delimiters. Problems met between interchanges are appended to
    :attr:`issues` (and announced before the batch that follows them).
    """

    def __init__(self, stream: BinaryIO, chunk_size: int = CHUNK_SIZE) -> None:
        self._stream = stream
        self._chunk_size = chunk_size
        self.delimiters: Delimiters | None = None
        self.issues: list[ReaderIssue] = []
        self._yielded = 0
        self._pending_delimiters: Delimiters | None = None
        self.unclean: list[int] = []
        """Positions, in the batch last yielded, of the segments that hold characters outside
        X12's character set (see the module's docstring); ascending, usually empty."""

    def _issue(self, code: str, message: str, value: str) -> None:
        self.issues.append(ReaderIssue(code, message, self._yielded + 1, value[:60]))

    def batches(self) -> Iterator[tuple[Delimiters, list[str]]]:
        """Yield ``(delimiters, segment texts)`` in file order.

        Yields:
            The delimiters in force and a non-empty list of segment texts they apply to.
        """
        buf = ""
        seeking = True
        fresh = False
        need_more = True
        delims: Delimiters | None = None
        cr_held = False
        chunks = _open_text(self._stream, self._chunk_size)
        eof = False
        while True:
            if need_more and not eof:
                text = next(chunks, None)
                if text is None:
                    eof = True
                else:
                    buf += text
            need_more = True
            if seeking:
                found = self._seek(buf, eof)
                if found is None:
                    if eof:
                        if buf.strip(_WHITESPACE):
                            self._junk(buf)
                        return
                    if len(buf) > _SEEK_LIMIT:
                        self._junk(buf[:-200])
                        buf = buf[-200:]
                    continue
                delims, start = found
                buf = buf[start:]
                seeking = False
                fresh = True
            assert delims is not None
            term = delims.segment
            if term == "\n":
                if cr_held:
                    buf = "\r" + buf
                cr_held = not eof and buf.endswith("\r")
                if cr_held:
                    buf = buf[:-1]
                buf = buf.replace("\r\n", "\n").replace("\r", "\n")
            # One pass over the buffer tells whether any segment needs a closer look: a
            # character outside the set, or a line break that may stand inside a segment.
            keep, outside = allowed_in(delims)
            if buf.isascii():
                rest = buf.encode("ascii").translate(None, keep)  # what is not plain text
                breaks = rest.count(b"\n") + rest.count(b"\r")
                dirty = len(rest) != breaks
                wrapped = breaks > 0 and term != "\n"  # segments are then looked at one by one
            else:
                dirty = True
                wrapped = term != "\n"
            parts = buf.split(term)
            buf = "" if eof else parts.pop()
            batch: list[str] = []
            append = batch.append
            unclean: list[int] = []
            for i, part in enumerate(parts):
                seg = part.strip(_WHITESPACE)
                if not seg:
                    continue
                if wrapped and ("\n" in seg or "\r" in seg):
                    seg = seg.replace("\r", "").replace("\n", "")  # wrapped at a fixed width
                bad = dirty and outside.search(seg) is not None
                if seg[0] == "I":
                    if seg.startswith("ISA") and not fresh:
                        # A new interchange before this one ended: learn its delimiters afresh.
                        buf = term.join(parts[i:] + ([buf] if not eof else []))
                        seeking = True
                        need_more = False
                        break
                    if seg.startswith("IEA") and (len(seg) == 3 or seg[3] == delims.element):
                        if bad:
                            unclean.append(len(batch))
                        append(seg)
                        buf = term.join(parts[i + 1 :] + ([buf] if not eof else []))
                        seeking = True
                        need_more = False
                        break
                fresh = False
                if bad:
                    unclean.append(len(batch))
                append(seg)
            if batch:
                self._yielded += len(batch)
                self.delimiters = delims
                self.unclean = unclean
                yield delims, batch
            if eof and (not seeking or not buf.strip(_WHITESPACE)):
                return

    def _junk(self, text: str) -> None:
        if self._yielded:
            self._issue("junk_after_iea", "Text after the interchange trailer was ignored.", text)
        else:
            self._issue("isa_missing", "The file has no ISA interchange header.", text)

    def _seek(self, buf: str, eof: bool) -> tuple[Delimiters, int] | None:
        """Find the next ISA (or, failing that, a bare GS/ST) in ``buf``."""
        pos = buf.find("ISA")
        while pos >= 0:
            if len(buf) - pos < ISA_LENGTH + 4 and not eof:
                return None
            parsed = parse_isa(buf[pos : pos + 4 * ISA_LENGTH])
            if parsed is not None:
                delims, length = parsed
                skipped = buf[:pos].strip(_WHITESPACE + "\ufeff")
                if skipped:
                    code = "junk_before_isa" if not self._yielded else "junk_after_iea"
                    self._issue(code, "Text before the interchange header was ignored.", skipped)
                if length != ISA_LENGTH - 1:
                    self._issue(
                        "isa_length",
                        f"The ISA segment is {length + 1} characters long with its "
                        f"terminator; it must be {ISA_LENGTH}.",
                        buf[pos : pos + length],
                    )
                return delims, pos
            if pos + 3 < len(buf) and not buf[pos + 3].isalnum():
                self._issue(
                    "isa_delimiters",
                    "The ISA segment is broken, so the delimiters cannot be learned.",
                    buf[pos : pos + ISA_LENGTH],
                )
            pos = buf.find("ISA", pos + 3)
        if not eof and len(buf) < _SEEK_LIMIT:
            return None
        match = _ENVELOPE_START.search(buf)
        if match is None:
            return None
        start = match.start(1)
        if not self._yielded and not any(i.code == "isa_missing" for i in self.issues):
            self._issue("isa_missing", "The file has no ISA interchange header.", buf[start:])
        return _guess_delimiters(buf, start), start


def iter_segments(
    stream: BinaryIO | bytes, chunk_size: int = CHUNK_SIZE
) -> Iterator[tuple[str, list[str]]]:
    """Stream the segments of an X12 byte stream.

    Args:
        stream: A binary reader (a file opened with ``"rb"``) or the bytes themselves.
        chunk_size: How many bytes to read at a time.

    Yields:
        ``(segment id, elements)`` where ``elements[0]`` is the segment id and the rest are the
        element values as written (composites are not split); values holding characters
        outside X12's character set are shown as :func:`escape_text` shows them.
    """
    source = io.BytesIO(stream) if isinstance(stream, bytes) else stream
    reader = SegmentReader(source, chunk_size)
    for delims, texts in reader.batches():
        separator = delims.element
        unclean = set(reader.unclean)
        for i, text in enumerate(texts):
            elements = text.split(separator)
            if i in unclean:
                elements = [escape_text(e) for e in elements]
            yield elements[0], elements
