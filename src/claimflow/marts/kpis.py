"""Revenue-cycle KPIs: one SQL definition each over the claim cohort of ``kpi_claims.sql``.

The cohort is every claim submitted in the reporting window (optionally for one payer, billing
provider and source system); each KPI below is one aggregate over it, so a number on screen always
traces back to claims. The A/R and auto-posting measures are not over the cohort (A/R counts every
claim submitted by the window's end; auto-posting, the 835 lines paid in the window): each is one
query over the window and filters that :func:`build_cohort` records in ``kpi_window``, shared by
the KPI and its daily report.

The A/R measures are as of the window's end; when a surface is given no window, the default is
the same everywhere (:func:`default_as_of`: the warehouse's latest submission or 835 payment
date), and every surface reads the KPIs through :func:`kpis_of`. Each count a KPI rests on is
named (:class:`Population`), and a KPI that cannot be computed says why (:func:`not_computed`).
Definitions, with their sources, are in ``docs/kpis.md``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources

import duckdb

from claimflow.warehouse.sql import execute

REJECTED_999 = "('R', 'M', 'W', 'X')"
REJECTED_277 = "('A3', 'A4', 'A6', 'A7', 'A8')"
ACCEPTED_277 = "('A1', 'A2', 'A5')"
TRANSACTION_SET = "group_control_number || '/' || st_control_number"
REJECTED_277CA_CLAIM = f"latest_status IN {REJECTED_277}"
"""A cohort claim the 277CA rejects: its latest claim-level STC01-1 is a rejection category."""


@dataclass(frozen=True)
class Population:
    """A count behind a KPI: what it counts, named as every output names it, and its SQL
    aggregate over ``kpi_claims``."""

    name: str
    sql: str


_FROM_837 = "SELECT claim_id FROM claims_header WHERE segment_index IS NOT NULL"
SUBMITTED = Population("claims submitted", "count(*)")
WITH_835 = Population(
    "claims with an 835", "count(*) FILTER (WHERE first_payment_date IS NOT NULL)"
)

RATE_COUNTS: dict[str, tuple[Population, Population]] = {
    "rejection_rate_999": (
        Population(
            "transaction sets rejected by their 999",
            f"count(DISTINCT CASE WHEN ik501 IN {REJECTED_999} THEN {TRANSACTION_SET} END)",
        ),
        Population(
            "transaction sets with a 999",
            f"count(DISTINCT CASE WHEN ik501 IS NOT NULL THEN {TRANSACTION_SET} END)",
        ),
    ),
    "rejection_rate_277ca": (
        Population(
            "claims rejected by their latest 277CA",
            f"count(*) FILTER (WHERE {REJECTED_277CA_CLAIM})",
        ),
        Population("claims with a 277CA", "count(*) FILTER (WHERE latest_status IS NOT NULL)"),
    ),
    "first_pass_clean_claim_rate": (
        Population(
            "original claims clean on the first pass",
            "count(*) FILTER (WHERE frequency = '1' AND coalesce(ik501, 'A') IN ('A', 'E')"
            f" AND first_status IN {ACCEPTED_277})",
        ),
        Population(
            "original claims with a 999 or 277CA",
            "count(*) FILTER (WHERE frequency = '1'"
            " AND (ik501 IS NOT NULL OR first_status IS NOT NULL))",
        ),
    ),
    "initial_denial_rate": (
        Population("claims initially denied", "count(*) FILTER (WHERE initially_denied)"),
        SUBMITTED,
    ),
}
"""A count-over-count KPI → its numerator and denominator (the KPI is their quotient)."""

COHORT_COUNTS: dict[str, tuple[Population, ...]] = {
    "claims_submitted": (
        Population("837 claims", f"count(*) FILTER (WHERE claim_id IN ({_FROM_837}))"),
        Population(
            "EMR claims without an 837", f"count(*) FILTER (WHERE claim_id NOT IN ({_FROM_837}))"
        ),
    ),
    **RATE_COUNTS,
    "payer_lag_days_median": (WITH_835,),
    "net_collection_rate": (WITH_835,),
}
"""KPI → the populations it is computed over, as ``populations`` in the KPIs' JSON."""


def _quotient(key: str) -> str:
    numerator, denominator = RATE_COUNTS[key]
    return f"{numerator.sql} / nullif({denominator.sql}, 0)"


COHORT_KPIS: dict[str, str] = {
    "claims_submitted": SUBMITTED.sql,
    "total_billed": "sum(total_charge)",
    "total_allowed": "sum(allowed_amount)",
    "total_paid": "sum(paid_amount)",
    "rejection_rate_999": _quotient("rejection_rate_999"),
    "rejection_rate_277ca": _quotient("rejection_rate_277ca"),
    "first_pass_clean_claim_rate": _quotient("first_pass_clean_claim_rate"),
    "initial_denial_rate": _quotient("initial_denial_rate"),
    "initial_denial_rate_dollars": (
        "coalesce(sum(total_charge) FILTER (WHERE initially_denied), 0)"
        " / nullif(sum(total_charge), 0)"
    ),
    "payer_lag_days_median": "median(first_payment_date - submission_date)",
    "payer_lag_days_p90": "quantile_cont(first_payment_date - submission_date, 0.9)",
    "net_collection_rate": (
        "sum(paid_amount) FILTER (WHERE first_payment_date IS NOT NULL)"
        " / nullif(sum(total_charge - contractual_amount)"
        " FILTER (WHERE first_payment_date IS NOT NULL), 0)"
    ),
    "final_denial_write_off_amount": "sum(written_off_amount)",
    "final_denial_write_off_rate": (
        "sum(written_off_amount) / nullif(sum(total_charge - contractual_amount), 0)"
    ),
}
"""KPI key → SQL aggregate over ``kpi_claims``. Keys are a contract: stable snake_case."""

RESUBMISSION_OUTCOMES = """
  -- one row per automatic resubmission of a claim in kpi_claims, with the payer's answer: the
  -- first 835 after the one that triggered it (any 835, for a 277CA/999 rejection), on the claim
  -- or on a later version of it (same CLM01 and payer, submitted since, not a void); a reversal
  -- is not an answer
  WITH sent AS (
    SELECT s.claim_id, s.attempt, s.trigger, s.trigger_id, s.frequency_code,
           coalesce(s.category, 'other') AS category, h.patient_control_number, h.payer_id,
           h.submission_date, t.payment_date AS trigger_date
    FROM resubmissions AS s
    JOIN kpi_claims AS k ON k.claim_id = s.claim_id
    JOIN claims_header AS h ON h.claim_id = s.claim_id
    LEFT JOIN adjudication AS ta ON s.trigger = '835' AND ta.adjudication_id = s.trigger_id
    LEFT JOIN payments AS t ON t.payment_id = ta.payment_id
  ), versions AS (
    SELECT s.claim_id AS resubmitted_id, s.attempt, v.claim_id
    FROM sent AS s
    JOIN claims_header AS v
      ON v.patient_control_number = s.patient_control_number
     AND v.payer_id IS NOT DISTINCT FROM s.payer_id
     AND v.submission_date >= s.submission_date
     AND coalesce(v.claim_frequency_code, '1') <> '8'
     AND (v.claim_id = s.claim_id OR v.segment_index IS NOT NULL)
  ), answers AS (
    SELECT v.resubmitted_id, v.attempt, a.paid_amount, p.payment_date,
           row_number() OVER (PARTITION BY v.resubmitted_id, v.attempt
                              ORDER BY p.payment_date, a.segment_index, a.adjudication_id) AS nth
    FROM versions AS v
    JOIN sent AS s ON s.claim_id = v.resubmitted_id AND s.attempt = v.attempt
    JOIN adjudication AS a ON a.claim_id = v.claim_id
    JOIN payments AS p ON p.payment_id = a.payment_id
    WHERE a.claim_status_code <> '22' AND a.adjudication_id <> coalesce(s.trigger_id, '')
      AND (s.trigger_date IS NULL OR p.payment_date > s.trigger_date
           OR (p.payment_date = s.trigger_date AND v.claim_id <> s.claim_id))
  )
  SELECT s.claim_id, s.attempt, s.trigger, s.category, s.payer_id, a.payment_date AS answered_on,
         CASE WHEN a.nth IS NULL THEN 'pending' WHEN a.paid_amount > 0 THEN 'paid'
              ELSE 'denied_again' END AS outcome,
         CASE WHEN a.paid_amount > 0 THEN a.paid_amount ELSE 0 END AS recovered_amount
  FROM sent AS s
  LEFT JOIN answers AS a ON a.resubmitted_id = s.claim_id AND a.attempt = s.attempt AND a.nth = 1
"""
"""Resubmission → the payer's answer, over the cohort ``kpi_claims`` (docs/kpis.md)."""

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(9999, 12, 31)

LATEST_DATE = """
    SELECT greatest((SELECT max(submission_date) FROM claims_header),
                    (SELECT max(payment_date) FROM payments)),
           (SELECT min(submission_date) FROM claims_header)"""
"""The warehouse's latest date (its latest claim submission or 835 payment) and its first
submission date."""


def default_as_of(conn: duckdb.DuckDBPyConnection) -> dt.date:
    """The as-of date of every surface when none is given (``claimflow kpi``, ``GET /kpi``, the
    dashboard): the warehouse's latest date — its latest claim submission or 835 payment date
    (BPR16) — so that the default window holds every claim and every remittance received, and
    the A/R is the balance on the last day the data knows of (today when the warehouse holds
    neither). The cash forecast starts the day after it (``LIVE_CUTOFF`` in reports.py)."""
    row = conn.execute(LATEST_DATE).fetchone()
    return row[0] if row and row[0] is not None else dt.date.today()


def default_window(conn: duckdb.DuckDBPyConnection) -> tuple[dt.date, dt.date] | None:
    """The default window of every surface: the first submission date to :func:`default_as_of`
    (None while the warehouse holds no claim)."""
    row = conn.execute(LATEST_DATE).fetchone()
    if row is None or row[1] is None:
        return None
    return row[1], row[0]


def resolve_window(
    conn: duckdb.DuckDBPyConnection, start: dt.date | None, end: dt.date | None
) -> tuple[dt.date, dt.date]:
    """The window a user asked for, its open ends filled in: ``end`` defaults to
    :func:`default_as_of`, ``start`` to the first submission date (or ``end``, if earlier).

    Raises:
        ValueError: ``start`` is after ``end``.
    """
    row = conn.execute(LATEST_DATE).fetchone()
    latest, first = (row[0], row[1]) if row else (None, None)
    last = end or latest or dt.date.today()
    begin = start or (min(first, last) if first is not None else min(EARLIEST, last))
    if begin > last:
        raise ValueError(f"from {begin} is after to {last}")
    return begin, last


AR_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0_30", 0, 30),
    ("31_60", 31, 60),
    ("61_90", 61, 90),
    ("91_120", 91, 120),
    ("over_120", 121, None),
)
"""A/R aging buckets: name, first and last day of age (days since submission; None: no end)."""

WINDOW_TABLE = """
CREATE OR REPLACE TEMP TABLE kpi_window AS
SELECT CAST($from AS DATE) AS start_date, CAST($to AS DATE) AS end_date,
       CAST($payer AS VARCHAR) AS payer, CAST($source AS VARCHAR) AS source,
       CAST($provider AS VARCHAR) AS provider"""
"""The window and filters of the cohort, for the measures that are not over the cohort."""

AUTO_POSTING_LINES = """
  -- one row per 835 service line on a payment dated in the window (the payment's payer), with
  -- the billing NPI and source system of the claim it was matched to (none when unmatched, so a
  -- provider or source filter keeps only lines matched to that provider's or source's claims);
  -- which line it is, and how it was matched, for the rows behind the rate
  SELECT l.adjudication_line_id, a.patient_control_number, l.procedure_code, l.line_paid,
         m.match_method, p.payment_date AS day, p.payer_id, c.billing_npi AS provider,
         c.source_system, (m.left_id IS NOT NULL AND NOT m.needs_review) AS auto_posted
  FROM adjudication_line AS l
  JOIN adjudication AS a ON a.adjudication_id = l.adjudication_id
  JOIN payments AS p ON p.payment_id = a.payment_id
  LEFT JOIN claims_header AS c ON c.claim_id = a.claim_id
  LEFT JOIN claim_line_match AS m ON m.left_id = l.adjudication_line_id
  CROSS JOIN kpi_window AS w
  WHERE p.payment_date BETWEEN w.start_date AND w.end_date
    AND (w.payer IS NULL OR p.payer_id = w.payer)
    AND (w.source IS NULL OR c.source_system = w.source)
    AND (w.provider IS NULL OR c.billing_npi = w.provider)
"""
"""The 835 lines the auto-posting rate counts (``kpi_window`` must exist)."""

AUTO_POSTING_RATE = "count(*) FILTER (WHERE auto_posted) / nullif(count(*), 0)"
"""Lines matched to a claim line without review ÷ lines, over ``AUTO_POSTING_LINES``."""


def ar_claims_from(day: str, joins: str = "") -> str:
    """SQL ``FROM … WHERE``: the claims A/R counts as of ``day`` (an SQL date expression) — of
    the filters in ``kpi_window`` (as ``w``), submitted by the day, one claim once (an EMR claim
    that also came as an 837 counts as the 837). ``joins``: more ``CROSS JOIN``s, e.g. of the
    relation ``day`` comes from."""
    return f"""FROM claims_header AS c CROSS JOIN kpi_window AS w{joins}
    WHERE c.submission_date <= {day}
      AND (w.payer IS NULL OR c.payer_id = w.payer)
      AND (w.source IS NULL OR c.source_system = w.source)
      AND (w.provider IS NULL OR c.billing_npi = w.provider)
      AND (c.segment_index IS NOT NULL OR c.patient_control_number NOT IN (
        SELECT patient_control_number FROM claims_header WHERE segment_index IS NOT NULL))"""


CONTRACTUAL_BY_ADJUDICATION = """
    SELECT j.adjudication_id, sum(j.amount) AS amount
    FROM adjustments AS j
    JOIN ref_carc_category AS r ON r.carc = j.reason_code AND r.category = 'contractual'
    WHERE j.group_code IN ('CO', 'PI') GROUP BY 1"""
"""The contractual adjustments (CO/PI with a contractual CARC) of each 835 claim."""


_BUCKET_ROWS = ", ".join(
    f"('{name}', {lo}, {'NULL' if hi is None else hi})" for name, lo, hi in AR_BUCKETS
)

AR_PIECES = f"""
  -- A/R (docs/kpis.md): every claim of the filters submitted by the window's end (one claim once,
  -- whatever the window's start); its balance = charge − what its 835s paid − their contractual
  -- adjustments (CO/PI with a contractual CARC), each 835 counted from its payment date (BPR16).
  -- One row per stretch [start, stop) of days on which a claim adds `amount` to `measure`: to an
  -- aging bucket its positive balance while its age (days since submission) is in the bucket;
  -- to charges_90d its charge on days 0-89 of its age (the days-in-A/R denominator).
  -- A claim with no charge (an EMR export without amounts) has no balance: it is left out.
  WITH w AS (
    SELECT * FROM kpi_window
  ), claims AS (
    SELECT c.claim_id, c.payer_id, c.billing_npi AS provider, c.source_system, c.total_charge,
           c.submission_date
    {ar_claims_from("w.end_date")}
      AND c.total_charge IS NOT NULL
  ), contractual AS ({CONTRACTUAL_BY_ADJUDICATION}
  ), events AS (
    SELECT claim_id, submission_date AS day, total_charge AS delta FROM claims
    UNION ALL
    SELECT a.claim_id, p.payment_date, -(a.paid_amount + coalesce(ct.amount, 0))
    FROM adjudication AS a
    JOIN payments AS p ON p.payment_id = a.payment_id
    LEFT JOIN contractual AS ct ON ct.adjudication_id = a.adjudication_id
    WHERE a.claim_id IN (SELECT claim_id FROM claims)
      AND p.payment_date <= (SELECT end_date FROM w)
  ), steps AS (
    -- a claim's balance from each day something happened to it until the next
    SELECT claim_id, day AS since, lead(day) OVER (PARTITION BY claim_id ORDER BY day) AS until,
           sum(sum(delta)) OVER (PARTITION BY claim_id ORDER BY day) AS balance
    FROM events GROUP BY claim_id, day
  ), buckets AS (
    SELECT * FROM (VALUES {_BUCKET_ROWS}) AS b(measure, lo, hi)
  ), pieces AS (
    SELECT c.payer_id, c.provider, c.source_system, b.measure, s.balance AS amount,
           greatest(s.since, c.submission_date + b.lo) AS start,
           least(s.until, c.submission_date + b.hi + 1) AS stop
    FROM steps AS s JOIN claims AS c USING (claim_id) CROSS JOIN buckets AS b
    WHERE s.balance > 0
    UNION ALL
    SELECT payer_id, provider, source_system, 'charges_90d', total_charge, submission_date,
           submission_date + 90
    FROM claims
  )
  SELECT * FROM pieces WHERE stop IS NULL OR start < stop
"""
"""A/R as stretches of days (``kpi_window`` must exist); :data:`AR_AS_OF` sums them on a day."""

AR_COLUMNS = (
    "sum(amount) FILTER (WHERE measure <> 'charges_90d') AS ar_total, "
    + ", ".join(
        f"sum(amount) FILTER (WHERE measure = '{name}') AS ar_{name}" for name, _, _ in AR_BUCKETS
    )
    + ", sum(amount) FILTER (WHERE measure = 'charges_90d') AS charges_90d"
)
"""The A/R measures of a day, from the ``measure``/``amount`` rows in force on it."""

DAYS_IN_AR = "round(ar_total / nullif(charges_90d / 90, 0), 2)"
"""Days in A/R (practice variant): A/R ÷ average daily charges of the last 90 days."""

AR_AS_OF = f"""
  SELECT *, {DAYS_IN_AR} AS days_in_ar FROM (
    SELECT {AR_COLUMNS} FROM ({AR_PIECES})
    WHERE start <= $day AND (stop IS NULL OR stop > $day)
  )"""
"""A/R, its aging and days in A/R as of ``$day``, all filtered claims together."""


MONEY: tuple[str, ...] = (
    "total_billed",
    "total_allowed",
    "total_paid",
    "final_denial_write_off_amount",
    "ar_total",
    "resubmission_recovered_amount",
)
"""The KPIs in dollars (and every bucket of ``ar_aging``): :class:`~decimal.Decimal` to the
cent in Python, a decimal string in JSON (``"1234.50"``)."""

CENT = Decimal("0.01")


def _money(value: object) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(CENT)


def kpis_json(values: dict[str, object]) -> str:
    """The KPIs as JSON, as every surface gives them: money as decimal strings."""
    return json.dumps(values, default=str)


def kpis_from_json(text: str) -> dict[str, object]:
    """The KPIs of :func:`kpis_json` as :func:`compute_kpis` returns them (money as Decimal)."""
    values: dict[str, object] = json.loads(text)
    for key in MONEY:
        values[key] = _money(values.get(key))
    aging = values.get("ar_aging")
    if isinstance(aging, dict):
        values["ar_aging"] = {k: _money(v) for k, v in aging.items()}
    return values


def _number(value: object) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, int):
        return value
    return float(value) if isinstance(value, float) else float(str(value))


def build_cohort(
    conn: duckdb.DuckDBPyConnection,
    *,
    start: dt.date,
    end: dt.date,
    payer: str | None = None,
    source: str | None = None,
    provider: str | None = None,
    table: str = "kpi_claims",
    persistent: bool = False,
) -> None:
    """Build ``kpi_claims``: the claims submitted in the window, with their outcomes.

    Also records the window and filters in ``kpi_window`` (for the A/R and auto-posting
    queries), unless the cohort is built under another name.

    Args:
        conn: The warehouse.
        start: First submission date.
        end: Last submission date.
        payer: Only this payer id.
        source: Only this source system.
        provider: Only this billing NPI.
        table: Build it under this name instead (a second cohort beside the first).
        persistent: Store it in the warehouse (the snapshot's cohort), not as a temporary table.
    """
    sql = (resources.files("claimflow.marts") / "sql" / "kpi_claims.sql").read_text("utf-8")
    if table != "kpi_claims" or persistent:
        created = f"TABLE {table} AS" if persistent else f"TEMP TABLE {table} AS"
        sql = sql.replace("TEMP TABLE kpi_claims AS", created)
    params = {"from": start, "to": end, "payer": payer, "source": source, "provider": provider}
    _drop_temp(conn, table)  # e.g. the stored cohort's view (snapshot.py) gives way
    execute(conn, sql, params)
    if table == "kpi_claims":
        execute(conn, WINDOW_TABLE, params)


def _covers_every_date(conn: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> bool:
    """True when no claim has a submission date outside ``[start, end]``."""
    row = conn.execute(
        "SELECT count(*) FROM claims_header WHERE submission_date NOT BETWEEN ? AND ?",
        [start, end],
    ).fetchone()
    return row == (0,)


def _drop_temp(conn: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop the temporary table or view ``name``, if there is one: a live cohort leaves tables,
    a stored cohort views of the same names, and either gives way to the other."""
    for kind, catalog, column in (("TABLE", "duckdb_tables()", "table_name"),
                                  ("VIEW", "duckdb_views()", "view_name")):  # fmt: skip
        if conn.execute(
            f"SELECT count(*) FROM {catalog} WHERE temporary AND {column} = ?", [name]
        ).fetchone() != (0,):
            conn.execute(f"DROP {kind} {name}")


def cohort_view(conn: duckdb.DuckDBPyConnection, table: str) -> None:
    """Make ``kpi_claims`` a view of a stored cohort (in place of a live cohort's table)."""
    _drop_temp(conn, "kpi_claims")
    conn.execute(f"CREATE OR REPLACE TEMP VIEW kpi_claims AS SELECT * FROM {table}")


def compute_kpis(
    conn: duckdb.DuckDBPyConnection,
    *,
    start: dt.date,
    end: dt.date,
    payer: str | None = None,
    source: str | None = None,
    provider: str | None = None,
    keep: str | None = None,
    whole: bool = False,
) -> dict[str, object]:
    """Every KPI for claims submitted in ``[start, end]``; A/R measures are as of ``end``.

    Args:
        conn: The warehouse.
        start: First submission date (first payment date, for the auto-posting rate).
        end: Last submission date; A/R is as of it.
        payer: Only this payer id.
        source: Only claims of this source system.
        provider: Only claims of this billing NPI.
        keep: Store the cohort as this table of the warehouse; ``kpi_claims`` is then a view
            of it (the snapshot's default view). The window must hold every submission date.
        whole: The window holds every submission date: build the cohort once, as a temporary
            table, with ``kpi_claims`` a view of it (``keep`` implies it).

    Returns:
        KPI key → value (None where the warehouse holds nothing to measure it on; money as
        :class:`~decimal.Decimal`), and ``as_of`` (ISO date of the A/R measures: ``end``),
        ``window`` (``from``/``to``), ``populations`` (KPI → the counts it rests on, named) and
        ``not_computed`` (each None KPI → why).
    """
    filters = {"payer": payer, "source": source, "provider": provider}
    if (keep or whole) and not _covers_every_date(conn, start, end):
        raise ValueError("a whole cohort is every claim: the window must hold every date")
    # every claim of the filters once (the HFMA rate looks before the window), the window from
    # it; a kept cohort is that cohort itself, stored (one 1M-claim copy fewer for the snapshot)
    build_cohort(
        conn,
        start=EARLIEST,
        end=LATEST,
        table=keep or "kpi_claims_all",
        persistent=keep is not None,
        payer=payer,
        source=source,
        provider=provider,
    )
    if keep:
        _drop_temp(conn, "kpi_claims_all")
        conn.execute(f"CREATE OR REPLACE TEMP VIEW kpi_claims_all AS SELECT * FROM {keep}")
    if keep or whole:
        cohort_view(conn, keep or "kpi_claims_all")
    else:
        _drop_temp(conn, "kpi_claims")
        conn.execute(
            "CREATE OR REPLACE TEMP TABLE kpi_claims AS"
            " SELECT * FROM kpi_claims_all WHERE submission_date BETWEEN ? AND ?",
            [start, end],
        )
    execute(conn, WINDOW_TABLE, {"from": start, "to": end, **filters})
    select = ", ".join(f"{expr} AS {key}" for key, expr in COHORT_KPIS.items())
    row = conn.execute(f"SELECT {select} FROM kpi_claims").fetchone()
    assert row is not None
    result: dict[str, object] = {
        k: _money(v) if k in MONEY else _number(v) for k, v in zip(COHORT_KPIS, row, strict=True)
    }
    populations = _cohort_populations(conn)
    result.update(_receivables(conn, end))
    result["auto_posting_rate"], populations["auto_posting_rate"] = _auto_posting(conn)
    outcomes, populations["resubmission_success_rate"] = _resubmission_outcomes(conn)
    result.update(outcomes)
    result.update(_hfma_initial_denials(conn, start, end))
    result["as_of"] = end.isoformat()
    result["window"] = {"from": start.isoformat(), "to": end.isoformat()}
    result["populations"] = populations
    result["not_computed"] = not_computed(result)
    return result


def kpis_of(
    conn: duckdb.DuckDBPyConnection,
    *,
    start: dt.date,
    end: dt.date,
    payer: str | None = None,
    source: str | None = None,
    provider: str | None = None,
) -> dict[str, object]:
    """The KPIs every surface shows: those the last run stored when the window and filters are
    its default view (:mod:`claimflow.marts.snapshot`, computed by :func:`compute_kpis` too),
    else :func:`compute_kpis` now."""
    from claimflow.marts import snapshot  # it builds on this module

    if snapshot.usable(conn, start=start, end=end, payer=payer, source=source, provider=provider):
        return snapshot.kpis(conn)
    return compute_kpis(conn, start=start, end=end, payer=payer, source=source, provider=provider)


AS_OF_KPIS: tuple[str, ...] = ("ar_total", "ar_aging", "days_in_ar")
"""The KPIs that are a balance on one day, ``as_of`` (the window's end), not a sum over it."""

WHY_NOT: dict[str, str] = {
    "total_allowed": "no 835 service line on the claims submitted in the window",
    "total_paid": "no 835 on the claims submitted in the window",
    "rejection_rate_999": "no 999 acknowledges the claims submitted in the window",
    "rejection_rate_277ca": "no 277CA acknowledges the claims submitted in the window",
    "first_pass_clean_claim_rate": "no original claim submitted in the window has a 999 or 277CA",
    "initial_denial_rate_dollars": "the claims submitted in the window carry no charges",
    "payer_lag_days_median": "no claim submitted in the window has an 835",
    "payer_lag_days_p90": "no claim submitted in the window has an 835",
    "net_collection_rate": "no claim submitted in the window has an 835",
    "final_denial_write_off_rate": "the claims submitted in the window carry no charges",
    "days_in_ar": "no charges submitted in the 90 days up to {as_of}",
    "auto_posting_rate": "no 835 service line paid in the window",
    "resubmission_success_rate": "no resubmission answered by the payer yet",
    "initial_denial_rate_hfma_3m": (
        "no reporting month: a calendar month inside the window, with 3 months of submissions"
        " before it, that the 835s received cover"
    ),
    "initial_denial_rate_dollars_hfma_3m": (
        "no reporting month: a calendar month inside the window, with 3 months of submissions"
        " before it, that the 835s received cover"
    ),
}
"""Why a KPI is null (``not_computed`` in the KPIs' JSON), when its cohort is not empty."""

EMPTY_COHORT = "no claims submitted in the window"


def not_computed(values: dict[str, object]) -> dict[str, str]:
    """Each null KPI of ``values`` → why it could not be computed."""
    empty = values.get("claims_submitted") == 0
    reasons = {}
    for key, value in values.items():
        if value is not None or key in ("not_computed", "populations", "window", "as_of"):
            continue
        if empty and key in COHORT_KPIS:
            reasons[key] = EMPTY_COHORT
        else:
            why = WHY_NOT.get(key, "nothing to measure it on in the window")
            reasons[key] = why.format(as_of=values.get("as_of"))
    return reasons


def _counted(populations: tuple[Population, ...], counts: tuple[object, ...]) -> list[object]:
    return [
        {"population": p.name, "count": int(str(n or 0))}
        for p, n in zip(populations, counts, strict=True)
    ]


def _cohort_populations(conn: duckdb.DuckDBPyConnection) -> dict[str, list[object]]:
    """Each KPI of :data:`COHORT_COUNTS` → its populations, counted over ``kpi_claims``."""
    columns = [p.sql for pops in COHORT_COUNTS.values() for p in pops]
    row = conn.execute(f"SELECT {', '.join(columns)} FROM kpi_claims").fetchone()
    assert row is not None
    counts = iter(row)
    return {
        key: _counted(pops, tuple(next(counts) for _ in pops))
        for key, pops in COHORT_COUNTS.items()
    }


def _resubmission_outcomes(
    conn: duckdb.DuckDBPyConnection,
) -> tuple[dict[str, object], list[object]]:
    """Resubmissions of cohort claims: how many, share paid of those answered, dollars paid;
    and the populations of the rate (paid, answered)."""
    row = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE outcome = 'paid'),"
        " count(*) FILTER (WHERE outcome <> 'pending'), coalesce(sum(recovered_amount), 0)"
        f" FROM ({RESUBMISSION_OUTCOMES})"
    ).fetchone()
    assert row is not None
    values: dict[str, object] = {
        "resubmissions_sent": row[0],
        "resubmission_success_rate": row[1] / row[2] if row[2] else None,
        "resubmission_recovered_amount": _money(row[3]),
    }
    return values, _counted(RESUBMISSION_COUNTS, (row[1], row[2]))


RESUBMISSION_COUNTS = (
    Population("resubmissions paid", "count(*) FILTER (WHERE outcome = 'paid')"),
    Population(
        "resubmissions answered by the payer", "count(*) FILTER (WHERE outcome <> 'pending')"
    ),
)
AUTO_POSTING_COUNTS = (
    Population("835 lines posted without review", "count(*) FILTER (WHERE auto_posted)"),
    Population("835 lines paid in the window", "count(*)"),
)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def hfma_months(
    start: dt.date, end: dt.date, first_submission: dt.date, last_payment: dt.date
) -> list[dt.date]:
    """The reporting months of the HFMA rate: calendar months wholly inside ``[start, end]``,
    with three months of submissions before them, that the remittances received cover."""
    month = start if start.day == 1 else _add_months(start, 1)
    month = max(month, _add_months(first_submission.replace(day=1), 3))
    months = []
    while _add_months(month, 1) - dt.timedelta(days=1) <= min(end, last_payment):
        months.append(month)
        month = _add_months(month, 1)
    return months


def _hfma_initial_denials(
    conn: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date
) -> dict[str, object]:
    """The initial denial rate with the HFMA Claim Integrity Task Force denominator.

    For each reporting month: claims whose first 835 (dated in the month) is a denial, over the
    monthly average of claims submitted in the three months before it; summed over the months.
    Reads ``kpi_claims_all`` (every claim of the filters).
    """
    bounds = conn.execute(
        "SELECT (SELECT min(submission_date) FROM kpi_claims_all),"
        " (SELECT max(payment_date) FROM payments)"
    ).fetchone()
    none: dict[str, object] = {
        "initial_denial_rate_hfma_3m": None,
        "initial_denial_rate_dollars_hfma_3m": None,
    }
    if bounds is None or bounds[0] is None or bounds[1] is None:
        return none
    months = hfma_months(start, end, bounds[0], bounds[1])
    if not months:
        return none
    row = conn.execute(
        """WITH months AS (SELECT CAST(unnest($months) AS DATE) AS m)
        SELECT sum(denied), sum(submitted) / 3, sum(denied_charge), sum(submitted_charge) / 3
        FROM (
          SELECT count(*) FILTER (WHERE k.initially_denied AND k.first_payment_date >= m
                                    AND k.first_payment_date < m + INTERVAL 1 MONTH) AS denied,
                 sum(k.total_charge) FILTER (WHERE k.initially_denied AND k.first_payment_date >= m
                                    AND k.first_payment_date < m + INTERVAL 1 MONTH) AS denied_charge,
                 count(*) FILTER (WHERE k.submission_date >= m - INTERVAL 3 MONTH
                                    AND k.submission_date < m) AS submitted,
                 sum(k.total_charge) FILTER (WHERE k.submission_date >= m - INTERVAL 3 MONTH
                                    AND k.submission_date < m) AS submitted_charge
          FROM months CROSS JOIN kpi_claims_all AS k GROUP BY m
        )""",
        {"months": months},
    ).fetchone()
    assert row is not None
    denied, submitted, denied_charge, submitted_charge = (_number(v) for v in row)
    return {
        "initial_denial_rate_hfma_3m": (
            float(denied or 0) / float(submitted) if submitted else None
        ),
        "initial_denial_rate_dollars_hfma_3m": (
            float(denied_charge or 0) / float(submitted_charge) if submitted_charge else None
        ),
    }


def _receivables(conn: duckdb.DuckDBPyConnection, end: dt.date) -> dict[str, object]:
    """Days in A/R and aging, as of ``end`` (:data:`AR_AS_OF`)."""
    cursor = conn.execute(AR_AS_OF, {"day": end})
    names = [d[0] for d in cursor.description]
    row = dict(zip(names, cursor.fetchone() or (), strict=True))
    zero = Decimal("0.00")
    return {
        "days_in_ar": _number(row.get("days_in_ar")),
        "ar_total": _money(row.get("ar_total")) or zero,
        "ar_aging": {name: _money(row.get(f"ar_{name}")) or zero for name, _, _ in AR_BUCKETS},
    }


def _auto_posting(conn: duckdb.DuckDBPyConnection) -> tuple[object, list[object]]:
    """Remittance lines matched to a claim line without a person, for payments in the window;
    and the populations of the rate."""
    counts = ", ".join(p.sql for p in AUTO_POSTING_COUNTS)
    row = conn.execute(
        f"SELECT {AUTO_POSTING_RATE}, {counts} FROM ({AUTO_POSTING_LINES})"
    ).fetchone()
    assert row is not None
    return _number(row[0]), _counted(AUTO_POSTING_COUNTS, tuple(row[1:]))
