"""The command line as a user meets it: exit codes, JSON, errors without tracebacks, no PHI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import HEADER_ALPHA, REPO, Workspace, cli

PATIENTS = ("PX-4471", "PX-9902")


def _phi_inbox(ws: Workspace) -> None:
    ws.put(
        "phi.csv",
        HEADER_ALPHA
        + f"C1,{PATIENTS[0]},99213,Missing modifier,2025-07-01,denied\n"
        + f"C2,{PATIENTS[1]},99213,Missing modifier,2025-13-45,denied\n"  # quarantined
        + f"C3,{PATIENTS[1]},99213,Missing modifier,2025-07-01,bogus\n",  # quarantined
    )
    ws.write_config([ws.alpha_source()])


def test_usage_errors_exit_2() -> None:
    assert cli("run").exit_code == 2  # --config missing
    bad_date = cli("run", "--config", "x.yaml", "--reference-date", "30/07/2025")
    assert bad_date.exit_code == 2
    assert "YYYY-MM-DD" in bad_date.stderr


def test_missing_config_is_an_error_without_traceback(tmp_path: Path) -> None:
    result = cli("run", "--config", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1
    assert "nope.yaml" in result.stderr and "Traceback" not in result.stderr


def test_quarantine_exits_3_and_json_reports_counts(workspace: Workspace) -> None:
    _phi_inbox(workspace)
    result = workspace.run("--json")
    assert result.exit_code == 3
    m = result.json()
    assert m["status"] == "finished_with_quarantine"
    c = m["conservation"]
    assert (c["rows_read"], c["rows_loaded"], c["rows_quarantined"]) == (3, 1, 2)


@pytest.mark.parametrize("verbose_last", [False, True])
def test_no_patient_identifier_in_logs_or_messages(
    workspace: Workspace, verbose_last: bool
) -> None:
    _phi_inbox(workspace)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMFLOW")}
    run = ["run", "--config", str(workspace.config), "--warehouse", str(workspace.warehouse),
           "--out", str(workspace.out), "--reference-date", "2025-07-30"]  # fmt: skip
    proc = subprocess.run(
        # -v before the command, as the help shows it, or after it, as people type it
        [sys.executable, "-m", "claimflow", *([*run, "-v"] if verbose_last else ["-v", *run])],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 3, proc.stderr
    assert "status=loaded" in proc.stderr  # the verbose log did run
    for patient in PATIENTS:
        assert patient not in proc.stderr
        assert patient not in proc.stdout


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).parent / "claimflow"
    proc = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0
    for command in ("run", "lineage"):
        assert command in proc.stdout


def test_an_emr_run_imports_no_x12_engine_pyarrow_or_model_libraries(workspace: Workspace) -> None:
    ws = workspace
    ws.put("a.csv", HEADER_ALPHA + "C1,P1,99213,Missing modifier,2025-07-01,denied\n")
    ws.write_config([ws.alpha_source()])
    heavy = ("pyarrow", "claimflow.x12", "claimflow.sources.x12", "claimflow.synth",
             "claimflow.api", "sklearn", "streamlit", "fastapi")  # fmt: skip
    script = (
        "import sys\n"
        "from claimflow.cli import main\n"
        f"sys.argv = ['claimflow', 'run', '--config', {str(ws.config)!r}, '--warehouse',"
        f" {str(ws.warehouse)!r}, '--out', {str(ws.out)!r}, '--reference-date', '2025-07-30']\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
        f"print(code, sorted(m for m in sys.modules if m.startswith({heavy!r})))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, cwd=REPO
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "0 []"


def test_help_lists_every_command_in_order_and_a_lazy_group_still_runs(tmp_path: Path) -> None:
    result = cli("--help")
    assert result.exit_code == 0
    listed = [
        line.split()[1]
        for line in result.stdout.splitlines()
        if line.startswith("│ ") and len(line.split()) > 2
    ]
    # synth is a group (its default generates the revenue cycle; `synth appeals` the appeal
    # cases): listed with the groups
    commands = ["api", "worklist", "alerts", "report", "lineage", "kpi", "version", "run",
                "resubmit", "dashboard", "synth", "x12", "reference", "denials", "appeal",
                "export"]  # fmt: skip
    assert [c for c in listed if c in commands] == commands
    warehouse = str(tmp_path / "w.duckdb")
    lookup = cli("reference", "lookup", "carc", "45", "--warehouse", warehouse, "--json")
    assert lookup.exit_code == 0, lookup.stderr
    assert "45" in lookup.stdout


def test_run_ids_sort_in_the_order_the_runs_started() -> None:
    import datetime as dt

    from claimflow.pipeline import new_run_id

    start = dt.datetime(2025, 7, 30, 12, 0, 0, 1)
    # two runs within one second, many times: the later one always sorts last
    for step in range(1, 200):
        later = start + dt.timedelta(microseconds=step)
        assert new_run_id(start) < new_run_id(later)


def test_the_readme_lists_every_command_of_the_help() -> None:
    listed = [
        line.split()[1]
        for line in cli("--help").stdout.splitlines()
        if line.startswith("│ ") and len(line.split()) > 2 and line.split()[1].isalpha()
    ]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("## Commands") :]
    block = block[: block.index("```", block.index("```") + 3)]
    documented = {
        word
        for line in block.splitlines()
        if line.startswith("claimflow ")
        for part in line.split("#")[0].split(" | ")
        for word in [part.split()[1] if part.startswith("claimflow ") else part.split()[0]]
    }
    assert "run" in listed and "report" in listed
    assert sorted(set(listed) - documented) == []
