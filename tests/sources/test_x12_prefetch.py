"""The X12 parse workers: spawned processes that never re-run the host's main script."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from claimflow.sources.x12 import X12Prefetch
from tests.conftest import REPO

SMALL_835 = next((REPO / "tests" / "data" / "x12" / "corpus").glob("*/*X221*835*case__2.edi"))


def test_workers_do_not_run_the_hosts_main_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A host whose __main__ must not run twice (Streamlit runs the dashboard as __main__):
    # a spawned worker that re-imported it would write the marker and die.
    marker = tmp_path / "ran-twice"
    script = tmp_path / "host.py"
    script.write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('x')\nraise SystemExit(1)\n"
    )
    host = types.ModuleType("__main__")
    host.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", host)
    prefetch = X12Prefetch(workers=2)
    try:
        prefetch.add(SMALL_835, "f1", "x12")
        parsed = prefetch.result(SMALL_835, "f1", "x12")
    finally:
        prefetch.close()
    assert parsed.rows["adjudication"] == 2
    assert not marker.exists()
    assert sys.modules["__main__"] is host
    assert not Path(prefetch.spool_dir).exists()
