"""Fuzzing the X12 engine as the user and the pipeline run it (issue 23: every byte handled).

Seeded mutations of valid X12 files -- the small 835 and 837P of ``tests/data/x12/valid``,
multi-set and multi-claim files built from them, and one file of each kind a synthetic world
holds (837P, 837I, 835, 999, 277CA) -- go through everything that reads a file:

- ``parse_file`` in collect mode (nothing may be raised) and ``parse_bytes`` in strict mode
  (only ``X12Error``), the rows' conversion to the spool's Arrow types, ``write_999``;
- ``spool_parse``, the pipeline's X12 adapter (only ``UnreadableFileError``, claimflow's own);
- the compiled fast path, which must give up or give the Python engine's rows;
- ``claimflow x12 parse`` and ``claimflow x12 validate``, in process for many files and as real
  subprocesses for a few: never a traceback, a documented exit code, messages naming the file.

A mutation confined to one transaction set (checked on the segments the reader sees, not
assumed) must leave the other sets valid with the same rows; a mutation of values inside one
claim's loop must leave the claims before and after it with the same values.

Every case is drawn from ``random.Random(f"{SEED}/{test}/{i}")``: deterministic, and a failure
names the case to replay. The module takes about 14 CPU seconds (15-20 s on an idle 2-core machine;
the budget, 60 CPU seconds, is checked by ``test_the_budget``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from claimflow.errors import UnreadableFileError
from claimflow.sources import x12_fast as native
from claimflow.sources.x12 import TABLES_BY_NAME, spool_columns, spool_parse
from claimflow.synth.generate import generate_world
from claimflow.warehouse.arrow import rows_to_arrow
from claimflow.x12 import (
    ErrorLevel,
    ParseResult,
    X12Error,
    iter_segments,
    parse_bytes,
    parse_file,
    write_999,
)
from claimflow.x12.result import Row
from tests.conftest import REPO, cli

from .conftest import DATA

SEED = 23
BUDGET_SECONDS = 60.0

SMALL_835 = (DATA / "valid" / "835_small.x12").read_bytes()
SMALL_837 = (DATA / "valid" / "837p_small.x12").read_bytes()

KEYS = {
    "claim_id",
    "claim_line_id",
    "diagnosis_id",
    "procedure_id",
    "tooth_id",
    "payment_id",
    "adjudication_id",
    "adjudication_line_id",
    "adjustment_id",
    "remark_id",
    "provider_adjustment_id",
    "ack_id",
    "ack_error_id",
    "summary_id",
    "segment_index",
    "lineage_hash",
}
"""Columns that name a file position (surrogate keys hash it in): the rest are values."""

NON_ASCII = [bytes([b]) for b in (0x80, 0x85, 0x92, 0xA0, 0xC9, 0xE9, 0xFF)]
UTF8 = ["\u00c9", "\u00f1", "\u20ac", "\u2028", "\ufeff", "\U0001f600"]
CONTROL = [bytes([b]) for b in (0, 1, 7, 8, 9, 11, 12, 13, 10, 0x1B, 0x1C, 0x1D, 0x1F, 0x7F)]


def cpu_seconds() -> float:
    """CPU time of this process and of the children it waited for (the subprocesses)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


@pytest.fixture(scope="module", autouse=True)
def started() -> list[float]:
    """CPU seconds when the module's first test started (for :func:`test_the_budget`)."""
    return [cpu_seconds()]


# ------------------------------------------------------------------ files to mutate


def _sets(data: bytes) -> tuple[bytes, bytes, bytes]:
    """``(ISA+GS, ST…SE, GE+IEA)`` of a one-set file."""
    st = data.index(b"ST*")
    ge = data.index(b"GE*")
    return data[:st], data[st:ge], data[ge:]


def three_sets(data: bytes, claim_id: bytes) -> bytes:
    """One interchange of three transaction sets, copies of the file's one set with their own
    ST02/SE02 and claim ids (``<claim_id>`` → ``<claim_id>A``/``B``/``C``)."""
    head, body, tail = _sets(data)
    bodies = []
    for n, tag in enumerate((b"A", b"B", b"C"), 1):
        copy = body.replace(b"*0001", b"*000%d" % n).replace(claim_id, claim_id + tag)
        bodies.append(copy)
    return head + b"".join(bodies) + re.sub(rb"GE\*1\*", b"GE*3*", tail)


def three_claims(data: bytes) -> bytes:
    """The 837P with its claim loop (CLM to the end of the set) three times, CLM01
    PCN001A/B/C, in one set."""
    clm = data.index(b"CLM*")
    se = data.index(b"SE*")
    loop = data[clm:se]
    claims = b"".join(loop.replace(b"CLM*PCN001", b"CLM*PCN001" + t) for t in (b"A", b"B", b"C"))
    count = len(data[data.index(b"ST*") : se].split(b"~\n")) + 2 * loop.count(b"~\n")
    return data[:clm] + claims + data[se:].replace(b"SE*30*", b"SE*%d*" % count)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """One small file of each kind a synthetic world holds."""
    out = tmp_path_factory.mktemp("world")
    generate_world(out, claims=40, seed=SEED, start=dt.date(2025, 1, 1), months=1, workers=1)
    files = {}
    for folder in ("835", "837p", "837i", "999", "277ca"):
        paths = sorted((out / "x12" / folder).glob("*.x12"), key=lambda p: p.stat().st_size)
        # the smallest clean one (a world also holds files broken on purpose)
        texts = (p.read_bytes() for p in paths)
        files[f"synth_{folder}"] = next(t for t in texts if not parse_bytes(t, file_id="s").errors)
    return files


@pytest.fixture(scope="module")
def seeds(synthetic: dict[str, bytes]) -> dict[str, bytes]:
    return {
        "835_small": SMALL_835,
        "837p_small": SMALL_837,
        "835_three_sets": three_sets(SMALL_835, b"PCN00"),
        "837p_three_sets": three_sets(SMALL_837, b"PCN001"),
        "837p_three_claims": three_claims(SMALL_837),
        **synthetic,
    }


def test_the_built_files_are_clean(seeds: dict[str, bytes]) -> None:
    for name, data in seeds.items():
        result = parse_bytes(data, file_id=name)
        assert result.errors == [], (name, result.errors[:3])
    assert len(parse_bytes(seeds["837p_three_sets"], file_id="x").transactions) == 3
    assert len(parse_bytes(seeds["837p_three_claims"], file_id="x").tables["claims_header"]) == 3


# ------------------------------------------------------------------ mutations


def _segment_spans(data: bytes) -> list[tuple[int, int]]:
    """``(start, end)`` of each segment's text (without its terminator) in a ``~``-file."""
    spans = []
    start = 0
    for match in re.finditer(rb"~", data):
        spans.append((start, match.start()))
        start = match.end()
    return spans


def _numeric(rng: random.Random) -> bytes:
    return rng.choice(
        [
            b"9" * rng.choice([17, 19, 40, 5_000, 200_000]),
            b"-" + b"9" * rng.choice([17, 30, 1_000]),
            b"1" + b"0" * rng.randint(16, 60) + b".5",
            b"0." + b"0" * 5_000 + b"1",
            b"1E999999999",
            b"-1e-999999999",
            b"Infinity",
            b"NaN",
            b"1_000",
            b"+5",
            b" 7 ",
            b"9" * 100_000 + b"x",
            b"12.3456",
        ]
    )


def mutate_value(rng: random.Random, segment: bytes) -> bytes:
    """A new text for one segment with one element value changed; no delimiter is added, so the
    segment keeps its id and its elements their positions."""
    els = segment.split(b"*")
    if len(els) < 2:
        return segment
    k = rng.randrange(1, len(els))
    value = els[k]
    how = rng.choice(["non_ascii", "utf8", "control", "huge_number", "huge_element", "junk"])
    if how == "non_ascii":
        at = rng.randint(0, len(value))
        value = value[:at] + rng.choice(NON_ASCII) + value[at:]
    elif how == "utf8":
        at = rng.randint(0, len(value))
        value = value[:at] + rng.choice(UTF8).encode() + value[at:]
    elif how == "control":
        at = rng.randint(0, len(value))
        value = value[:at] + rng.choice(CONTROL) + value[at:]
    elif how == "huge_number":
        value = _numeric(rng)
    elif how == "huge_element":
        value = bytes([rng.choice(b"AZ09 .-")]) * rng.choice([100, 10_000, 300_000])
    else:
        allowed = bytes(b for b in range(256) if b not in b"*:^~\r\n")
        value = bytes(rng.choice(allowed) for _ in range(rng.randint(1, 12)))
    els[k] = value
    return b"*".join(els)


def mutate(
    rng: random.Random, data: bytes, lo: int = 0, hi: int | None = None
) -> tuple[str, bytes]:
    """One seeded mutation of ``data``, inside ``data[lo:hi]`` when given.

    Returns:
        What was done and the mutated bytes.
    """
    hi = len(data) if hi is None else hi
    region = data[lo:hi]
    how = rng.choice(
        [
            "flip",
            "non_ascii",
            "utf8",
            "control",
            "truncate",
            "duplicate",
            "delete",
            "delimiter",
            "huge_number",
            "huge_element",
            "value",
        ]
    )
    if how == "flip":
        mutated = bytearray(region)
        for _ in range(rng.randint(1, 5)):
            at = rng.randrange(len(mutated))
            mutated[at] ^= 1 << rng.randrange(8)
        new = bytes(mutated)
    elif how in ("non_ascii", "utf8", "control"):
        pool = {"non_ascii": NON_ASCII, "control": CONTROL}.get(how) or [c.encode() for c in UTF8]
        new = region
        for _ in range(rng.randint(1, 3)):
            at = rng.randint(0, len(new))
            new = new[:at] + rng.choice(pool) + new[at:]
    elif how == "truncate":
        new = region[: rng.randrange(len(region))]
    elif how == "delimiter":
        old = rng.choice([b"*", b":", b"~", b"^", b"\n"])
        repl = rng.choice([b"|", b"*", b"~", b"", b"\n", b">", b"\x1d", b"\xc9", b"\r\n", b":"])
        new = region.replace(old, repl)
    else:
        spans = [s for s in _segment_spans(region) if s[1] > s[0]]
        if not spans:
            return "none", data
        start, end = rng.choice(spans)
        segment = region[start:end]
        if how == "duplicate":
            new = region[:end] + b"~" + segment + region[end:]
        elif how == "delete":
            new = region[:start] + region[end + 1 :]
        elif how in ("huge_number", "huge_element", "value"):
            if how == "huge_number":
                els = segment.split(b"*")
                numeric = [i for i, e in enumerate(els) if i and re.fullmatch(rb"-?[0-9.]+", e)]
                if not numeric:
                    return "none", data
                els[rng.choice(numeric)] = _numeric(rng)
                segment = b"*".join(els)
            elif how == "huge_element":
                els = segment.split(b"*")
                k = rng.randrange(1, len(els)) if len(els) > 1 else 1
                huge = b"A" * rng.choice([100, 10_000, 300_000])
                els[k : k + 1] = [huge]
                segment = b"*".join(els)
            else:
                segment = mutate_value(rng, segment)
            new = region[:start] + segment + region[end:]
        else:  # pragma: no cover - every choice is handled above
            raise AssertionError(how)
    return how, data[:lo] + new + data[hi:]


def cases(test: str, n: int, seeds: dict[str, bytes]) -> Iterator[tuple[str, str, bytes]]:
    """``n`` seeded cases ``(case id, mutation, bytes)`` over every seed file."""
    names = sorted(seeds)
    for i in range(n):
        rng = random.Random(f"{SEED}/{test}/{i}")
        name = rng.choice(names)
        how, data = mutate(rng, seeds[name])
        yield f"{test}/{i} {name} {how}", how, data


# ------------------------------------------------------------------ checks


def printable(text: str | None) -> bool:
    return text is None or (text.isascii() and text.isprintable())


def check_result(result: ParseResult, case: str) -> None:
    """What every parse must give: records safe to show and store, rows the spool takes."""
    for e in [*result.errors, *result.warnings]:
        assert e.message and printable(e.bad_value), (case, e)
        for text in (e.message, e.segment_id, e.isa13, e.gs06, e.st02, e.context):
            # printable (a message may hold "…"), so never a control character or a surrogate
            assert text is None or text.isprintable(), (case, e)
        assert e.bad_value is None or len(e.bad_value) <= 99, case
    for txn in result.transactions:
        for text in (txn.isa13, txn.gs06, txn.st02, txn.guide):
            assert text is None or printable(text), (case, txn)
    for name, rows in result.tables.items():
        if rows:
            table = TABLES_BY_NAME[name]
            rows_to_arrow(table, rows, spool_columns(table))  # raises on a surrogate, a
            # decimal beyond DECIMAL(18,2) or an integer beyond BIGINT


def test_collect_mode_never_raises_and_everything_it_gives_can_be_stored(
    seeds: dict[str, bytes], tmp_path: Path
) -> None:
    spooled = 0
    path = tmp_path / "fuzz.x12"
    for i, (case, _, data) in enumerate(cases("collect", 400, seeds)):
        path.write_bytes(data)
        result = parse_file(path, file_id="fuzz")  # collect mode: nothing is raised
        check_result(result, case)
        try:
            ack = write_999(result)
        except X12Error:
            pass  # e.g. nothing to acknowledge: claimflow's own error
        else:
            ack.decode("ascii")
        with contextlib.suppress(X12Error):  # strict mode raises claimflow's own errors only
            parse_bytes(data, file_id="fuzz", level=ErrorLevel.STRICT)
        if i % 5 == 0:  # the pipeline's adapter (the spool's Parquet files) on a fifth
            with contextlib.suppress(UnreadableFileError):  # claimflow's own: "not X12"
                spool_parse(str(path), f"f{i}", "x12", str(tmp_path)).remove()
            spooled += 1
    assert spooled == 80


# ------------------------------------------------------------------ confinement


def _value_rows(
    result: ParseResult, tables: tuple[str, ...], keep: Callable[[Row], bool]
) -> dict[str, list[Row]]:
    return {
        t: [{k: v for k, v in r.items() if k not in KEYS} for r in result.tables[t] if keep(r)]
        for t in tables
    }


def _body(data: bytes, n: int) -> tuple[int, int]:
    """Byte range of the ``n``-th set's segments between its ST and its SE (exclusive)."""
    starts = [m.start() for m in re.finditer(rb"(?<=~\n)ST\*", data)]
    st = starts[n]
    first = data.index(b"~\n", st) + 2
    se = data.index(b"SE*", first)
    return first, se


def _ids(data: bytes) -> list[str]:
    return ["*".join(els) for _, els in iter_segments(data)]


ENVELOPE = {"ISA", "IEA", "GS", "GE", "ST", "SE"}


@pytest.mark.parametrize(
    ("seed", "tables"),
    [
        ("837p_three_sets", ("claims_header", "claims_line", "diagnoses")),
        ("835_three_sets", ("payments", "adjudication", "adjudication_line", "adjustments")),
    ],
)
def test_a_mutation_inside_one_set_leaves_the_other_sets_as_they_were(
    seeds: dict[str, bytes], seed: str, tables: tuple[str, ...]
) -> None:
    data = seeds[seed]
    base = parse_bytes(data, file_id="f")
    before = _ids(data)
    checked = 0
    for i in range(120):
        rng = random.Random(f"{SEED}/confined/{seed}/{i}")
        k = rng.randrange(3)
        lo, hi = _body(data, k)
        how, mutated = mutate(rng, data, lo, hi)
        case = f"confined/{seed}/{i} set {k} {how}"
        # confined as the reader sees it: the segments outside set k's body are the same, and
        # none inside it is an envelope segment (a flip can make one; then the case is skipped)
        after = _ids(mutated)
        head = len(_ids(data[:lo]))
        tail = len(before) - len(_ids(data[:hi]))
        inside = after[head : len(after) - tail]
        if (
            after[:head] != before[:head]
            or after[len(after) - tail :] != before[len(before) - tail :]
            or any(s.split("*")[0] in ENVELOPE for s in inside)
        ):
            continue
        checked += 1
        result = parse_bytes(mutated, file_id="f")
        check_result(result, case)
        assert len(result.transactions) == 3, case
        for j in (0, 1, 2):
            if j == k:
                continue
            txn, was = result.transactions[j], base.transactions[j]
            assert txn.valid and result.errors_for(txn) == [], (case, result.errors_for(txn))
            for table in tables:
                got = [
                    {c: v for c, v in r.items() if c not in KEYS}
                    for r in result.rows_for(txn, table)
                ]
                want = [
                    {c: v for c, v in r.items() if c not in KEYS} for r in base.rows_for(was, table)
                ]
                assert got == want, (case, table)
    assert checked >= 100, checked


def test_a_value_mutated_inside_one_claim_leaves_the_claims_around_it(
    seeds: dict[str, bytes],
) -> None:
    data = seeds["837p_three_claims"]
    base = parse_bytes(data, file_id="f")
    second = data.index(b"CLM*PCN001B")
    third = data.index(b"CLM*PCN001C")
    spans = [(second + s, second + e) for s, e in _segment_spans(data[second:third])]
    tables = ("claims_header", "claims_line", "diagnoses")

    def around(result: ParseResult) -> dict[str, list[Row]]:
        claims = {
            r["claim_id"]
            for r in result.tables["claims_header"]
            if r["patient_control_number"] in ("PCN001A", "PCN001C")
        }
        assert len(claims) == 2
        return _value_rows(result, tables, lambda r: r["claim_id"] in claims)

    want = around(base)
    assert [len(rows) for rows in want.values()] == [2, 4, 4]
    for i in range(80):
        rng = random.Random(f"{SEED}/claim/{i}")
        start, end = rng.choice(spans)
        mutated = data[:start] + mutate_value(rng, data[start:end]) + data[end:]
        result = parse_bytes(mutated, file_id="f")
        case = f"claim/{i}: {mutated[start : start + 60]!r}"
        check_result(result, case)
        assert around(result) == want, case
        assert len(result.tables["claims_header"]) == 3, case


# ------------------------------------------------------------------ the compiled fast path


def _arrow_tables(result: ParseResult) -> dict[str, pa.Table]:
    out = {}
    for name, rows in result.tables.items():
        if rows:
            table = TABLES_BY_NAME[name]
            out[name] = rows_to_arrow(table, rows, spool_columns(table))
    return out


@pytest.mark.skipif(not native.available(), reason="the compiled fast path is not built")
def test_the_fast_path_gives_up_or_gives_the_engines_rows(
    seeds: dict[str, bytes], tmp_path: Path
) -> None:
    fast_seeds = {k: v for k, v in seeds.items() if "835" in k or "837p" in k}
    taken = 0
    for case, _, data in cases("fast", 250, fast_seeds):
        path = tmp_path / "fast.x12"
        path.write_bytes(data)
        batches: dict[str, list[pa.Table]] = {}

        def take(name: str, table: pa.Table, into: dict[str, list[pa.Table]] = batches) -> None:
            into.setdefault(name, []).append(table)

        fast = native.parse_fast(path, "f", "x12", take)
        if fast is None:
            continue
        taken += 1
        slow = parse_bytes(data, file_id="f")
        assert slow.errors == [] and slow.warnings == [], (case, slow.errors[:2], slow.warnings[:2])
        want = _arrow_tables(slow)
        assert sorted(batches) == sorted(want), case
        for name, table in want.items():
            assert pa.concat_tables(batches[name]).equals(table), (case, name)
        assert fast.transactions == slow.transactions, case
    assert taken >= 5, (
        taken
    )  # some mutations leave a file clean (a duplicated DTM, a flip in a name)


def test_unclean_bytes_always_send_the_file_to_the_engine(tmp_path: Path) -> None:
    if not native.available():
        pytest.skip("the compiled fast path is not built")
    for raw in [*NON_ASCII, *CONTROL, *(c.encode() for c in UTF8)]:
        path = tmp_path / "unclean.x12"
        path.write_bytes(SMALL_835.replace(b"ACME HEALTH", b"ACME" + raw + b"HEALTH"))
        assert native.give_up_reason(path) is not None, raw
        parsed = spool_parse(str(path), "u", "x12", str(tmp_path))
        assert not parsed.fast_path
        errors = [(e.code, e.segment_id) for e in parsed.result.errors]
        assert errors == ([] if raw in (b"\n", b"\r") else [("element_invalid_character", "N1")])
        parsed.remove()
    for value in (b"9" * 19, b"1" + b"0" * 18 + b".5"):
        path = tmp_path / "units.x12"
        path.write_bytes(
            SMALL_835.replace(
                b"SVC*HC:85025*50.00*30.00**1~", b"SVC*HC:85025*50.00*30.00**" + value + b"~"
            )
        )
        assert native.give_up_reason(path) is not None, value


# ------------------------------------------------------------------ the CLI


def test_x12_parse_and_validate_never_print_a_traceback(
    seeds: dict[str, bytes], tmp_path: Path
) -> None:
    for i, (case, _, data) in enumerate(cases("cli", 30, seeds)):
        path = tmp_path / f"case{i}.x12"
        path.write_bytes(data)
        checked = cli("x12", "validate", str(path))
        assert checked.exit_code in (0, 3), (case, checked.exit_code, checked.stderr[-500:])
        assert "Traceback" not in checked.stdout + checked.stderr, case
        if checked.exit_code == 3:
            assert str(path) in checked.stdout.replace("\n", ""), case
        parsed = cli("x12", "parse", str(path), "--out", str(tmp_path / f"out{i}"))
        assert parsed.exit_code in (0, 1, 3), (case, parsed.exit_code, parsed.stderr[-500:])
        assert "Traceback" not in parsed.stdout + parsed.stderr, case
        if parsed.exit_code:
            assert str(path) in parsed.stderr.replace("\n", ""), (case, parsed.stderr)


SUBPROCESS_CASES = [
    ("latin1", SMALL_835.replace(b"N1*PR*ACME HEALTH", b"N1*PR*SEGUROS M\xc9DICOS"), "N1"),
    ("control", SMALL_837.replace(b"NM1*IL*1*DOE", b"NM1*IL*1*D\x00\x1bOE"), "NM1"),
]


@pytest.mark.parametrize(
    ("name", "data", "segment"), SUBPROCESS_CASES, ids=[c[0] for c in SUBPROCESS_CASES]
)
def test_the_commands_as_a_user_runs_them(
    tmp_path: Path, name: str, data: bytes, segment: str
) -> None:
    path = tmp_path / f"{name}.x12"
    path.write_bytes(data)
    env = {**os.environ, "COLUMNS": "200"}
    command = [sys.executable, "-m", "claimflow", "x12"]
    validate = subprocess.run(
        [*command, "validate", str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )
    assert validate.returncode == 3, validate.stderr
    assert "Traceback" not in validate.stdout + validate.stderr
    assert segment in validate.stdout and "1 error(s)" in validate.stdout
    parse = subprocess.run(
        [*command, "parse", str(path), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )
    assert parse.returncode == 3, parse.stderr
    assert "Traceback" not in parse.stdout + parse.stderr
    assert f"{path}: " in parse.stderr and "segment" in parse.stderr and segment in parse.stderr


def test_the_budget(started: list[float]) -> None:
    """The module's tests (this one runs last) stay within the time budget: CPU seconds, which
    a machine shared with other work does not inflate as it does the wall clock."""
    assert cpu_seconds() - started[0] < BUDGET_SECONDS
