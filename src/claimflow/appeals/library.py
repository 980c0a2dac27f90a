"""Past winning appeal letters: kept in the warehouse, retrieved for a new draft.

A letter is added from a ``.txt``, ``.pdf`` (its text layer, read with pypdf) or ``.docx``
(python-docx) file with its condition, its outcome and the payer arguments it answers (given,
or else detected by the patterns of the condition's profile, which a winning letter matches
where it quotes the denial: :meth:`claimflow.appeals.profiles.Profile.match_arguments`).
The same bytes added again are a counted duplicate (``duplicate_adds``), not a second row.

Retrieval (:func:`find_letter`, :func:`retrieve`; docs/appeals.md, "Past winning letters"):
a raw BM25 score cannot carry a fixed threshold, so the library is **filtered first** (the
letter's condition must be the case's), the letters that answer the same payer arguments are
**preferred**, and the candidates are **ranked** by BM25 over the letters' texts. The best is
returned only when its score clears a threshold **calibrated on the library itself**.

The score. BM25 (Lucene variant, k1 1.5, b 0.75) of the query's distinct terms against a
letter, divided by the most the query could score in this index (the sum of its terms' IDF,
the limit of BM25's saturating term frequency; a term no letter holds counts with the IDF of
a term in no letter). So the score is the share of the query's attainable weight that the
letter holds, in [0, 1): a query whose words no letter uses scores near 0 however long it is,
and letter-length and query-length effects that make raw BM25 scores incomparable between
queries are divided out.

The calibration (:func:`calibrate`), leave-one-out: each library letter is the query, the
index is the other letters (so its own words do not raise their IDF). Its best score among
the letters that truly match it (the same condition and at least one payer argument in
common) is a positive; its best score among the letters of another condition is a negative.
The decision :func:`find_letter` makes is about the best candidate only, hence the best
scores. The threshold is the cut that best separates the two (Youden's J, the most balanced
accuracy; the midpoint of the gap it falls in; the highest such cut on a tie: a wrong letter
costs more than the default template).

Why the negatives are the other conditions' letters, not every letter without a shared
argument: retrieval has already kept the condition's letters only and puts those answering
the denial's arguments first, from the library's own labels. What is left for the text score
to decide is whether the denial is about what the letter is about at all, and another
condition's letters are the library's own examples of a text about something else. Letters of
the same condition that answer other arguments share its clinical vocabulary (SOFA, lactate,
cultures), so on the fixtures of ``tests/appeals`` counting them as negatives overlapped the
two sets (balanced accuracy 0.64 against 0.76, the cut falling on a true match's score). A
library of one condition has no such letters: its negatives are then the letters that share
no argument, and the reason says so.

It needs :data:`MIN_LETTERS` letters giving :data:`MIN_EACH` positives and :data:`MIN_EACH`
negatives; below that there is no threshold and every draft uses the profile's default
template. A query is a denial, shorter than a letter: its score is a larger share (on the
fixtures true denials scored 0.11–0.30 and unrelated ones at most 0.05, letter queries
0.06–0.14), so the cut calibrated on letters errs towards retrieving. The calibration is
stored in ``appeal_library_calibration`` with the fingerprint of the library it was computed
on, recomputed on each add, and recomputed in memory on read when the library changed.

Why bm25s (MIT, numpy and scipy only) rather than rank-bm25 (Apache-2.0): bm25s is
maintained (0.3.16 of 2026-10; rank-bm25's last release, 0.2.2, is of 2022-02), it is already
the ``appeals`` extra's dependency, and it indexes into a sparse matrix that scores a query
against every letter in one pass. The MiniLM ONNX embedding the issue allows is not used: it
needs onnxruntime and a tokenizer the extra does not carry, and the probe in APPEALS.md shows
its scores need the same calibration anyway.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
import math
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from claimflow.appeals.profiles import load_profiles
from claimflow.errors import ClaimflowError, UnreadableFileError

MIN_LETTERS = 6
"""Fewest letters the threshold is calibrated on; with fewer, no letter is retrieved."""
MIN_EACH = 3
"""Fewest leave-one-out positives, and negatives, the threshold is calibrated on."""
FORMATS = {".txt": "text", ".pdf": "pdf", ".docx": "docx"}
OUTCOMES = ("overturned", "partially_paid")
"""A winning letter's outcome: the denial overturned, or paid in part."""
K1, B = 1.5, 0.75
METHOD = (
    "bm25s lucene k1=1.5 b=0.75, share of attainable; leave-one-out, negatives of other conditions"
)

_PAYERS: tuple[tuple[str, str], ...] = (
    (r"\bunited\s*health\s*care\b|\buhc\b|\boptum\b", "UnitedHealthcare"),
    (r"\baetna\b", "Aetna"),
    (r"\bcigna\b", "Cigna"),
    (r"\bhumana\b", "Humana"),
    (r"\banthem\b", "Anthem"),
    (r"\bblue\s+cross\b|\bbcbs\b", "Blue Cross Blue Shield"),
    (r"\bkaiser\b", "Kaiser Permanente"),
    (r"\bmolina\b", "Molina Healthcare"),
    (r"\bcentene\b|\bambetter\b", "Centene"),
    (r"\bwellcare\b", "WellCare"),
    (r"\bmedicare\b|\bcms\b", "Medicare"),
    (r"\bmedicaid\b", "Medicaid"),
)
_PAYER_LINE = re.compile(
    r"^[ \t]*(?:payer|payor|insurer|health plan)[ \t]*:[ \t]*(\S[^\n]{0,80})$",
    re.IGNORECASE | re.MULTILINE,
)
_TITLE_LINE = re.compile(
    r"^[ \t]*(?:re|subject)[ \t]*:[ \t]*(\S[^\n]*)$", re.IGNORECASE | re.MULTILINE
)
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z][a-z0-9]*")
_STOPWORDS: frozenset[str] = frozenset()


class LibraryError(ClaimflowError):
    """A letter cannot be added to the library as asked (condition, outcome, arguments)."""


# ---------------------------------------------------------------------------- conditions


def known_arguments() -> dict[str, tuple[str, ...]]:
    """Each condition's payer argument ids, from its profile."""
    return {
        condition: tuple(a.id for a in profile.arguments)
        for condition, profile in load_profiles().items()
    }


def detect_arguments(condition: str, text: str) -> list[str]:
    """The payer arguments a letter answers, by its condition profile's patterns (a winning
    letter quotes the arguments it answers)."""
    return load_profiles()[condition].match_arguments(text)


# ---------------------------------------------------------------------------- reading


def read_letter(path: Path) -> tuple[str, str, bytes]:
    """(text, format, bytes) of a letter file.

    Raises:
        UnreadableFileError: missing, not a file, an unknown extension, empty, not text, an
            encrypted PDF, a PDF with no text layer, a broken DOCX.
    """
    name = str(path)
    if not path.exists():
        raise UnreadableFileError(name, "no such file")
    if not path.is_file():
        raise UnreadableFileError(name, "not a file")
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UnreadableFileError(
            name, f"a winning letter is {', '.join(FORMATS)}; got {path.suffix or 'no extension'!r}"
        )
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableFileError(name, "the file is empty")
    if fmt == "text":
        text = _text(name, data)
    elif fmt == "pdf":
        text = _pdf_text(name, data)
    else:
        text = _docx_text(name, data)
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(_tokens(text)) < 5:
        raise UnreadableFileError(name, "the letter holds no text to retrieve it by")
    return text, fmt, data


def _text(name: str, data: bytes) -> str:
    if b"\x00" in data:
        raise UnreadableFileError(name, "binary content, not a text letter")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _pdf_text(name: str, data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableFileError(name, "the PDF is encrypted; save an unprotected copy")
        pages = [page.extract_text() or "" for page in reader.pages]
    except UnreadableFileError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise UnreadableFileError(name, f"not a readable PDF ({exc})") from None
    text = "\n".join(pages)
    if not text.strip():
        raise UnreadableFileError(
            name,
            f"the PDF ({len(pages)} page(s)) has no text layer (a scan?): the library does not"
            " OCR letters; add the letter as .txt or .docx, or a PDF with text",
        )
    return text


def _docx_text(name: str, data: bytes) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UnreadableFileError(name, f"not a readable DOCX ({exc})") from None
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def _payer(text: str) -> str | None:
    if line := _PAYER_LINE.search(text):
        return line.group(1).strip()
    head = text[:3000]  # the letter's address block and opening, not a criteria citation
    found = [
        (m.start(), payer)
        for pattern, payer in _PAYERS
        if (m := re.search(pattern, head, re.IGNORECASE))
    ]
    return min(found)[1] if found else None


def _title(text: str, fallback: str) -> str:
    found = _TITLE_LINE.search(text)
    line = found.group(1) if found else next((s for s in text.split("\n") if s.strip()), "")
    line = " ".join(line.split())
    return (line[:117] + "...") if len(line) > 120 else (line or fallback)


# ---------------------------------------------------------------------------- adding


@dataclass(frozen=True)
class Added:
    """What :func:`add_letter` did: ``duplicate`` when the bytes were already in the library
    (``letter_id`` the row they are in, ``duplicate_adds`` its count so far)."""

    letter_id: str
    duplicate: bool
    condition: str
    arguments: tuple[str, ...]
    arguments_source: str
    payer: str | None
    title: str
    duplicate_adds: int
    calibration: Calibration | None = None


def add_letter(
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    condition: str,
    *,
    outcome: str = "overturned",
    arguments: Sequence[str] | None = None,
    added_by: str = "unknown",
    now: dt.datetime | None = None,
) -> Added:
    """Add the winning letter at ``path`` to the library and recalibrate its threshold.

    Raises:
        LibraryError: an unknown condition, outcome or argument id.
        UnreadableFileError: see :func:`read_letter`.
    """
    known = known_arguments()
    if condition not in known:
        raise LibraryError(
            f"unknown condition {condition!r}; the known conditions: {', '.join(sorted(known))}"
        )
    if outcome not in OUTCOMES:
        raise LibraryError(
            f"unknown outcome {outcome!r} for a winning letter; one of: {', '.join(OUTCOMES)}"
        )
    if arguments is not None:
        unknown = [a for a in arguments if a not in known[condition]]
        if unknown:
            raise LibraryError(
                f"unknown argument(s) for {condition}: {', '.join(unknown)}; {condition}'s"
                f" argument ids: {', '.join(known[condition])}"
            )
    text, fmt, data = read_letter(path)
    sha = hashlib.sha256(data).hexdigest()
    row = conn.execute(
        "SELECT letter_id, condition, arguments, arguments_source, payer, title, duplicate_adds"
        " FROM appeal_library WHERE file_sha256 = ?",
        [sha],
    ).fetchone()
    if row is not None:
        conn.execute(
            "UPDATE appeal_library SET duplicate_adds = duplicate_adds + 1 WHERE letter_id = ?",
            [row[0]],
        )
        return Added(
            letter_id=row[0],
            duplicate=True,
            condition=row[1],
            arguments=tuple(row[2] or ()),
            arguments_source=row[3],
            payer=row[4],
            title=row[5],
            duplicate_adds=int(row[6]) + 1,
        )
    if arguments is not None:
        chosen, source = list(dict.fromkeys(arguments)), "given"
    else:
        chosen, source = detect_arguments(condition, text), "detected"
    letter_id = "L" + sha[:12]
    title = _title(text, path.name)
    payer = _payer(text)
    conn.execute(
        "INSERT INTO appeal_library (letter_id, condition, outcome, arguments, arguments_source,"
        " payer, title, text, file_name, file_sha256, file_format, added_at, added_by,"
        " duplicate_adds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
        [
            letter_id,
            condition,
            outcome,
            chosen,
            source,
            payer,
            title,
            text,
            path.name,
            sha,
            fmt,
            now or _now(),
            added_by,
        ],
    )
    calibration = store_calibration(conn, now=now)
    return Added(
        letter_id=letter_id,
        duplicate=False,
        condition=condition,
        arguments=tuple(chosen),
        arguments_source=source,
        payer=payer,
        title=title,
        duplicate_adds=0,
        calibration=calibration,
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def list_letters(
    conn: duckdb.DuckDBPyConnection, condition: str | None = None
) -> list[dict[str, Any]]:
    """The library's letters (no text), the newest first."""
    rows = conn.execute(
        "SELECT letter_id, condition, outcome, arguments, arguments_source, payer, title,"
        " file_name, file_sha256, file_format, length(text) AS characters, added_at, added_by,"
        " duplicate_adds FROM appeal_library WHERE ? IS NULL OR condition = ?"
        " ORDER BY added_at DESC, letter_id",
        [condition, condition],
    )
    names = [d[0] for d in rows.description]
    return [dict(zip(names, r, strict=True)) for r in rows.fetchall()]


# ---------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class Letter:
    """A library letter as retrieval sees it."""

    letter_id: str
    condition: str
    arguments: frozenset[str]
    title: str
    file_name: str
    text: str

    def matches(self, other: Letter) -> bool:
        """A true match: the same condition and at least one payer argument in common."""
        return self.condition == other.condition and bool(self.arguments & other.arguments)


def _stopwords() -> frozenset[str]:
    global _STOPWORDS
    if not _STOPWORDS:
        from bm25s.stopwords import STOPWORDS_EN_PLUS

        _STOPWORDS = frozenset(STOPWORDS_EN_PLUS)
    return _STOPWORDS


def _tokens(text: str) -> list[str]:
    stop = _stopwords()
    return [t for t in _TOKEN.findall(text.lower()) if len(t) > 1 and t not in stop]


class _Index:
    """BM25 over some letters' texts; scores as the share of the query's attainable score."""

    def __init__(self, tokenized: Sequence[list[str]]) -> None:
        import bm25s

        self.size = len(tokenized)
        self.df: dict[str, int] = {}
        for tokens in tokenized:
            for t in set(tokens):
                self.df[t] = self.df.get(t, 0) + 1
        self.bm25 = bm25s.BM25(k1=K1, b=B, method="lucene")
        self.bm25.index([list(t) for t in tokenized], show_progress=False)

    def idf(self, term: str) -> float:
        df = self.df.get(term, 0)
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def scores(self, query: list[str]) -> list[float]:
        distinct = list(dict.fromkeys(query))
        attainable = sum(self.idf(t) for t in distinct)
        present = [t for t in distinct if t in self.df]
        if attainable <= 0 or not present:
            return [0.0] * self.size
        raw = self.bm25.get_scores(present)
        return [float(s) / attainable for s in raw]


def _letters(conn: duckdb.DuckDBPyConnection) -> list[Letter]:
    rows = conn.execute(
        "SELECT letter_id, condition, arguments, title, file_name, text FROM appeal_library"
        " ORDER BY letter_id"
    ).fetchall()
    return [
        Letter(
            letter_id=r[0],
            condition=r[1],
            arguments=frozenset(r[2] or ()),
            title=r[3],
            file_name=r[4],
            text=r[5],
        )
        for r in rows
    ]


def fingerprint(letters: Sequence[Letter]) -> str:
    """What the calibration depends on: the letters, their conditions and arguments, the method."""
    h = hashlib.sha256(METHOD.encode())
    for letter in sorted(letters, key=lambda x: x.letter_id):
        h.update(
            f"|{letter.letter_id}:{letter.condition}:{','.join(sorted(letter.arguments))}".encode()
        )
    return h.hexdigest()


# ---------------------------------------------------------------------------- calibration


@dataclass(frozen=True)
class Calibration:
    """The library's threshold (None: too few letters or pairs to calibrate; ``reason`` says)."""

    threshold: float | None
    letters: int
    positives: int
    negatives: int
    balanced_accuracy: float | None
    fingerprint: str
    reason: str
    positive_scores: tuple[float, ...] = field(default=(), repr=False)
    negative_scores: tuple[float, ...] = field(default=(), repr=False)


def calibrate(letters: Sequence[Letter]) -> Calibration:
    """The threshold that best separates true matches from the rest, leave-one-out (see the
    module's docstring)."""
    fp = fingerprint(letters)
    if len(letters) < MIN_LETTERS:
        return Calibration(
            None,
            len(letters),
            0,
            0,
            None,
            fp,
            f"the library has {len(letters)} letter(s); calibrating its threshold needs at least"
            f" {MIN_LETTERS}, {MIN_EACH} of them sharing the condition and an argument with"
            " another",
        )
    single = len({letter.condition for letter in letters}) == 1
    tokenized = [_tokens(letter.text) for letter in letters]
    positives: list[float] = []
    negatives: list[float] = []
    for i, letter in enumerate(letters):
        others = [j for j in range(len(letters)) if j != i]
        scores = _Index([tokenized[j] for j in others]).scores(tokenized[i])
        pairs = list(zip(others, scores, strict=True))
        pos = [s for j, s in pairs if letter.matches(letters[j])]
        if single:
            neg = [s for j, s in pairs if not letter.matches(letters[j])]
        else:
            neg = [s for j, s in pairs if letters[j].condition != letter.condition]
        if pos:
            positives.append(max(pos))
        if neg:
            negatives.append(max(neg))
    if len(positives) < MIN_EACH or len(negatives) < MIN_EACH:
        return Calibration(
            None,
            len(letters),
            len(positives),
            len(negatives),
            None,
            fp,
            f"of the library's {len(letters)} letters, {len(positives)} have a true match (the"
            f" same condition and a shared argument) and {len(negatives)} a letter to tell"
            f" apart ({'one sharing no argument' if single else 'of another condition'}); the"
            f" calibration needs {MIN_EACH} of each",
        )
    threshold, accuracy = _best_cut(positives, negatives)
    against = (
        "letters sharing no argument (one condition only)"
        if single
        else "letters of another condition"
    )
    return Calibration(
        threshold,
        len(letters),
        len(positives),
        len(negatives),
        accuracy,
        fp,
        f"calibrated leave-one-out on {len(letters)} letters: {len(positives)} best true"
        f" matches against {len(negatives)} best {against}, balanced accuracy {accuracy:.2f}",
        tuple(positives),
        tuple(negatives),
    )


def _best_cut(positives: Sequence[float], negatives: Sequence[float]) -> tuple[float, float]:
    """(threshold, balanced accuracy): a score ≥ threshold is accepted. Candidates are the
    midpoints between consecutive distinct scores; the best balanced accuracy wins, the
    highest cut on a tie (a wrong letter costs more than the default template)."""
    values = sorted(set(positives) | set(negatives))
    cuts = [(a + b) / 2 for a, b in itertools.pairwise(values)]
    cuts = [values[0] - 1e-9, *cuts, values[-1] + 1e-9]
    best = (-1.0, 0.0)
    for cut in cuts:
        tpr = sum(p >= cut for p in positives) / len(positives)
        tnr = sum(n < cut for n in negatives) / len(negatives)
        accuracy = (tpr + tnr) / 2
        if accuracy >= best[0]:
            best = (accuracy, cut)
    return best[1], best[0]


def store_calibration(
    conn: duckdb.DuckDBPyConnection, *, now: dt.datetime | None = None
) -> Calibration:
    """Recalibrate on the library as it is and store the result (one row: the latest)."""
    calibration = calibrate(_letters(conn))
    conn.execute("DELETE FROM appeal_library_calibration")
    conn.execute(
        "INSERT INTO appeal_library_calibration VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            calibration.fingerprint,
            calibration.letters,
            calibration.threshold,
            calibration.positives,
            calibration.negatives,
            calibration.balanced_accuracy,
            METHOD,
            now or _now(),
        ],
    )
    _CACHE.clear()
    _CACHE[calibration.fingerprint] = calibration
    return calibration


_CACHE: dict[str, Calibration] = {}


def library_calibration(
    conn: duckdb.DuckDBPyConnection, letters: Sequence[Letter] | None = None
) -> Calibration:
    """The calibration of the library as it is: the stored one when it was computed on this
    library, else computed now (and kept for this process)."""
    letters = _letters(conn) if letters is None else letters
    fp = fingerprint(letters)
    if fp in _CACHE:
        return _CACHE[fp]
    row = conn.execute(
        "SELECT threshold, letters, positives, negatives, balanced_accuracy"
        " FROM appeal_library_calibration WHERE fingerprint = ?",
        [fp],
    ).fetchone()
    if row is not None and row[0] is not None:
        calibration = Calibration(
            float(row[0]),
            int(row[1]),
            int(row[2]),
            int(row[3]),
            None if row[4] is None else float(row[4]),
            fp,
            f"calibrated leave-one-out on {row[1]} letters: {row[2]} best true matches"
            f" against {row[3]} best non-matches, balanced accuracy {row[4]:.2f}",
        )
    else:
        calibration = calibrate(letters)
    _CACHE[fp] = calibration
    return calibration


# ---------------------------------------------------------------------------- retrieval


@dataclass(frozen=True)
class LibraryMatch:
    """The past winning letter chosen for a draft, and why (for the CDI review).

    ``score`` is the share of the query's attainable BM25 score the letter holds (0–1);
    ``threshold`` the library's calibrated cut it cleared; ``shared_arguments`` the payer
    arguments both the denial and the letter answer; ``candidates`` how many letters of the
    condition were ranked; ``reason`` all of it in one sentence."""

    letter_id: str
    condition: str
    title: str
    file_name: str
    text: str
    arguments: tuple[str, ...]
    shared_arguments: tuple[str, ...]
    score: float
    threshold: float
    candidates: int
    reason: str


@dataclass(frozen=True)
class Retrieval:
    """What retrieval found: the match, or None and why the profile's template is used."""

    match: LibraryMatch | None
    reason: str
    calibration: Calibration | None
    ranked: tuple[tuple[str, float, int], ...] = ()
    """(letter_id, score, arguments shared) of every candidate, best first."""


def retrieve(
    conn: duckdb.DuckDBPyConnection,
    condition: str,
    arguments: Sequence[str],
    query_text: str,
) -> Retrieval:
    """The best past winning letter for a denial of ``condition`` making ``arguments``, with
    ``query_text`` (the denial's text) ranked against the letters; see the module docstring."""
    letters = _letters(conn)
    wanted = frozenset(arguments)
    candidates = [letter for letter in letters if letter.condition == condition]
    if not candidates:
        return Retrieval(
            None, f"the library has no {condition} letter; the profile's template is used", None
        )
    calibration = library_calibration(conn, letters)
    if calibration.threshold is None:
        return Retrieval(None, f"{calibration.reason}; the profile's template is used", calibration)
    query = _tokens(query_text)
    if not query:
        return Retrieval(None, "the query has no words to rank by", calibration)
    index = _Index([_tokens(letter.text) for letter in letters])
    scores = dict(zip((x.letter_id for x in letters), index.scores(query), strict=True))
    ranked = sorted(
        candidates,
        key=lambda x: (-len(x.arguments & wanted), -scores[x.letter_id], x.letter_id),
    )
    ranking = tuple((x.letter_id, scores[x.letter_id], len(x.arguments & wanted)) for x in ranked)
    threshold = calibration.threshold
    best = next((x for x in ranked if scores[x.letter_id] >= threshold), None)
    if best is None:
        top = max(scores[x.letter_id] for x in candidates)
        return Retrieval(
            None,
            f"no {condition} letter clears the threshold {threshold:.3f} (the best of"
            f" {len(candidates)} scores {top:.3f}); the profile's template is used",
            calibration,
            ranking,
        )
    shared = tuple(sorted(best.arguments & wanted))
    score = scores[best.letter_id]
    because = (
        f"answers {', '.join(shared)} as the denial argues"
        if shared
        else (
            "answers none of the denial's arguments (no letter of the condition that does"
            " clears the threshold); the closest text"
            if wanted
            else "the closest text (the denial's arguments are not known)"
        )
    )
    reason = (
        f"{best.letter_id} ({best.file_name}): same condition ({condition}); {because};"
        f" BM25 share {score:.3f} ≥ threshold {threshold:.3f}, ranked among"
        f" {len(candidates)} {condition} letter(s); threshold {calibration.reason}"
    )
    match = LibraryMatch(
        letter_id=best.letter_id,
        condition=condition,
        title=best.title,
        file_name=best.file_name,
        text=best.text,
        arguments=tuple(sorted(best.arguments)),
        shared_arguments=shared,
        score=score,
        threshold=threshold,
        candidates=len(candidates),
        reason=reason,
    )
    return Retrieval(match, reason, calibration, ranking)


def find_letter(
    conn: duckdb.DuckDBPyConnection,
    condition: str,
    arguments: Sequence[str],
    query_text: str,
) -> LibraryMatch | None:
    """The best past winning letter for the denial, or None: the drafter then uses the
    profile's default template (:func:`retrieve` says why)."""
    return retrieve(conn, condition, arguments, query_text).match
