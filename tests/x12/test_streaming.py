"""Streaming mode: rows handed to ``on_rows`` in batches equal the in-memory tables."""

from __future__ import annotations

import io

import pytest

from claimflow.x12 import parse_bytes, parse_file, parse_stream
from claimflow.x12 import parser as parser_module

from .conftest import CORPUS, DATA

FILES = [
    CORPUS / "imsweb__x12-parser/src__test__resources__837_5010__x12_many_claims.txt",
    CORPUS / "Inteligenz__X12Parser/tests__OopFactory.X12.Tests.Unit__Parsing___SampleEdiFiles"
    "__INS___835___5010__ExampleFromNth.txt",
    DATA / "valid" / "835_small.x12",
]


@pytest.mark.parametrize("path", FILES, ids=[p.name[-40:] for p in FILES])
def test_streamed_rows_equal_in_memory_rows(path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parser_module, "FLUSH_ROWS", 50)
    data = path.read_bytes()  # type: ignore[attr-defined]
    whole = parse_bytes(data, file_id="f")
    streamed: dict[str, list[dict[str, object]]] = {}
    calls = 0

    def sink(table: str, rows: list[dict[str, object]]) -> None:
        nonlocal calls
        calls += 1
        streamed.setdefault(table, []).extend(rows)

    result = parse_stream(io.BytesIO(data), file_id="f", on_rows=sink, chunk_size=4096)
    assert all(not rows for rows in result.tables.values())
    assert {t: r for t, r in whole.tables.items() if r} == streamed
    assert result.errors == whole.errors
    assert calls >= 2


def test_streaming_from_disk_in_small_chunks() -> None:
    path = FILES[0]
    got: list[dict[str, object]] = []
    parse_file(
        path,
        file_id="f",
        on_rows=lambda t, rows: got.extend(rows) if t == "claims_header" else None,
    )
    assert len(got) == 820
