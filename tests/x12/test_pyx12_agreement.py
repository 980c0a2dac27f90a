"""Cross-check with a peer: what pyx12 calls valid among the corpus 837s, we call valid too,
and the 999 we write for it accepts every transaction set."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from claimflow.x12 import parse_bytes, parse_file, write_999

CORPUS = Path(__file__).resolve().parents[1] / "data" / "x12" / "corpus"
X12VALID = Path(sys.executable).parent / "x12valid"


def _corpus_837s() -> list[Path]:
    with (CORPUS / "MANIFEST.tsv").open() as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return [CORPUS / r["file"] for r in rows if r["transaction_set"].startswith("837")]


def _pyx12_valid(path: Path) -> bool:
    """pyx12 exits 1 even on valid files: its verdict is the absence of ERROR lines.

    x12valid writes its 997 beside its input, so it reads a copy in a scratch folder (the
    corpus holds .997 files of its own).
    """
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / path.name
        shutil.copyfile(path, copy)
        proc = subprocess.run(
            [str(X12VALID), str(copy)], capture_output=True, text=True, check=False, cwd=scratch
        )
    text = proc.stdout + proc.stderr
    return "Traceback" not in text and not any(" ERROR " in line for line in text.splitlines())


def test_what_pyx12_accepts_we_accept() -> None:
    files = _corpus_837s()
    assert len(files) > 50
    pyx12_valid = [f for f in files if _pyx12_valid(f)]
    assert len(pyx12_valid) >= 10, "pyx12 ran and accepted the clean corpus 837s"
    disagreements = []
    for path in pyx12_valid:
        ours = parse_file(path, file_id=path.name)
        ack = parse_bytes(write_999(ours), file_id="ack").tables["ack_999"]
        if ours.errors or any(a["transaction_ack_code"] != "A" for a in ack):
            disagreements.append((path.name, [e.code for e in ours.errors][:3]))
    assert disagreements == []


@pytest.mark.parametrize("name", ["x12_segment_errors.txt", "x12_missing_elements.txt"])
def test_files_pyx12_rejects_for_structure_we_reject_too(name: str) -> None:
    path = CORPUS / "imsweb__x12-parser" / f"src__test__resources__837_5010__{name}"
    assert not _pyx12_valid(path)
    ours = parse_file(path, file_id=name)
    ack = parse_bytes(write_999(ours), file_id="ack").tables["ack_999"]
    assert ours.errors and {a["transaction_ack_code"] for a in ack} == {"R"}
