"""Outputs: the append-only rejection log, atomic files, and the eligibility policy over time."""

from __future__ import annotations

import csv
import json
import random

from tests.conftest import HEADER_ALPHA, Workspace


def test_rejection_log_is_append_only_with_one_header(workspace: Workspace) -> None:
    ws = workspace
    ws.put("d1.csv", HEADER_ALPHA + "C1,P1,99213,Authorization expired,2025-07-01,denied\n")
    ws.write_config([ws.alpha_source()])
    ws.run()
    log = ws.out / "rejection_log.csv"
    first = log.read_bytes()
    ws.put("d2.csv", HEADER_ALPHA + "C2,P2,99213,Duplicate claim,2025-07-02,denied\n")
    ws.run()
    second = log.read_bytes()
    assert second.startswith(first)
    lines = second.decode().splitlines()
    assert lines[0].startswith("run_id,") and sum(1 for x in lines if x.startswith("run_id,")) == 1
    assert [line.split(",")[2] for line in lines[1:]] == ["C1", "C2"]
    assert len({line.split(",")[0] for line in lines[1:]}) == 2  # two runs
    leftovers = [p.name for p in ws.out.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_too_recent_waits_then_becomes_a_candidate(workspace: Workspace) -> None:
    ws = workspace
    ws.put("r.csv", HEADER_ALPHA + "C1,P1,99213,Missing modifier,2025-07-25,denied\n")
    ws.write_config([ws.alpha_source()])
    early = ws.run("--json", reference_date="2025-07-30").json()
    assert early["exclusion_reasons"] == {"too_recent": 1}
    assert early["rejection_log_appended"] == 0  # waiting is not a rejection
    assert ws.candidates() == []
    # exactly 7 days is still too recent; more than 7 is not
    assert ws.run("--json", reference_date="2025-08-01").json()["flagged_for_resubmission"] == 0
    later = ws.run("--json", reference_date="2025-08-02").json()
    assert later["flagged_for_resubmission"] == 1
    assert [c["claim_id"] for c in ws.candidates()] == ["C1"]


def test_precedence_of_exclusion_reasons(workspace: Workspace) -> None:
    ws = workspace
    ws.put(
        "p.csv",
        HEADER_ALPHA
        # no patient, too recent: too_recent wins (later in the precedence)
        + "C1,,99213,Missing modifier,2025-07-28,denied\n"
        # no patient, no date: missing_submitted_at wins
        + "C2,,99213,Missing modifier,,denied\n"
        # non-retryable and too recent: non_retryable wins
        + "C3,P3,99213,Authorization expired,2025-07-29,denied\n"
        # no denial text at all: missing_denial_reason wins over everything
        + "C4,,99213,,,denied\n"
        # ambiguous text, otherwise fine: ambiguous
        + "C5,P5,99213,incorrect procedure,2025-07-01,denied\n"
        # approved with no patient: not_denied
        + "C6,,99213,,2025-07-01,approved\n",
    )
    ws.write_config([ws.alpha_source()])
    ws.run()
    import json

    (metrics,) = ws.metrics()
    assert metrics["exclusion_reasons"] == {
        "too_recent": 1,
        "missing_submitted_at": 1,
        "non_retryable": 1,
        "missing_denial_reason": 1,
        "ambiguous": 1,
        "not_denied": 1,
    }
    logged = {
        line.split(",")[2]: line.split(",")[4]
        for line in (ws.out / "rejection_log.csv").read_text().splitlines()[1:]
    }
    assert logged == {
        "C2": "missing_submitted_at",
        "C3": "non_retryable",
        "C4": "missing_denial_reason",
        "C5": "ambiguous",
    }
    assert json.loads((ws.out / "resubmission_candidates.json").read_text()) == []


def test_files_are_in_claim_order_past_one_row_group(workspace: Workspace) -> None:
    """The candidates and the log's lines are written in the decisions' order, not re-sorted:
    with far more rows than DuckDB's row group (122,880) and claim ids shuffled in the file,
    both files still come out in source system and claim id order."""
    ws = workspace
    rng = random.Random(7)
    numbers = list(range(300_000))
    rng.shuffle(numbers)
    kinds = {  # claim number % 4 -> (patient, denial text): a candidate, then three log reasons
        0: ("P1", "Missing modifier"),
        1: ("P1", "Authorization expired"),
        2: ("", "Missing modifier"),
        3: ("P1", "incorrect procedure"),
    }
    rows = [
        f"C{n:07d},{kinds[n % 4][0]},99213,{kinds[n % 4][1]},2025-07-01,denied\n" for n in numbers
    ]
    ws.put("big.csv", HEADER_ALPHA + "".join(rows))
    ws.put(
        "small.json",
        json.dumps(
            [
                {
                    "id": "B1",
                    "member": "M1",
                    "error_msg": "Missing modifier",
                    "date": "2025-07-01",
                    "status": "denied",
                    "code": "99213",
                }
            ]
        ),
    )
    ws.write_config([ws.alpha_source(), ws.beta_source()])
    ws.run()

    candidates = [(c["source_system"], c["claim_id"]) for c in ws.candidates()]
    expected = [("alpha", f"C{n:07d}") for n in range(0, 300_000, 4)] + [("beta", "B1")]
    assert candidates == expected
    with (ws.out / "rejection_log.csv").open(newline="") as handle:
        logged = [(r["source_system"], r["claim_id"]) for r in csv.DictReader(handle)]
    assert logged == [("alpha", f"C{n:07d}") for n in range(300_000) if n % 4]


def test_denial_texts_reach_both_files_exactly_whatever_their_characters(
    workspace: Workspace,
) -> None:
    import io

    ws = workspace
    texts = {
        "Q1": 'It\'s "unclear", see notes',
        "Q2": "Réclamation refusée — voir l'avis",
        "Q3": "back\\slash; semi, comma 'quote'",
        "Q4": "Prior auth required",
    }
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER_ALPHA.strip().split(","))
    for claim, text in texts.items():
        writer.writerow([claim, f"P{claim}", "99213", text, "2025-07-01", "denied"])
    ws.put("q.csv", buffer.getvalue())
    ws.write_config([ws.alpha_source()])
    assert ws.run().exit_code == 0
    with (ws.out / "rejection_log.csv").open(newline="", encoding="utf-8") as handle:
        logged = {row["claim_id"]: row["denial_reason"] for row in csv.DictReader(handle)}
    candidates = {c["claim_id"]: c["denial_reason"] for c in ws.candidates()}
    assert {**logged, **candidates} == texts
    assert set(candidates) == {"Q4"}
