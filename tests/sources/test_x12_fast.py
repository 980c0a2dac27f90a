"""The compiled 835/837P fast path against the Python engine, row for row.

The fast path may give up on any file (the Python engine then reads it); when it does not, its
rows, transaction sets, groups and segment count must be exactly the Python engine's, and the
Python engine must find nothing to report in that file. Inputs: the synthetic revenue cycle's
835s and 837s, the corpus's 835s and 837s, and random corruptions of valid files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claimflow.sources import x12_fast as native
from claimflow.sources.x12 import TABLES_BY_NAME, spool_columns, spool_parse
from claimflow.synth.generate import generate_world
from claimflow.warehouse.arrow import rows_to_arrow
from claimflow.x12 import parse_file
from claimflow.x12.result import ParseResult
from claimflow.x12.rules import npi_check_digit
from tests.x12.conftest import CORPUS, DATA

pytestmark = pytest.mark.skipif(
    not native.available(), reason="claimflow.x12._native was not built (no C compiler)"
)


def _fast(path: Path, file_id: str = "file-1") -> tuple[ParseResult | None, dict[str, pa.Table]]:
    batches: dict[str, list[pa.Table]] = {}
    result = native.parse_fast(
        path, file_id, "payer", lambda n, t: batches.setdefault(n, []).append(t)
    )
    return result, {name: pa.concat_tables(parts) for name, parts in batches.items()}


def _python(path: Path, file_id: str = "file-1") -> tuple[ParseResult, dict[str, pa.Table]]:
    result = parse_file(path, file_id=file_id, data_source="payer")
    tables = {}
    for name, rows in result.tables.items():
        if rows:
            table = TABLES_BY_NAME[name]
            tables[name] = rows_to_arrow(table, rows, spool_columns(table))
    return result, tables


def assert_same_as_engine(path: Path) -> bool:
    """Compare both paths on ``path``; True when the fast path took the file."""
    fast, fast_tables = _fast(path)
    slow, slow_tables = _python(path)
    if fast is None:
        return False
    assert slow.errors == [] and slow.warnings == [], (path, slow.errors[:3], slow.warnings[:3])
    assert sorted(fast_tables) == sorted(slow_tables)
    for name, expected in slow_tables.items():
        got = fast_tables[name]
        assert got.schema == expected.schema, name
        for column in expected.column_names:
            assert got[column].to_pylist() == expected[column].to_pylist(), (name, column)
    assert fast.transactions == slow.transactions
    assert fast.groups == slow.groups
    assert fast.segment_count == slow.segment_count
    return True


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate_world(out, claims=600, seed=11, start=dt.date(2025, 1, 1), months=3, workers=1)
    return out / "x12"


@pytest.fixture(scope="module")
def world_835s(world: Path) -> list[Path]:
    files = sorted((world / "835").glob("*.x12"))
    assert len(files) >= 3
    return files


@pytest.mark.parametrize("folder", ["835", "837p"])
def test_the_synthetic_files_come_out_as_the_engine_reads_them(world: Path, folder: str) -> None:
    files = sorted((world / folder).glob("*.x12"))
    assert len(files) >= 3
    taken = [assert_same_as_engine(path) for path in files]
    # the world plants broken files on purpose; the clean ones (most) take the fast path
    assert sum(taken) >= len(taken) - 2, taken


def test_institutional_claims_and_acknowledgments_go_to_the_engine(world: Path) -> None:
    for folder in ("837i", "999", "277ca"):
        for path in sorted((world / folder).glob("*.x12"))[:2]:
            assert native.give_up_reason(path) is not None, path


def _corpus_files() -> Iterator[Path]:
    for path in sorted(CORPUS.rglob("*")):
        if path.is_file() and (
            b"ST*835*" in path.read_bytes()[:4000] or b"ST*837*" in path.read_bytes()[:4000]
        ):
            yield path


@pytest.mark.parametrize("path", list(_corpus_files()), ids=lambda p: p.name)
def test_corpus_835s_and_837s_either_match_the_engine_or_go_to_it(path: Path) -> None:
    assert_same_as_engine(path)


@pytest.mark.parametrize("read_bytes,take_rows", [(1, 1), (7, 3), (105, 2), (4096, 50)])
def test_chunk_and_batch_boundaries_change_nothing(
    world_835s: list[Path], monkeypatch: pytest.MonkeyPatch, read_bytes: int, take_rows: int
) -> None:
    path = next(p for p in world_835s if native.give_up_reason(p) is None)
    expected = _fast(path)[1]
    monkeypatch.setattr(native, "READ_BYTES", read_bytes)
    monkeypatch.setattr(native, "TAKE_ROWS", take_rows)
    result, tables = _fast(path)
    assert result is not None
    assert tables.keys() == expected.keys()
    for name, table in expected.items():
        assert tables[name].equals(table), name


def _segments(data: bytes) -> list[bytes]:
    return [s for s in data.split(b"~") if s.strip()]


@st.composite
def corruptions(draw: st.DrawFn, segments: list[bytes]) -> bytes:
    """A valid 835 with one to three random edits."""
    segs = list(segments)
    for _ in range(draw(st.integers(1, 3))):
        if len(segs) < 2:
            break
        i = draw(st.integers(1, len(segs) - 1))  # keep the ISA: the reader is tested elsewhere
        edit = draw(st.sampled_from(["drop", "dup", "swap", "element", "truncate", "space"]))
        if edit == "drop":
            del segs[i]
        elif edit == "dup":
            segs.insert(i, segs[i])
        elif edit == "swap" and i + 1 < len(segs):
            segs[i], segs[i + 1] = segs[i + 1], segs[i]
        elif edit == "element":
            parts = segs[i].split(b"*")
            k = draw(st.integers(0, len(parts)))
            value = draw(
                st.sampled_from(
                    [
                        b"",
                        b"0",
                        b"-1.5",
                        b"12.345",
                        b"20250231",
                        b"20250101",
                        b"XX",
                        b"1e3",
                        b"+5",
                        b"PR",
                        b"CO",
                        b"22",
                        b"4",
                        b"A" * 90,
                        b"HC:99213:25",
                        b" 7 ",
                        b"-74606.4",
                        b"123456.605",
                        b"0.1000000001",
                        b".5",
                        b"7.",
                    ]
                )
            )
            if k < len(parts):
                parts[k] = value
            else:
                parts.append(value)
            segs[i] = b"*".join(parts)
        elif edit == "truncate":
            segs = segs[:i]
        else:
            segs[i] = b"\r\n  " + segs[i] + b" \n"
    return b"~".join(segs) + b"~"


_SMALL = (DATA / "valid" / "835_small.x12").read_bytes()
# the small 837P's rendering NPI fails its check digit (the engine warns, so the fast path
# would always give up): give it the right check digit
_SMALL_837P = (
    (DATA / "valid" / "837p_small.x12")
    .read_bytes()
    .replace(b"1987654321", f"198765432{npi_check_digit('198765432')}".encode())
)


def test_both_small_files_take_the_fast_path(tmp_path: Path) -> None:
    for name, data in (("835.x12", _SMALL), ("837p.x12", _SMALL_837P)):
        path = tmp_path / name
        path.write_bytes(data)
        assert native.give_up_reason(path) is None
        assert assert_same_as_engine(path)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.sampled_from([_SMALL, _SMALL_837P]).flatmap(lambda d: corruptions(_segments(d))))
def test_corrupted_files_match_the_engine_or_go_to_it(
    data: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("corrupt") / "bad.x12"
    path.write_bytes(data)
    assert_same_as_engine(path)


def test_an_unbalanced_claim_goes_to_the_engine_which_reports_it(tmp_path: Path) -> None:
    data = _SMALL.decode()
    start = data.index("CLP*")
    end = data.index("~", start)
    fields = data[start:end].split("*")
    fields[3] = str(float(fields[3]) + 1)  # CLP03 one dollar higher: charge − paid ≠ Σ CAS
    path = tmp_path / "unbalanced.x12"
    path.write_text(data[:start] + "*".join(fields) + data[end:])
    assert native.give_up_reason(path) is not None
    result, _ = _python(path)
    assert "claim_balance" in {e.code for e in result.errors}
    spooled = spool_parse(str(path), "f", "payer", str(tmp_path))
    assert "claim_balance" in {e.code for e in spooled.result.errors}
    spooled.remove()


def test_a_warning_sends_the_file_to_the_engine() -> None:
    reason = native.give_up_reason(DATA / "valid" / "837p_small.x12")
    assert reason is not None and "NPI" in reason
    result, _ = _python(DATA / "valid" / "837p_small.x12")
    assert [w.code for w in result.warnings] == ["npi_check_digit"]


def test_the_spool_holds_the_same_rows_with_and_without_the_fast_path(
    world_835s: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = next(p for p in world_835s if native.give_up_reason(p) is None)

    def spool(switch: str) -> dict[str, pa.Table]:
        monkeypatch.setenv("CLAIMFLOW_X12_NATIVE", switch)
        parsed = spool_parse(str(path), "f", "payer", str(tmp_path / switch))
        assert parsed.fast_path is (switch == "1")
        tables = {
            n: pa.concat_tables([pq.read_table(p) for p in ps]) for n, ps in parsed.files.items()
        }
        parsed.remove()
        return tables

    (tmp_path / "1").mkdir()
    (tmp_path / "0").mkdir()
    fast, slow = spool("1"), spool("0")
    assert fast.keys() == slow.keys()
    for name in slow:
        assert fast[name].equals(slow[name]), name


@pytest.mark.parametrize("hardware", [True, False])
def test_sha256_matches_hashlib(hardware: bool) -> None:
    from claimflow.x12 import _native  # type: ignore[attr-defined]

    rng = random.Random(5)
    try:
        _native.use_sha_extensions(hardware)
        for size in [*range(0, 140), 1000, 4096, 65537]:
            data = rng.randbytes(size)
            assert _native.sha256_hex(data) == hashlib.sha256(data).hexdigest(), size
    finally:
        _native.use_sha_extensions(True)


def test_quantities_are_the_nearest_double_on_both_paths(tmp_path: Path) -> None:
    # SVC05 (units paid) = 74606.4: Arrow's decimal-to-double cast gives 74606.40000000001;
    # both paths store float("74606.4")
    text = _SMALL.decode().replace(
        "SVC*HC:85025*50.00*30.00**1", "SVC*HC:85025*50.00*30.00**74606.4"
    )
    path = tmp_path / "units.x12"
    path.write_text(text)
    assert assert_same_as_engine(path)
    _, tables = _fast(path)
    assert tables["adjudication_line"]["units_paid"].to_pylist()[1] == float("74606.4")


def test_interchanges_with_their_own_delimiters_and_line_endings(tmp_path: Path) -> None:
    # the small 835 as written, then again with | ^ ! delimiters and CRLF after each segment:
    # one file, two interchanges, each read with its own delimiters, as the engine reads them
    text = _SMALL.decode()
    other = text.replace("*", "|").replace(":", "^").replace("~\n", "!\r\n")
    assert other[103:106] == "|^!"  # ISA16 and the terminator: the ISA is still 106 characters
    path = tmp_path / "two.x12"
    path.write_text(text + "\n" + other, newline="")
    assert native.give_up_reason(path) is None
    assert assert_same_as_engine(path)
    result, tables = _fast(path)
    assert result is not None and len(result.transactions) == 2
    assert tables["adjudication"].num_rows == 2 * _SMALL.count(b"CLP*")
