"""De-identified exports (issue 21, docs/security.md): a synthetic world run through the real
CLI, with planted rows (a patient aged 95, a restricted ZIP3, a name, a member id and a date of
birth in a free-text denial reason), exported by `claimflow export deidentified` and `claimflow
export tuva --deidentify`; every identifier of the source warehouse is looked for in every
exported file, as values read back and as raw bytes, and none is found."""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from claimflow.marts.deidentify import (
    RESTRICTED_ZIP3,
    DeidentifyError,
    Keyer,
    Table,
    deidentified_select,
    zip3_sql,
)
from claimflow.secrets import SecretError, read_secret, read_secret_text
from tests.conftest import cli

SECRET = "a-test-secret-of-32-bytes-000001"
OTHER_SECRET = "another-secret-of-32-bytes-00002"
PLANTED_MEMBER = "W000037868"
PLANTED_NAME = ("JOHN", "SMITH")
PLANTED_DOB_TEXT = "1980-02-03"
PLANTED_PCN = "PLANT00001"
OLD_DOB = "19290315"  # aged 95 at a service date in 2025
RESTRICTED_ZIP = "036011234"  # 036: a restricted ZIP3 (written 000)
FREE_TEXT = (
    f"Denied for member {PLANTED_MEMBER} {' '.join(PLANTED_NAME)} DOB {PLANTED_DOB_TEXT}"
    " 692 01 zip 69201"
)


@dataclass(frozen=True)
class World:
    root: Path
    inbox: Path
    warehouse: Path
    old_pcn: str  # the claim number (CLM01) of the patient born in 1929

    def export(self, *args: str, secret: str = SECRET, out: str) -> Path:
        """``claimflow export ARGS --out ROOT/OUT`` with the secret in the environment (once:
        an export asked for again under the same name is the one written before)."""
        target = self.root / out
        if target.exists():
            return target
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("CLAIMFLOW_DEID_KEY", secret)
            result = cli("export", *args, "--out", str(target), "--warehouse", str(self.warehouse))
        assert result.exit_code == 0, result.stderr
        return target


def _plant(inbox: Path) -> str:
    """Plant the rows; return the claim number (CLM01) of the patient now born in 1929."""
    # a file of its own: not the first, whose claims a cut-off copy repeats
    x12 = [p for p in sorted((inbox / "x12" / "837p").glob("*.x12")) if "resend" not in p.name][2]
    text = x12.read_text()
    # the first subscriber of the file: born in 1929, living in a restricted ZIP3
    nm1 = re.search(r"NM1\*IL\*1\*[^~]*\*MI\*([^~*]+)~\s*N3\*[^~]*~\s*N4\*([^~*]*)\*([^~*]*)"
                    r"\*([^~*]*)~\s*DMG\*D8\*(\d{8})", text)  # fmt: skip
    assert nm1 is not None
    start, end = nm1.span()
    planted = nm1.group(0)
    planted = re.sub(rf"\*{nm1.group(4)}~(\s*)DMG", rf"*{RESTRICTED_ZIP}~\1DMG", planted)
    planted = planted.replace(f"DMG*D8*{nm1.group(5)}", f"DMG*D8*{OLD_DOB}")
    x12.write_text(text[:start] + planted + text[end:])
    clm = re.search(r"CLM\*([^*~]+)\*", text[end:])
    assert clm is not None
    # a free-text denial reason naming a patient, a member id and a birth date
    alpha = sorted((inbox / "emr").glob("alpha_*.csv"))[-1]
    with alpha.open("a", encoding="utf-8") as handle:
        handle.write(
            f"{PLANTED_PCN},{PLANTED_MEMBER},99213,{FREE_TEXT},2025-02-10,denied,04412,"
            "1763368853,1957940285,180.00,90.00,2025-02-03,\n"
        )
    return clm.group(1)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("deid")
    inbox = root / "inbox"
    synth = cli("synth", "--claims", "300", "--months", "2", "--out", str(inbox))
    assert synth.exit_code == 0, synth.stderr
    old_pcn = _plant(inbox)
    warehouse = root / "claimflow.duckdb"
    run = cli(
        "run", "--config", str(inbox / "claimflow.yaml"), "--warehouse", str(warehouse),
        "--out", str(root / "out"), "--reference-date", "2025-03-20",
    )  # fmt: skip
    assert run.exit_code in (0, 3), run.stderr
    return World(root, inbox, warehouse, old_pcn)


# ---------------------------------------------------------------- what the source holds


def _source_identifiers(world: World) -> dict[str, set[str]]:
    """Every identifier the source holds, by kind, as text (a copy: callers narrow it)."""
    if not _IDENTIFIERS:
        _IDENTIFIERS.update(_read_identifiers(world))
    return {kind: set(values) for kind, values in _IDENTIFIERS.items()}


_IDENTIFIERS: dict[str, set[str]] = {}


def _read_identifiers(world: World) -> dict[str, set[str]]:
    conn = duckdb.connect(str(world.warehouse), read_only=True)
    try:

        def values(sql: str) -> set[str]:
            return {str(r[0]).strip() for r in conn.execute(sql).fetchall() if r[0] is not None}

        ids = values("""
            SELECT member_id FROM claims_header UNION SELECT person_id FROM claims_header
            UNION SELECT patient_control_number FROM claims_header
            UNION SELECT medical_record_number FROM claims_header
            UNION SELECT prior_auth_number FROM claims_header
            UNION SELECT referral_number FROM claims_header
            UNION SELECT original_payer_claim_control_number FROM claims_header
            UNION SELECT clearinghouse_trace_number FROM claims_header
            UNION SELECT group_number FROM claims_header
            UNION SELECT claim_id FROM claims_header UNION SELECT lineage_hash FROM claims_header
            UNION SELECT claim_line_id FROM claims_line
            UNION SELECT line_item_control_number FROM claims_line
            UNION SELECT patient_control_number FROM adjudication
            UNION SELECT payer_claim_control_number FROM adjudication
            UNION SELECT patient_member_id FROM adjudication
            UNION SELECT insured_member_id FROM adjudication
            UNION SELECT corrected_member_id FROM adjudication
            UNION SELECT mrn FROM adjudication UNION SELECT adjudication_id FROM adjudication
            UNION SELECT trace_number FROM payments
            UNION SELECT patient_control_number FROM rejection_log""")
        dobs = {
            d
            for (v,) in conn.execute(
                "SELECT DISTINCT patient_dob FROM claims_header WHERE patient_dob IS NOT NULL"
            ).fetchall()
            for d in (v.isoformat(), v.strftime("%Y%m%d"))
        }
        date_sql = " UNION ".join(
            f"SELECT {c} FROM {t}"
            for t, cols in {
                "claims_header": ("statement_from", "statement_to", "admission_date",
                                  "submission_date"),
                "claims_line": ("service_from", "service_to"),
                "adjudication": ("statement_from", "statement_to", "payer_received_date"),
                "adjudication_line": ("service_from", "service_to"),
                "payments": ("payment_date",),
            }.items()
            for c in cols
        )  # fmt: skip
        dates = {
            d
            for (v,) in conn.execute(f"SELECT * FROM ({date_sql}) WHERE 1=1").fetchall()
            if v is not None
            for d in (v.isoformat(), v.strftime("%Y%m%d"))
        }
        free_text = values("SELECT denial_reason FROM claims_header WHERE denial_reason <> ''")
    finally:
        conn.close()
    # names and addresses of patients are only in the raw files: read them there
    names: set[str] = {" ".join(PLANTED_NAME), " ".join(reversed(PLANTED_NAME))}
    zips: set[str] = {RESTRICTED_ZIP, "69201"}
    for path in (world.inbox / "x12").rglob("837*.x12"):
        text = path.read_text()
        for last, first in re.findall(r"NM1\*(?:IL|QC)\*1\*([^*~]+)\*([^*~]+)", text):
            names |= {f"{first} {last}", f"{last} {first}", f"{last}, {first}"}
        zips |= set(re.findall(r"N4\*[^*~]*\*[^*~]*\*(\d{5,9})", text))
    assert FREE_TEXT in free_text  # the planted row loaded, its free text in the warehouse
    assert OLD_DOB[:4] + "-03-15" in dobs
    return {
        "id": {i for i in ids if len(i) >= 6},
        "dob": dobs,
        "date": dates,
        "name": names,
        "zip": zips,
        "free_text": {PLANTED_MEMBER, PLANTED_DOB_TEXT, *free_text},
    }


# ---------------------------------------------------------------- what the export holds


def _exported_text(folder: Path) -> tuple[str, set[str], bytes, list[pa.Schema]]:
    """Every value of every Parquet file as text (and its tokens), the raw bytes of every file."""
    parts: list[str] = []
    raw = b""
    schemas = []
    for path in sorted(folder.iterdir()):
        raw += path.read_bytes()
        if path.suffix != ".parquet":
            parts.append(path.read_text())
            continue
        table = pq.read_table(path)
        schemas.append(table.schema)
        for column in table.columns:
            parts.extend(str(v) for v in column.to_pylist() if v is not None)
    blob = "\n".join(parts)
    tokens = set(re.split(r"[\s,;:|/*~()\[\]{}'\"`]+", blob))
    return blob, tokens, raw, schemas


def _found(
    identifiers: dict[str, set[str]],
    folder: Path,
    kinds: tuple[str, ...],
    how: tuple[str, ...] = ("values", "bytes"),
) -> list[str]:
    """The identifiers found in the export: among its values read back (a value, a word of a
    value, or within one) and in its files' raw bytes (Parquet compresses its pages, so the raw
    bytes show the footer's statistics and the manifests; the values are the full check)."""
    blob, tokens, raw, _ = _exported_text(folder)
    found = []
    for kind in kinds:
        for ident in identifiers[kind]:
            long_enough = len(ident) >= 8 or " " in ident or "-" in ident
            in_values = ident in tokens or (long_enough and ident in blob)
            in_bytes = long_enough and ident.encode() in raw
            if ("values" in how and in_values) or ("bytes" in how and in_bytes):
                found.append(f"{kind}: {ident}")
    return found


def _plain_tuva(world: World) -> Path:
    """``claimflow export tuva`` without --deidentify (once)."""
    plain = world.root / "tuva_plain"
    if not plain.exists():
        args = ("--out", str(plain), "--warehouse", str(world.warehouse))
        assert cli("export", "tuva", *args).exit_code == 0
    return plain


ALL_KINDS = ("id", "dob", "date", "name", "zip", "free_text")


def test_no_identifier_of_the_source_is_in_the_export(world: World) -> None:
    identifiers = _source_identifiers(world)
    deid = world.export("deidentified", out="deid_year")
    tuva = world.export("tuva", "--deidentify", out="tuva_year")
    files = sorted(p.name for p in deid.iterdir())
    assert "claims.parquet" in files and "MANIFEST.md" in files and "manifest.json" in files
    assert _found(identifiers, deid, ALL_KINDS) == []
    # Tuva's dates are January 1st of the year: a true date on January 1st is no finding
    identifiers["date"] = {d for d in identifiers["date"] if not d.endswith(("-01-01", "0101"))}
    assert _found(identifiers, tuva, ALL_KINDS) == []
    # year only: no column of the analytic export is a date or a time
    for schema in _exported_text(deid)[3]:
        assert not [f.name for f in schema if pa.types.is_temporal(f.type)], schema
    # the scan does find identifiers where they are: the plain Tuva export holds member ids
    plain = _plain_tuva(world)
    assert any(f.startswith("id: ") for f in _found(identifiers, plain, ("id",), ("values",)))
    assert any(f.startswith("id: ") for f in _found(identifiers, plain, ("id",), ("bytes",)))


def test_dates_shifted_per_patient_keep_intervals_and_no_birth_date(world: World) -> None:
    identifiers = _source_identifiers(world)
    deid = world.export("deidentified", "--dates", "shift", out="deid_shift")
    # a shifted date may fall on the birth date of an infant born in the data's window: no
    # leak; every earlier birth date is looked for
    earliest = min(d for d in identifiers["date"] if "-" in d)
    identifiers["dob"] = {
        d for d in identifiers["dob"] if "-" in d and d < str(dt.date.fromisoformat(earliest)
                                                               - dt.timedelta(days=183))
    }  # fmt: skip
    assert _found(identifiers, deid, ("id", "dob", "name", "zip", "free_text")) == []
    keyer = Keyer(SECRET.encode())
    conn = duckdb.connect(str(world.warehouse), read_only=True)
    try:
        source = conn.execute(
            "SELECT claim_id, submission_date, statement_from, statement_to FROM claims_header"
        ).fetchall()
        remits = conn.execute(
            "SELECT a.claim_id, p.payment_date FROM adjudication a JOIN payments p USING (payment_id)"
            " WHERE a.claim_id IS NOT NULL"
        ).fetchall()
        out = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT claim_id, patient_key, submission_date, statement_from, statement_to FROM"
                f" read_parquet('{deid / 'claims.parquet'}')"
            ).fetchall()
        }
        out_remits = conn.execute(
            f"SELECT claim_id, payment_date FROM read_parquet('{deid / 'remittances.parquet'}')"
            " WHERE claim_id IS NOT NULL"
        ).fetchall()
    finally:
        conn.close()
    offsets: dict[str, set[int]] = {}
    for claim_id, submitted, st_from, st_to in source:
        patient_key, sub_out, from_out, to_out = out[keyer.key("claim", claim_id)]
        shift = (sub_out - submitted).days
        assert -182 <= shift <= 182
        offsets.setdefault(patient_key or claim_id, set()).add(shift)
        if st_from is not None and st_to is not None:
            assert (to_out - from_out) == (st_to - st_from)  # the stay's length holds
    assert all(len(s) == 1 for s in offsets.values())  # one offset per patient
    assert len({next(iter(s)) for s in offsets.values()}) > 20  # and they differ
    # days to pay hold: the payment moved with its claim's patient
    submitted = {keyer.key("claim", c): s for c, s, _, _ in source}
    shifted = {k: v[1] for k, v in out.items()}
    days_source = sorted((p - submitted[keyer.key("claim", c)]).days for c, p in remits)
    days_out = sorted((p - shifted[c]).days for c, p in out_remits)
    assert days_source == days_out
    manifest = (deid / "MANIFEST.md").read_text()
    assert "NOT Safe Harbor" in manifest


def test_ages_over_89_are_90_plus(world: World) -> None:
    deid = world.export("deidentified", out="deid_year")
    keyer = Keyer(SECRET.encode())
    claims = pq.read_table(deid / "claims.parquet", columns=["claim_id", "patient_age"])
    rows = claims.to_pylist()
    (old_claim, age), *more = (
        duckdb.connect(str(world.warehouse), read_only=True)
        .execute(
            "SELECT claim_id, date_sub('year', patient_dob, statement_from) FROM claims_header"
            " WHERE patient_control_number = $1 AND patient_dob IS NOT NULL",
            [world.old_pcn],
        )
        .fetchall()
    )
    assert age >= 95 and not more
    ages_by_claim = {r["claim_id"]: r["patient_age"] for r in claims.to_pylist()}
    assert ages_by_claim[keyer.key("claim", old_claim)] == "90+"
    numeric = [int(r["patient_age"]) for r in rows if r["patient_age"] not in (None, "90+")]
    assert numeric and max(numeric) <= 89
    columns = {f.name for f in pq.read_schema(deid / "claims.parquet")}
    assert "patient_dob" not in columns and "member_id" not in columns
    assert "denial_reason" not in columns


def test_same_secret_same_keys_another_secret_other_keys(world: World) -> None:
    one = world.export("deidentified", out="deid_year")
    two = world.export("deidentified", out="keys_two")
    other = world.export("deidentified", secret=OTHER_SECRET, out="keys_other")

    def keys(folder: Path) -> tuple[list[Any], list[Any], str]:
        claims = pq.read_table(folder / "claims.parquet", columns=["claim_id", "patient_key"])
        key_id = json.loads((folder / "manifest.json").read_text())["key_id"]
        return (
            claims.column("claim_id").to_pylist(),
            claims.column("patient_key").to_pylist(),
            key_id,
        )

    assert keys(one) == keys(two)
    claim_one, patient_one, id_one = keys(one)
    claim_other, patient_other, id_other = keys(other)
    assert id_one != id_other
    assert not set(claim_one) & set(claim_other)
    assert not ({p for p in patient_one if p} & {p for p in patient_other if p})
    # the keys join: every matched remittance's claim key is a claim of the export
    remits = pq.read_table(one / "remittances.parquet", columns=["claim_id"]).column(0)
    assert {c for c in remits.to_pylist() if c} <= set(claim_one)
    for folder in (one, other):
        for path in folder.iterdir():
            data = path.read_bytes()
            assert SECRET.encode() not in data and OTHER_SECRET.encode() not in data


def test_tuva_export_keeps_its_shape(world: World) -> None:
    tuva = world.export("tuva", "--deidentify", out="tuva_year")
    plain = _plain_tuva(world)
    deid_schema = pq.read_schema(tuva / "medical_claim.parquet")
    assert deid_schema.names == pq.read_schema(plain / "medical_claim.parquet").names
    claims = pq.read_table(tuva / "medical_claim.parquet").to_pylist()
    assert all(r["file_name"] is None and r["billing_tin"] is None for r in claims)
    assert all(r["claim_start_date"] is None or r["claim_start_date"].timetuple()[1:3] == (1, 1)
               for r in claims)  # fmt: skip
    # one patient key for both exports: Tuva's person_id is the analytic patient_key
    deid = world.export("deidentified", out="deid_year")
    patients = set(pq.read_table(deid / "claims.parquet").column("patient_key").to_pylist())
    assert {r["person_id"] for r in claims} <= patients


# ---------------------------------------------------------------- the rules themselves


def test_zip3_rule_and_restricted_areas() -> None:
    conn = duckdb.connect()
    cases = {
        "03601": "000", "692011234": "000", "69201-1234": "000", "89301": "000",
        "62701": "627", "43215-0001": "432", " 78701": "787", "ABCDE": None, "": None, None: None,
    }  # fmt: skip
    for value, expected in cases.items():
        got = conn.execute(f"SELECT {zip3_sql('$z')}", {"z": value}).fetchone()
        assert got == (expected,), value
    for zip3 in RESTRICTED_ZIP3:
        assert conn.execute(f"SELECT {zip3_sql('$z')}", {"z": zip3 + "99"}).fetchone() == ("000",)
    assert len(RESTRICTED_ZIP3) == 17


def test_a_zip_column_becomes_zip3_and_a_column_without_a_rule_stops_the_export() -> None:
    conn = duckdb.connect()
    conn.execute("CREATE TABLE t (claim_id VARCHAR, patient_zip VARCHAR, shift_ref VARCHAR)")
    conn.execute("INSERT INTO t VALUES ('c1', '03601', 'p'), ('c2', '62701-1234', 'p')")
    select, fates = deidentified_select(conn, Table("t", "test", "SELECT * FROM t"), "year")
    from claimflow.marts.deidentify import keyed

    with keyed(conn, Keyer(SECRET.encode())):
        rows = conn.execute(select).fetchall()
    assert [r[1] for r in rows] == ["000", "627"]
    assert {f.column: f.action for f in fates} == {"claim_id": "key", "patient_zip": "zip3"}
    conn.execute("CREATE TABLE u (claim_id VARCHAR, patient_nickname VARCHAR)")
    with pytest.raises(DeidentifyError, match=r"no de-identification rule .*patient_nickname"):
        deidentified_select(conn, Table("u", "test", "SELECT * FROM u"), "year")


# ---------------------------------------------------------------- the secret


def test_a_missing_secret_is_a_clear_error(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    for suffix in ("", "_FILE", "_COMMAND"):
        monkeypatch.delenv(f"CLAIMFLOW_DEID_KEY{suffix}", raising=False)
    out = world.root / "no_secret"
    result = cli("export", "deidentified", "--out", str(out), "--warehouse", str(world.warehouse))
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())
    for variable in (
        "CLAIMFLOW_DEID_KEY ",
        "CLAIMFLOW_DEID_KEY_FILE",
        "CLAIMFLOW_DEID_KEY_COMMAND",
    ):
        assert variable in message
    assert not out.exists()
    result = cli(
        "export", "tuva", "--deidentify", "--out", str(out), "--warehouse", str(world.warehouse)
    )
    assert result.exit_code == 1 and "CLAIMFLOW_DEID_KEY_FILE" in " ".join(result.stderr.split())


def test_a_secret_file_others_can_read_is_refused(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "deid.key"
    key_file.write_text(SECRET + "\n")
    key_file.chmod(0o644)
    monkeypatch.delenv("CLAIMFLOW_DEID_KEY", raising=False)
    monkeypatch.setenv("CLAIMFLOW_DEID_KEY_FILE", str(key_file))
    out = world.root / "file_secret"
    args = ("export", "deidentified", "--out", str(out), "--warehouse", str(world.warehouse))
    result = cli(*args)
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())
    assert "readable or writable by group or others" in message and "chmod 600" in message
    assert SECRET not in result.stderr + result.stdout
    key_file.chmod(0o600)  # the owner's only: read, its newline dropped, the same keys
    assert cli(*args).exit_code == 0
    monkeypatch.delenv("CLAIMFLOW_DEID_KEY_FILE")
    by_env = world.export("deidentified", out="deid_year")
    assert _claim_keys(out) == _claim_keys(by_env)


def _claim_keys(folder: Path) -> list[Any]:
    keys: list[Any] = (
        pq.read_table(folder / "claims.parquet", columns=["claim_id"]).column(0).to_pylist()
    )
    return keys


def test_secret_sources(tmp_path: Path) -> None:
    env = {"CLAIMFLOW_DEID_KEY": SECRET}
    assert read_secret("deid_key", environ=env) == SECRET.encode()
    command = f"{shlex.quote(sys.executable)} -c \"print('{OTHER_SECRET}')\""
    assert (
        read_secret("deid_key", environ={"CLAIMFLOW_DEID_KEY_COMMAND": command})
        == OTHER_SECRET.encode()
    )
    failing = f"{shlex.quote(sys.executable)} -c \"import sys; print('{SECRET}'); sys.exit(2)\""
    with pytest.raises(SecretError, match="exited with 2") as failed:
        read_secret("deid_key", environ={"CLAIMFLOW_DEID_KEY_COMMAND": failing})
    assert SECRET not in str(failed.value)
    with pytest.raises(SecretError, match="set only one"):
        read_secret("deid_key", environ={**env, "CLAIMFLOW_DEID_KEY_FILE": str(tmp_path / "k")})
    with pytest.raises(SecretError, match="too short"):
        read_secret("deid_key", min_bytes=16, environ={"CLAIMFLOW_DEID_KEY": "short"})
    with pytest.raises(SecretError, match="cannot read"):
        read_secret("deid_key", environ={"CLAIMFLOW_DEID_KEY_FILE": str(tmp_path / "none")})
    with pytest.raises(SecretError, match="CLAIMFLOW_WAREHOUSE_KEY_COMMAND"):
        read_secret("warehouse_key", environ={})
    assert read_secret_text("warehouse_key", environ={"CLAIMFLOW_WAREHOUSE_KEY": "k€y"}) == "k€y"


def test_dates_without_deidentify_is_a_usage_error(world: World) -> None:
    out = world.root / "tuva_dates_alone"
    args = ("--out", str(out), "--warehouse", str(world.warehouse))
    result = cli("export", "tuva", "--dates", "shift", *args)
    assert result.exit_code == 2 and "add --deidentify" in result.stderr
    assert not out.exists()


def test_an_export_folder_with_other_files_is_refused(world: World) -> None:
    folder = world.root / "mixed"
    folder.mkdir()
    (folder / "medical_claim.parquet").write_bytes(b"an identified export")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CLAIMFLOW_DEID_KEY", SECRET)
        result = cli(
            "export", "deidentified", "--out", str(folder), "--warehouse", str(world.warehouse)
        )
    assert result.exit_code == 1
    assert "holds other files (medical_claim.parquet)" in " ".join(result.stderr.split())
    assert sorted(p.name for p in folder.iterdir()) == ["medical_claim.parquet"]
