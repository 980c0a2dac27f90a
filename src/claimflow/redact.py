"""Patient identifiers in free text (denial reasons): found by rules and replaced.

:func:`redact` replaces, in a free text such as an EMR's denial reason, what identifies a
patient with a typed placeholder, and keeps every word and code the denial is about:

- e-mail addresses → :data:`EMAIL`; social security numbers → :data:`SSN`; telephone
  numbers → :data:`PHONE`;
- dates in any common written form (``1980-02-03``, ``02/03/1980``, ``2/3/80``,
  ``03.02.1980``, ``Feb 3, 1980``, ``3rd February 1980``, ``03-FEB-1980``, ``Feb 1980``,
  ``19800203`` after a date word) → :data:`DATE` (Safe Harbor removes every element of a date
  but the year: a year alone stays);
- identifiers → :data:`ID`: letters then six or more digits (``W000037868``), a run of seven
  or more digits, and a token with a digit after ``member``, ``subscriber``, ``ID``, ``MRN``,
  ``account``/``acct``, ``policy``, ``insured``, ``chart`` (``#``, ``no.``, ``number``, ``:``
  may come between), or after ``patient``/``pt``/``case`` with ``id``, ``#`` or ``no``
  (``PT 97110`` is physical therapy); a ten-digit number right after
  ``NPI`` is the provider's and stays;
- person names → :data:`NAME`: after a patient word (``patient``, ``pt``, ``member``,
  ``subscriber``, ``insured``, ``beneficiary``, ``enrollee``, ``dependent``, ``name``), after
  a title (``Mr.``, ``Mrs``, ``Ms.``, ``Miss``, ``Mx``), right after a redacted identifier, and
  right before a redacted identifier, e-mail address or phone number or a date of birth
  (``DOB``, ``born``, ``date of birth``); one to four words (``SMITH, JOHN Q``, ``Jane
  O'Neil-Diaz``) written one way (all capitals, capitalised or lower case), within a
  sentence, none of them a word of denial texts (:data:`NOT_NAMES`). A name of one word,
  or in lower case, after a patient word or an identifier must end where a name ends (the end,
  punctuation, a placeholder, ``DOB``): "MEMBER INELIGIBLE FOR BENEFITS" names no one. A
  lower-case name needs two words, except after a title with its full stop; ``ms`` without a
  capital or a full stop is multiple sclerosis, not a title.

Kept: CARC/RARC codes (``CO-16``, ``N290``, ``M51``, ``197``), CPT/HCPCS (``99213``,
``J1100``), ICD-10 (``A41.9``), modifiers (``25 may apply`` is no date), dollar amounts, a
year, counts (``90 days``), authorization numbers shorter than an identifier (``#A12345``),
taxonomy codes, a provider's NPI, payer names and every denial word.

No model and no name list: rules only, so the same text always redacts the same way, and a
redacted text redacts to itself. An all-caps name after a patient word can still take a
clinical word with it, and a lower-case name after ``ms`` is missed (docs/security.md has the
measured recall and what the rules changed in texts without identifiers).

The placeholders are words the denial classifier does not read. It lower-cases the text and
drops punctuation before matching words, so ``member [ID]`` would read "member id" (one of its
eligibility cues) and ``[NAME]`` "name" (which turns its incorrect-NPI rule off); ``[IDNUM]``
and ``[FULLNAME]`` read as no cue at all, and the categories of the redacted texts stay those of
the originals (``benchmarks/redaction.py``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from importlib import resources

ID = "[IDNUM]"
"""A member, subscriber, policy or account number, an MRN (not ``[ID]``: see the module)."""
NAME = "[FULLNAME]"
"""A person's name, one word or several (not ``[NAME]``: see the module)."""
DATE = "[XX/XX/XXXX]"
PHONE = "[PHONE]"
EMAIL = "[EMAIL]"
SSN = "[XXX-XX-XXXX]"
PLACEHOLDERS: tuple[str, ...] = (ID, NAME, DATE, PHONE, EMAIL, SSN)
"""Every placeholder :func:`redact` writes."""

_I = re.IGNORECASE

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_MONTH_NOT_MAY = _MONTH.replace("|may|", "|")
_DAY = r"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"

EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}\b")
"""An e-mail address; bounded, so that a long run of ``a.a.a...`` costs linear time."""
SSN_RE = re.compile(
    r"(?:\b(?:ssn|soc(?:ial)?\s*sec(?:urity)?(?:\s*(?:no|number|#))?)\b\.?\s*[:#]?\s*"
    r"\d{3}[\s-]?\d{2}[\s-]?\d{4}\b)|\b\d{3}-\d{2}-\d{4}\b",
    _I,
)
PHONE_RE = re.compile(
    r"(?:(?<![\w-])\+?1[\s.-]?(?:\(\d{3}\)\s*|\d{3}[\s.-])|(?<![\w-])\(\d{3}\)\s*"
    r"|(?<![\w-])\d{3}[\s.-])\d{3}[\s.-]\d{4}\b"
    r"(?:\s*(?:x|ext\.?)\s*\d{1,5}\b)?"
    r"|\b(?:ph(?:one)?|tel(?:ephone)?|call|cell|fax)\b\.?\s*[:#]?\s*\d{10}\b",
    _I,
)
DATE_RE = re.compile(
    "|".join(
        (
            # 1980-02-03, 1980/02/03, 1980.02.03, with a time after
            rf"\b{_YEAR}(?P<iso>[-/.])(?:0?[1-9]|1[0-2])(?P=iso)(?:0?[1-9]|[12]\d|3[01])"
            r"(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?Z?)?\b",
            # 02/03/1980, 2-3-80, 03.02.1980 (month or day first)
            r"\b(?:0?[1-9]|[12]\d|3[01])(?P<sep>[-/.])(?:0?[1-9]|[12]\d|3[01])(?P=sep)"
            r"(?:\d{4}|\d{2})\b",
            # Feb 3, 1980 / February 3rd 1980 / Feb-03-1980 / Feb 3 ("may 3" needs its year)
            rf"\b{_MONTH}[\s-]+{_DAY},?[\s-]+(?:\d{{4}}|'\d{{2}})\b",
            rf"\b{_MONTH_NOT_MAY}[\s-]+{_DAY}\b",
            # 3 Feb 1980 / 3rd of February, 1980 / 03-FEB-80 ("25 may apply" is no date)
            rf"\b{_DAY}(?:\s+of)?\s+{_MONTH},?\s+\d{{4}}\b",
            rf"\b{_DAY}-{_MONTH}-(?:\d{{4}}|\d{{2}})\b",
            # Feb 1980, 02/1980
            rf"\b{_MONTH},?\s+{_YEAR}\b",
            rf"\b(?:0?[1-9]|1[0-2])/{_YEAR}\b",
        )
    ),
    _I,
)
COMPACT_DATE_RE = re.compile(
    r"\b((?:dob|dos|date|born)\b(?:\s*(?:of\s+(?:birth|service))?\s*[:#]?\s*))"
    rf"{_YEAR}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\b",
    _I,
)
"""``19800203`` after a date word (alone, eight digits are an identifier)."""
NPI_RE = re.compile(r"\bnpi\b\s*(?:#|no\.?|number)?\s*[:#]?\s*\d{10}\b", _I)
_ID_WORDS = (
    r"member|mbr|subscriber|subscr|insured|enrollee|beneficiary|bene|mrn|med(?:ical)?\s+rec(?:ord)?"
    r"|chart|account|acct|acc|policy|pol|hicn|mbi|id"
)
"""Words an identifier follows: ``member 4411``, ``acct 998877``."""
_QUALIFIED_ID_WORDS = r"patient|pt|ins|sub|case|mr"
"""Words an identifier follows only with ``id``, ``#`` or ``no`` between: ``pt 97110`` is a
physical-therapy code, ``pt # 4411`` a patient's number."""
_QUALIFIER = r"id|identifier|no|nbr|num|number|#"
CONTEXT_ID_RE = re.compile(
    rf"(?<![\w-])(?:(?:{_ID_WORDS})(?:'s)?\.?(?:\s*(?:{_QUALIFIER}))*"
    rf"|(?:{_QUALIFIED_ID_WORDS})(?:'s)?\.?(?:\s*(?:{_QUALIFIER}))+)"
    r"\.?\s*[:#=-]?\s*"
    r"(?P<id>(?=[\w-]*\d)[a-z0-9][a-z0-9-]{2,}[a-z0-9])(?![\w-])",
    _I,
)
SHAPE_ID_RE = re.compile(
    r"(?<![\w$.,-])(?:[a-z]{1,4}-?\d{6,}[a-z]?|\d{7,})(?:-\d{1,2})?(?![\w-]|[.,]\d)", _I
)

_NOT_NAMES = """
a about above according account acct active additional address adjusted adjustment admission
admit advance after again against age all allowed allowable also amount an and another any
appeal appeals applicable applies apply approval approved are as assigned assistant at
attached attachment attn auth authorization authorized authorizations be been before
benefit benefits beneficiary bill billed billing birth blank both box bundled bundling but by
call called can cannot care carrier case cert check claim claims clinical cob code codes
coding coinsurance complete contact contract contractual copay could count coverage covered
cpt date dates day days deductible denial denials denied deny dependent did diagnosis do
document documentation documents dob does dos due duplicate during dx edit effective
eligibility eligible end ended enrolled enrollee enrollment eob era error exceed exceeded
exceeds expired facility fax file filed filing first following for found frequency from
further group had has have he her his hmo hospital id identifier if in incomplete incorrect
inconsistent information info ins insurance insured into invalid is it its last late level
limit line listed mail maximum max may medicaid medical medically medicare member members
mbr missing modifier modifiers more mri mrn must name names necessary necessity need needed
needs network new no non not note notes now npi number obtain obtained of office on only or
order other our out outpatient over paid patient patients payer payment per ph phone plan
please policy ppo precert primary prior procedure provider provided pt reached received
record records referral rejected remark remarks requested require required requires resp
responsibility resubmit review sec secondary see sent service services she should since so
status subscriber submit submitted such tel terminated than that the their them then there
these they this those through timely to too type under units unknown until update upon use
used valid verify visit was we were what when which while who will with within without yet
ssn email fax tel you your dr md mr mrs ms miss mx jr sr ii iii iv rn np pa
ineligible inactive termed term retro owes owe balance cost share seen says said states
inpatient mismatch match matches matched zip hsa fsa copayment amount amounts portion plan's
has having not-covered covered noncovered uncovered excluded exclusion responsible liable
liability charged charge charges payable pay pays paying refund overpaid underpaid
left right bilateral injury accident hospice snf dme lab labs test tests imaging x-ray xray
surgery surgical therapy therapist physical occupational speech visit visits admitted
discharged transferred deceased expired died moved changed retired employed unemployed
age aged minor adult child spouse newborn baby mother father parent guardian self
precertification preauthorization predetermination approval denied exhausted
aetna cigna humana blue cross shield united unitedhealthcare uhc anthem kaiser tricare
wellcare molina centene ambetter bcbs health healthcare oscar highmark carefirst emblem
oxford optum medi-cal champva payer's insurer insurer's plan carrier's clearinghouse
precert auth elig cob dos dx mbr info doc docs tfl dup dupe mod mods proc req reqd ins
term ded coins resp svc svcs tx mcd mcr inpt outpt oon asst cci um tf los mn cov misc exp
write off bundle unbundled unbundling dupl rejected reject resubmitted corrected void
tax wrong tin appended justification fee spd eval adjust remaining peer based inclusive
ptp noc hcpcs lcd ncd abn mue drg apc opps asc cms hhs oig cpt-4 icd icd-9 icd-10 ndc
identity identified identification unidentified verified unverified confirm confirmed
address phone email dob birthdate gender sex male female coverage-terminated
"""


def _reference_words() -> frozenset[str]:
    """The words of the CARC and RARC descriptions claimflow ships (``claimflow/reference``):
    the vocabulary payers write denials in ("incarcerated", "capitated", "qualifications")."""
    words: set[str] = set()
    folder = resources.files("claimflow") / "reference"
    for name in ("carc.csv", "rarc.csv"):
        text = (folder / name).read_text(encoding="utf-8")
        for row in csv.DictReader(io.StringIO(text)):
            words.update(re.findall(r"[a-z][a-z'’-]{5,}", (row.get("description") or "").lower()))
    return frozenset(words)


NOT_NAMES: frozenset[str] = frozenset(_NOT_NAMES.split()) | _reference_words()
"""Words that end a name or keep one from starting: a hand-written list of function words,
denial words and abbreviations and payer words, and the words of the CARC and RARC
descriptions (not drawn from the labelled denial texts or the names the benchmark plants)."""

_PATIENT_WORD = re.compile(
    r"patient(?:'s)?|pt|member(?:'s)?|mbr|subscriber(?:'s)?|insured(?:'s)?|beneficiary"
    r"|enrollee|dependent|name",
    _I,
)
_HONORIFIC = re.compile(r"mr|mrs|ms|miss|mx", _I)
_WORD = r"[A-Za-z](?:[A-Za-z'’]|-(?=[A-Za-z]))*"
_TOKEN = re.compile(
    "|".join(re.escape(p) for p in PLACEHOLDERS) + rf"|{_WORD}\.?|\d+|[^\sA-Za-z\d]"
)
_BETWEEN = (":", "#", "=", "(", ID)
"""What may stand between a patient word and the name (``member: W123 (SMITH, JOHN)``)."""
_BEFORE = (",", "-", ":", "(", "at", "AT", "At")
"""What may stand between a name and the identifier, contact or birth date after it."""


def redact(text: str) -> str:
    """``text`` with patient identifiers replaced by typed placeholders (see the module)."""
    if not text or not text.strip():
        return text
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        kept.append(match.group(0))
        return f"\x00{len(kept) - 1}\x00"

    out = NPI_RE.sub(keep, text)
    out = EMAIL_RE.sub(EMAIL, out)
    out = SSN_RE.sub(_prefixed(SSN), out)
    out = COMPACT_DATE_RE.sub(lambda m: m.group(1) + DATE, out)
    out = DATE_RE.sub(DATE, out)
    out = PHONE_RE.sub(_prefixed(PHONE), out)
    out = CONTEXT_ID_RE.sub(lambda m: m.group(0)[: m.start("id") - m.start()] + ID, out)
    out = SHAPE_ID_RE.sub(ID, out)
    out = _names(out)
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], out)


def redact_or_none(text: str | None) -> str | None:
    """:func:`redact` of a text that may be missing."""
    return None if text is None else redact(text)


def _prefixed(placeholder: str) -> Callable[[re.Match[str]], str]:
    """Replace the number and keep the word before it (``SSN 123-45-6789`` → ``SSN [SSN]``)."""

    def sub(match: re.Match[str]) -> str:
        found = match.group(0)
        word = re.match(r"[A-Za-z][A-Za-z .]*?[.:#\s]+(?=[\d(+])", found)
        return (word.group(0) if word else "") + placeholder

    return sub


Token = tuple[int, int, str]


def _is_name_word(token: str) -> bool:
    if re.fullmatch(r"[A-Za-z]\.", token):
        return True  # an initial
    word = token.rstrip(".")
    return bool(re.fullmatch(_WORD, word)) and word.lower().strip("'’-") not in NOT_NAMES


def _names(text: str) -> str:
    """Replace person names next to a patient word, an honorific, an identifier, a contact or
    a date of birth."""
    tokens = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(text)]
    spans: list[tuple[int, int]] = []
    for i, (_, _, tok) in enumerate(tokens):
        word = tok.rstrip(".")
        # Mr. / Ms / MRS: a title (ms without a capital or a full stop is multiple sclerosis)
        honorific = bool(_HONORIFIC.fullmatch(word)) and (tok.endswith(".") or tok[0].isupper())
        if tok == ID or honorific or _PATIENT_WORD.fullmatch(word):
            j = i + 1
            while j < len(tokens) and tokens[j][2] in _BETWEEN:
                j += 1
            # after a title with its full stop, one lower-case word is a name too; a one-word
            # or lower-case name after a patient word or an identifier must end where a name
            # ends ("MEMBER INELIGIBLE FOR ..." names no one); "pt zoe kim, co-183": no comma
            least = 2 if word.lower() == "name" else 1
            for comma in (False,) if honorific else (True, False):  # "Mr. King, NOC ..."
                found = _run(
                    tokens, j, step=1, lower_least=1 if tok.endswith(".") else 2, comma=comma
                )
                if (
                    found
                    and found[2] >= least
                    and (
                        honorific
                        or (found[2] >= 2 and found[3])
                        or _ends_name(tokens, found[4] + 1, several=found[2] >= 2)
                    )
                ):
                    spans.append(found[:2])
                    break
        if (
            tok in (ID, EMAIL, PHONE)
            or word.lower() in ("dob", "born")
            or (word.lower() == "date" and _next(tokens, i, 2).lower() == "birth")
        ):
            k = i - 1
            while k >= 0 and tokens[k][2] in _BEFORE:
                k -= 1
            found = _run(tokens, k, step=-1, lower_least=2, comma=True)
            if found and found[2] >= 2:
                spans.append(found[:2])
    if not spans:
        return text
    out: list[str] = []
    last = 0
    for start, end in sorted(spans):
        if start < last:
            continue
        out.append(text[last:start])
        out.append(NAME)
        last = end
    out.append(text[last:])
    return "".join(out)


def _next(tokens: list[Token], i: int, ahead: int = 1) -> str:
    return tokens[i + ahead][2] if i + ahead < len(tokens) else ""


def _ends_name(tokens: list[Token], k: int, *, several: bool) -> bool:
    """Whether token ``k`` may follow a name that is one word or lower case: the end, a
    sentence's or a list's punctuation (a dash after a name of ``several`` words), a
    placeholder or a birth date or identifier word."""
    if k >= len(tokens):
        return True
    tok = tokens[k][2]
    return (
        tok in (",", ";", ".", ")", ":", "(")
        or (several and tok == "-")
        or tok in PLACEHOLDERS
        or (tok.rstrip(".").lower() in ("dob", "born", "id", "mrn", "ssn", "member", "mbr", "acct"))
    )


def _run(
    tokens: list[Token], j: int, *, step: int, lower_least: int, comma: bool
) -> tuple[int, int, int, bool, int] | None:
    """The span of a name of one to four words from token ``j`` on (``step`` 1) or back
    (``step`` -1), with ``comma`` one comma allowed between its words (``SMITH, JOHN Q``); how
    many words it has, whether it is capitalised, and its last token.

    A name is written one way: all capitals, capitalised words or lower case (initials go with
    either of the first two), and does not run over the end of a sentence. A lower-case name
    needs ``lower_least`` words. Three capitalised words and more followed by a lower-case one
    leave the last to the sentence it starts ("patient: Barbara White Peer review ...")."""
    words: list[int] = []
    style = ""
    k = j
    while 0 <= k < len(tokens) and len(words) < 4:
        tok = tokens[k][2]
        if tok == "," and words and comma and 0 <= k + step < len(tokens):
            if _is_name_word(tokens[k + step][2]):
                comma = False
                k += step
                continue
            break
        if not _is_name_word(tok) or _code(tokens, k):
            break
        kind = _style(tok)
        if kind != "initial":
            if style and kind != style:
                break
            style = kind
        ends_sentence = tok.endswith(".") and kind != "initial"
        if step < 0 and words and ends_sentence:
            break  # the word before a name ends the sentence before it
        words.append(k)
        k += step
        if step > 0 and ends_sentence:
            break
    if not words or not style:
        return None
    if style == "lower" and len(words) < lower_least:
        return None
    if (
        step > 0
        and style == "title"
        and sum(_style(tokens[w][2]) == "title" for w in words) >= 3
        and not tokens[words[-1]][2].endswith(".")
        and re.fullmatch(r"[a-z][a-z'’-]*", _next(tokens, words[-1]))
    ):
        words.pop()
    if len(words) == 1 and len(tokens[words[0]][2].rstrip(".")) < 2:
        return None
    first, last = min(words), max(words)
    return tokens[first][0], _end(tokens, last), len(words), style != "lower", last


def _style(token: str) -> str:
    """How a word is written: ``initial`` (``J``, ``J.``), ``caps``, ``title`` or ``lower``."""
    word = token.rstrip(".")
    if len(word) == 1 and word.isalpha():
        return "initial" if word.isupper() or token.endswith(".") else "lower"
    if word.isupper():
        return "caps"
    return "title" if word[0].isupper() else "lower"


def _code(tokens: list[Token], k: int) -> bool:
    """Whether token ``k`` is the letters of a code: ``CO-183``, ``PR-1``, ``CO-B15``."""
    if _next(tokens, k) == "-" and _next(tokens, k, 2).isdigit():
        return True
    return k + 1 < len(tokens) and tokens[k + 1][0] == tokens[k][1] and tokens[k + 1][2].isdigit()


def _end(tokens: list[Token], k: int) -> int:
    """Where token ``k`` ends, without a full stop that ends the sentence."""
    _, end, tok = tokens[k]
    if tok.endswith(".") and len(tok) > 2:
        return end - 1
    return end
