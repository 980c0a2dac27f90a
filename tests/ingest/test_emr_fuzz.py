"""EMR exports mangled at random never stop a run: every file ends loaded (each of its records
loaded, quarantined or a counted duplicate) or failed with a reason, and nothing raises.

Seeded mutations of the seed's CSV and JSON exports and of a larger generated CSV — byte flips,
bytes outside UTF-8, NULs, stray quotes and delimiters, cut lines, a cut file, duplicated and
deleted lines, an over-long line, a mangled header — go through ``claimflow run`` as the user
runs it (the real CLI, in process, exceptions not caught), several files to a run, so one bad
file sits beside others. Deterministic: a failure names its case.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from tests.conftest import HEADER_ALPHA, SEED, Workspace

RUNS = 4
FILES_PER_RUN = 8

Mutation = Callable[[random.Random, bytes], bytes]


def _flip(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def _insert(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data))
    junk = rng.choice([b"\x00", b"\xff\xfe", b"\xe9", b'"', b",,", b"\r", b"\n", b"{", b"\\"])
    return data[:at] + junk * rng.randint(1, 3) + data[at:]


def _cut(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(1, len(data))]


def _lines(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    i = rng.randrange(1, max(2, len(lines)))
    choice = rng.randrange(3)
    if choice == 0:
        lines.insert(i, lines[min(i, len(lines) - 1)])  # a duplicated line
    elif choice == 1 and len(lines) > 2:
        del lines[i]
    else:
        lines.insert(i, b"x" * rng.randint(10_000, 300_000))  # an over-long line
    return b"\n".join(lines)


def _header(rng: random.Random, data: bytes) -> bytes:
    head, _, rest = data.partition(b"\n")
    names = head.split(b",")
    names[rng.randrange(len(names))] = rng.choice([b"", b"patient", b'"claim_id', b"\xe9"])
    return b",".join(names) + b"\n" + rest


MUTATIONS: tuple[Mutation, ...] = (_flip, _insert, _cut, _lines, _header)


def _generated_csv(rng: random.Random, rows: int) -> bytes:
    statuses = ("denied", "Denied", "approved", "pending", "DENIED ", "deny")
    lines = [HEADER_ALPHA]
    for n in range(rows):
        lines.append(
            f"G{n:05d},P{rng.randint(1, 999):03d},9921{rng.randint(0, 5)},"
            f"{rng.choice(['Missing modifier', 'Incorrect NPI', 'Auth required', ''])},"
            f"2025-0{rng.randint(1, 6)}-1{rng.randint(0, 9)},{rng.choice(statuses)}\n"
        )
    return "".join(lines).encode()


@pytest.mark.parametrize("run", range(RUNS))
def test_mangled_exports_never_stop_a_run(workspace: Workspace, run: int) -> None:
    ws = workspace
    rng = random.Random(f"23/emr/{run}")
    seeds = {
        "csv": [(SEED / "emr_alpha.csv").read_bytes(), _generated_csv(rng, 400)],
        "json": [(SEED / "emr_beta.json").read_bytes()],
    }
    cases = []
    for n in range(FILES_PER_RUN):
        kind = "csv" if n % 3 else "json"
        data = rng.choice(seeds[kind])
        mutation = rng.choice(MUTATIONS)
        for _ in range(rng.randint(1, 2)):
            data = mutation(rng, data) if data else data
        ws.put(f"f{n}.{kind}", data)
        cases.append(f"f{n}.{kind}: {mutation.__name__}")
    ws.put("clean.csv", (SEED / "emr_alpha.csv").read_bytes())  # a good file beside them
    ws.write_config([ws.alpha_source(), ws.beta_source()])

    result = ws.run("--json")  # the real CLI; an exception would propagate here

    where = f"run {run}: {cases}"
    assert result.exit_code in (0, 3), (where, result.stderr[-500:])
    assert "Traceback" not in result.stdout + result.stderr, where
    report = result.json()
    files = {f["path"].rsplit("/", 1)[-1]: f for f in report["files"]}
    assert len(files) == FILES_PER_RUN + 1, where
    for name, f in files.items():
        assert f["status"] in ("loaded", "failed", "skipped"), (where, name, f)
        if f["status"] == "failed":
            assert f["message"] and name not in ("clean.csv",), (where, name, f)
        assert f["rows_read"] == f["rows_loaded"] + f["rows_quarantined"] + f["rows_duplicate"], (
            where,
            name,
            f,
        )
    # the good file beside them loaded whole (duplicates of its claims may sit in a mangled
    # copy that came first: they count, they are not lost)
    clean = files["clean.csv"]
    assert clean["status"] == "loaded" and clean["rows_read"] == 5, (where, clean)
    assert clean["rows_quarantined"] == 0, (where, clean)
    # what the warehouse holds adds up to what the files say they read
    c = report["conservation"]
    assert c["rows_read"] == c["rows_loaded"] + c["rows_quarantined"] + c["rows_duplicate"]
    # and bronze holds every record read, each with where it went
    dispositions = dict(ws.query("SELECT disposition, count(*) FROM bronze_emr_rows GROUP BY ALL"))
    assert dispositions.get("loaded", 0) == c["rows_loaded"], (where, dispositions)
    assert dispositions.get("quarantined", 0) == c["rows_quarantined"], (where, dispositions)
    assert dispositions.get("duplicate", 0) == c["rows_duplicate"], (where, dispositions)
