"""The claimflow dashboard (Streamlit + Plotly), read-only over the warehouse.

Started by ``claimflow dashboard``; the warehouse path and the viewer's role come from the
environment (``CLAIMFLOW_WAREHOUSE``, ``CLAIMFLOW_ROLE``, ``CLAIMFLOW_PHI_ROLES``). Every figure
comes from :mod:`claimflow.marts` (KPIs and named reports), and every figure leads to the rows
behind it: on the Overview a "Rows behind a figure" box lists each KPI tile (numerator and
denominator of a rate), and under each table of aggregates a box picks one of its rows. Those
rows are one query each (:class:`Rows`), shown by :func:`_rows_behind` with the same filters,
only when chosen (nothing runs until then), 500 on screen and all of them in the CSV export.
Patient identifiers are masked unless the role is allowed to see them (``claimflow.phi``).

Speed: the default view is read from the snapshot the latest run stored
(:mod:`claimflow.marts.snapshot`), and what a page reads is cached per warehouse, latest run and
filters (``st.cache_data``), so a page opened twice is not computed twice.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from claimflow.dashboard import PAGES
from claimflow.marts import snapshot
from claimflow.marts.kpis import (
    ACCEPTED_277,
    AR_BUCKETS,
    AUTO_POSTING_LINES,
    CONTRACTUAL_BY_ADJUDICATION,
    EARLIEST,
    LATEST,
    REJECTED_277CA_CLAIM,
    REJECTED_999,
    RESUBMISSION_OUTCOMES,
    TRANSACTION_SET,
    ar_claims_from,
    build_cohort,
    compute_kpis,
    hfma_months,
)
from claimflow.marts.reports import (
    DENIAL_LINES,
    FORECAST_WEEKS,
    LIVE_CUTOFF,
    REPORTS,
    open_claim_forecast,
    prepare,
)
from claimflow.phi import (
    DEFAULT_PHI_ROLES,
    DEFAULT_ROLE,
    MASK,
    PHI_COLUMNS,
    PHI_ROLES_ENV,
    ROLE_ENV,
    may_see_phi,
    parse_roles,
)

# (no bare strings at module level: Streamlit's magic would print them on the page)
SHOWN_ROWS = 500  # rows a table shows on screen; its CSV export has all of them

KPI_LABELS = {
    "claims_submitted": "Claims submitted",
    "total_billed": "Billed",
    "total_paid": "Paid",
    "first_pass_clean_claim_rate": "First-pass clean claim rate",
    "initial_denial_rate": "Initial denial rate",
    "initial_denial_rate_hfma_3m": "Initial denial rate, HFMA 3-month",
    "rejection_rate_999": "999 rejection rate",
    "rejection_rate_277ca": "277CA rejection rate",
    "payer_lag_days_median": "Payer lag, median days",
    "net_collection_rate": "Net collection rate",
    "days_in_ar": "Days in A/R",
    "ar_total": "A/R",
    "auto_posting_rate": "835 auto-posting rate",
    "final_denial_write_off_amount": "Final denial write-offs",
    "resubmission_success_rate": "Resubmission success rate",
}


# ---------------------------------------------------------------------------------------------
# Reading the warehouse: one connection per script run, the cohort built only when a query
# needs it, results cached per warehouse × latest run × filters


@dataclass
class View:
    """One script run's read of the warehouse: its connection, the filters, whether the stored
    snapshot answers them, and which temporary tables (the cohort) are built on the connection."""

    conn: duckdb.DuckDBPyConnection
    path: str
    filters: dict[str, Any]
    stored: bool
    stamp: tuple[str, int]
    ready: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[Any, ...]:
        """What the cached results depend on."""
        return (self.path, self.stamp, self.stored, *_cohort(self.filters).values())

    def need(self, scope: str) -> None:
        """Build what a query of ``scope`` reads: ``warehouse`` (nothing), ``cohort``
        (``kpi_claims`` and ``kpi_window``), ``all`` (also ``kpi_claims_all``: every claim of
        the payer, provider and source filters, whatever its date, as the HFMA rate reads it)."""
        if scope == "warehouse" or scope in self.ready:
            return
        if "cohort" not in self.ready:
            if self.stored:
                snapshot.use_cohort(self.conn)
            else:
                prepare(self.conn, **_cohort(self.filters))
            self.ready.add("cohort")
        if scope == "all":
            if self.stored:  # the stored cohort is every claim already (no filter, every date)
                self.conn.execute("CREATE OR REPLACE TEMP VIEW kpi_claims_all AS FROM kpi_claims")
            else:
                build_cohort(
                    self.conn,
                    start=EARLIEST,
                    end=LATEST,
                    table="kpi_claims_all",
                    **{k: self.filters[k] for k in ("payer", "source", "provider")},
                )
            self.ready.add("all")


def _connect(path: str) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(path, read_only=True)


def _stamp(conn: duckdb.DuckDBPyConnection, path: str) -> tuple[str, int]:
    """The warehouse's version: its latest run and the file's modification time."""
    try:
        row = conn.execute(
            "SELECT run_id FROM runs ORDER BY started_at DESC, run_id DESC LIMIT 1"
        ).fetchone()
    except duckdb.CatalogException:
        row = None
    return (str(row[0]) if row else "", os.stat(path).st_mtime_ns if os.path.exists(path) else 0)


def _df(cursor: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The result as a DataFrame: money (DECIMAL) as floats, DATE columns as dates."""
    dates = [d[0] for d in cursor.description or () if str(d[1]) == "DATE"]
    frame: pd.DataFrame = cursor.df()
    for column in dates:
        frame[column] = frame[column].dt.date.where(frame[column].notna(), None)
    return frame


def _mask(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with patient identifiers masked, unless the viewer's role may see them."""
    role = os.environ.get(ROLE_ENV, DEFAULT_ROLE)
    if may_see_phi(role, parse_roles(os.environ.get(PHI_ROLES_ENV, DEFAULT_PHI_ROLES))):
        return frame
    for column in PHI_COLUMNS:
        if column in frame.columns:
            frame[column] = frame[column].where(frame[column].isna(), MASK)
    return frame


@st.cache_data(max_entries=512, show_spinner=False)
def _cached(
    _view: View, key: tuple[Any, ...], sql: str, params: tuple[Any, ...], scope: str
) -> pd.DataFrame:
    del key  # part of the cache key only
    _view.need(scope)
    return _df(_view.conn.execute(sql, list(params)))


def _query(
    view: View, sql: str, params: tuple[Any, ...] = (), scope: str = "cohort"
) -> pd.DataFrame:
    """Rows of ``sql`` (cached), patient identifiers masked."""
    return _mask(_cached(view, view.key, sql, params, scope))


def _report(view: View, name: str) -> pd.DataFrame:
    """Named report ``name``: the snapshot's rows when it answers the filters, else live."""
    if view.stored and name in snapshot.STORED:
        sql, scope = f"SELECT * FROM {snapshot.report_table(name)} ORDER BY rowid", "warehouse"
    else:
        scope = "warehouse" if name in ("quarantine_by_rule", "run_history") else "cohort"
        sql = REPORTS[name]
    return _query(view, sql, (), scope)


@st.cache_data(max_entries=64, show_spinner=False)
def _kpis(_view: View, key: tuple[Any, ...]) -> dict[str, object]:
    del key
    if _view.stored:
        return snapshot.kpis(_view.conn)
    kpis = compute_kpis(_view.conn, **_cohort(_view.filters))
    _view.ready.update(("cohort", "all"))  # compute_kpis leaves kpi_claims(_all), kpi_window
    return kpis


@st.cache_data(max_entries=16, show_spinner=False)
def _choices(
    _conn: duckdb.DuckDBPyConnection, path: str, stamp: tuple[str, int]
) -> tuple[dt.date, dt.date, list[str], list[str], list[str]]:
    """The filters' bounds and choices: submission dates, payers, sources, billing NPIs."""
    del path, stamp
    bounds = _conn.execute(
        "SELECT min(submission_date), max(submission_date) FROM claims_header"
    ).fetchone()
    low = bounds[0] if bounds and bounds[0] else dt.date.today() - dt.timedelta(days=365)
    high = bounds[1] if bounds and bounds[1] else dt.date.today()

    def distinct(column: str, limit: str = "") -> list[str]:
        return [
            str(r[0])
            for r in _conn.execute(
                f"SELECT DISTINCT {column} FROM claims_header WHERE {column} IS NOT NULL"
                f" ORDER BY 1 {limit}"
            ).fetchall()
        ]

    return (
        low,
        high,
        distinct("payer_id"),
        distinct("source_system"),
        distinct("billing_npi", "LIMIT 500"),
    )


# ---------------------------------------------------------------------------------------------
# The rows behind a figure


@dataclass(frozen=True)
class Rows:
    """The rows behind a figure: one query (its parameters, and what it reads: see
    :meth:`View.need`), with aggregates over them that give the figure back (label, SQL)."""

    sql: str
    params: tuple[Any, ...] = ()
    scope: str = "cohort"
    summary: tuple[tuple[str, str], ...] = ()
    order: str = ""

    def where(self, condition: str, *params: Any) -> Rows:
        """These rows, only those meeting ``condition`` (over this query's columns)."""
        return Rows(
            f"SELECT * FROM ({self.sql}) AS r WHERE {condition}",
            (*self.params, *params),
            self.scope,
            self.summary,
            self.order,
        )

    def also(self, *summary: tuple[str, str]) -> Rows:
        """These rows, with more aggregates shown beside their count."""
        return Rows(self.sql, self.params, self.scope, (*self.summary, *summary), self.order)


CLAIMS = Rows("SELECT * FROM kpi_claims", order="submission_date, claim_id")


def _claims(condition: str, *params: Any) -> Rows:
    """Claims of the cohort (``kpi_claims``) meeting ``condition``."""
    return CLAIMS.where(condition, *params)


@st.cache_data(max_entries=64, show_spinner=False)
def _behind(
    _view: View, key: tuple[Any, ...], rows: Rows
) -> tuple[int, list[tuple[str, object]], pd.DataFrame]:
    """How many rows, their aggregates, and the first :data:`SHOWN_ROWS` of them."""
    del key
    _view.need(rows.scope)
    conn = _view.conn
    # the rows once (unsorted: cheaper), then their count, aggregates and first rows in order
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE rows_behind AS SELECT * FROM ({rows.sql}) AS r",
        list(rows.params),
    )
    aggregates = ", ".join(["count(*)", *(expr for _, expr in rows.summary)])
    found = conn.execute(f"SELECT {aggregates} FROM rows_behind").fetchone() or (0,)
    order = f"ORDER BY {rows.order}" if rows.order else ""
    head = _df(conn.execute(f"SELECT * FROM rows_behind {order} LIMIT {SHOWN_ROWS}"))
    conn.execute("DROP TABLE rows_behind")
    labels = [label for label, _ in rows.summary]
    return int(found[0]), list(zip(labels, found[1:], strict=True)), head


def _export(path: str, filters: dict[str, Any], stored: bool, rows: Rows) -> str:
    """All the rows as CSV, on a connection of its own (run when Export CSV is clicked)."""
    conn = _connect(path)
    try:
        view = View(conn, path, filters, stored, ("", 0))
        view.need(rows.scope)
        order = f"ORDER BY {rows.order}" if rows.order else ""
        frame = _df(conn.execute(f"SELECT * FROM ({rows.sql}) AS r {order}", list(rows.params)))
        text: str = _mask(frame).to_csv(index=False)
        return text
    finally:
        conn.close()


def _show(value: object, label: str = "") -> str:
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and "rate" in label:
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "—" if value is None else str(value)


def _rows_behind(
    view: View, rows: Rows, label: str, name: str, metric: str = "", listing: bool = False
) -> int:
    """Show the rows behind a figure: how many, the aggregates that give the figure back, the
    first :data:`SHOWN_ROWS` and an export of all (the only way rows are shown). With
    ``metric``, their count is shown first as a metric of that name; a ``listing`` is a page's
    own list (an open worklist), not the rows behind a figure. Returns the count."""
    count, aggregates, head = _behind(view, view.key, rows)
    if metric:
        st.metric(metric, f"{count:,}")
    described = "".join(f" · {k}: {_show(v, k)}" for k, v in aggregates)
    more = f" (the first {SHOWN_ROWS} are shown, Export CSV has all)" if count > SHOWN_ROWS else ""
    title = label if listing else f"Rows behind {label}"
    st.caption(f"{title}: {count:,} row{'' if count == 1 else 's'}{described}{more}")
    st.dataframe(_mask(head), width="stretch")
    path, filters, stored = view.path, view.filters, view.stored
    st.download_button(
        "Export CSV",
        lambda: _export(path, filters, stored, rows),
        f"{name}.csv",
        "text/csv",
        key=f"csv_{name}",
        on_click="ignore",
    )
    return count


def _table(frame: pd.DataFrame, name: str) -> None:
    """A table already read, with its CSV export; a long one shows its first rows."""
    if len(frame) > SHOWN_ROWS:
        st.caption(f"{len(frame):,} rows: the first {SHOWN_ROWS} are shown, Export CSV has all")
    st.dataframe(frame.head(SHOWN_ROWS), width="stretch")
    st.download_button(
        "Export CSV",
        lambda: frame.to_csv(index=False),
        f"{name}.csv",
        "text/csv",
        key=f"csv_{name}",
        on_click="ignore",
    )


def _value(value: object) -> object:
    """A cell of a pandas frame as a query parameter (missing → NULL)."""
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    item = getattr(value, "item", None)  # numpy scalars
    return item() if callable(item) else value


def grouped(base: Rows, keys: dict[str, str]) -> Callable[[dict[str, Any]], Rows]:
    """The rows behind one row of an aggregate: ``base`` (the rows the aggregate groups) whose
    SQL expression ``keys[column]`` equals that row's ``column``, for each key column."""

    def rows_of(row: dict[str, Any]) -> Rows:
        condition = " AND ".join(f"({expr}) IS NOT DISTINCT FROM ?" for expr in keys.values())
        return base.where(condition, *(_value(row[c]) for c in keys))

    return rows_of


def _drill(
    view: View,
    frame: pd.DataFrame,
    name: str,
    rows_of: Callable[[dict[str, Any]], Rows],
    label: Callable[[dict[str, Any]], str] | list[str],
) -> None:
    """Under a table of aggregates: choose one of its rows (those on screen) to see the rows
    behind it. Nothing is queried until a row is chosen."""
    if frame.empty:
        return
    shown = frame.head(SHOWN_ROWS)
    records = shown.to_dict("records")
    if isinstance(label, list):
        columns = label
        texts = [" · ".join(_show(_value(r[c])) for c in columns) for r in records]
    else:
        texts = [label(r) for r in records]
    choice = st.selectbox(
        "Rows behind a row of this table",
        range(len(shown)),
        index=None,
        format_func=lambda i: texts[i],
        placeholder="Choose a row to see the rows behind it",
        key=f"drill_{name}",
    )
    if choice is not None:
        _rows_behind(view, rows_of(records[choice]), texts[choice], f"{name}_{choice}")


# ---------------------------------------------------------------------------------------------
# Filters


def _filters(conn: duckdb.DuckDBPyConnection, path: str, stamp: tuple[str, int]) -> dict[str, Any]:
    low, high, payers, sources, providers = _choices(conn, path, stamp)
    st.sidebar.header("Filters")
    window = st.sidebar.date_input("Submitted between", (low, high))
    start, end = (
        (window[0], window[-1]) if isinstance(window, tuple | list) and window else (low, high)
    )
    payer = st.sidebar.selectbox("Payer", ["(all)", *payers])
    source = st.sidebar.selectbox("Source system", ["(all)", *sources])
    provider = st.sidebar.selectbox("Billing provider (NPI)", ["(all)", *providers])
    chosen = {
        "start": start,
        "end": end,
        "payer": None if payer == "(all)" else payer,
        "source": None if source == "(all)" else source,
        "provider": None if provider == "(all)" else provider,
    }  # fmt: skip
    narrowed = (start, end) != (low, high) or any(
        chosen[k] for k in ("payer", "source", "provider")
    )
    return {**chosen, "narrowed": narrowed}


def _cohort(f: dict[str, Any]) -> dict[str, Any]:
    """The filters as :func:`compute_kpis` and :func:`prepare` take them."""
    return {k: f[k] for k in ("start", "end", "payer", "source", "provider")}


def _of_filtered_claims(f: dict[str, Any], column: str = "claim_id") -> tuple[str, list[Any]]:
    """SQL condition (and its parameters): ``column`` is a claim the filters keep. Nothing is
    left out while no filter is narrowed (rows of claims without a submission date included)."""
    if not f["narrowed"]:
        return "true", []
    return (
        f"{column} IN (SELECT claim_id FROM claims_header WHERE submission_date BETWEEN ? AND ?"
        " AND (? IS NULL OR payer_id = ?) AND (? IS NULL OR source_system = ?)"
        " AND (? IS NULL OR billing_npi = ?))",
        [f["start"], f["end"], f["payer"], f["payer"], f["source"], f["source"], f["provider"],
         f["provider"]],
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Row-level definitions of the figures that are not over the cohort's claims

# One row per claim A/R looks at, as of a day: the claims and contractual adjustments AR_PIECES
# (claimflow.marts.kpis) sums, with each claim's balance
_AR_BUCKET_CASE = " ".join(
    f"WHEN c.day - c.submission_date >= {lo}"
    + ("" if hi is None else f" AND c.day - c.submission_date <= {hi}")
    + f" THEN '{name}'"
    for name, lo, hi in AR_BUCKETS
)

AR_CLAIMS = f"""
  -- A/R claim by claim as of the day (the first parameter): the claims AR_PIECES counts (of the
  -- payer/provider/source filters in kpi_window, submitted by the day, one claim once) with
  -- their balance = charge − what their 835s dated by the day paid − those 835s' contractual
  -- adjustments; A/R is the claims with a positive balance, in the bucket of their age
  WITH d AS (
    SELECT CAST(? AS DATE) AS day
  ), claims AS (
    SELECT c.claim_id, c.patient_control_number, c.payer_id, c.billing_npi, c.source_system,
           c.submission_date, c.total_charge, d.day
    {ar_claims_from("d.day", " CROSS JOIN d")}
  ), contractual AS ({CONTRACTUAL_BY_ADJUDICATION}
  ), settled AS (
    SELECT a.claim_id, sum(a.paid_amount + coalesce(ct.amount, 0)) AS settled
    FROM adjudication AS a
    JOIN payments AS p ON p.payment_id = a.payment_id
    LEFT JOIN contractual AS ct ON ct.adjudication_id = a.adjudication_id
    WHERE a.claim_id IN (SELECT claim_id FROM claims) AND p.payment_date <= (SELECT day FROM d)
    GROUP BY 1
  )
  SELECT c.claim_id, c.patient_control_number, c.payer_id, c.billing_npi, c.source_system,
         c.submission_date, c.total_charge, coalesce(s.settled, 0) AS paid_and_contractual,
         c.total_charge - coalesce(s.settled, 0) AS balance,
         CAST(c.day - c.submission_date AS INTEGER) AS age_days,
         CASE {_AR_BUCKET_CASE} END AS bucket
  FROM claims AS c LEFT JOIN settled AS s USING (claim_id)
"""

AR_LABELS = {"0_30": "0–30", "31_60": "31–60", "61_90": "61–90", "91_120": "91–120"}


def _ar(day: dt.date) -> Rows:
    return Rows(AR_CLAIMS, (day,), order="submission_date, claim_id")


def _open_ar(day: dt.date, bucket: str | None = None) -> Rows:
    """Claims with an open balance as of ``day`` (of one aging bucket)."""
    rows = (
        _ar(day).where("balance > 0")
        if bucket is None
        else _ar(day).where("balance > 0 AND bucket = ?", bucket)
    )
    return rows.also(("Σ balance", "sum(balance)"))


AUTO_POSTING = Rows(AUTO_POSTING_LINES, order="day")  # the auto-posting rate's 835 lines
OUTCOMES = Rows(
    RESUBMISSION_OUTCOMES,
    summary=(("Σ recovered", "sum(recovered_amount)"),),
    order="claim_id, attempt",
)
DENIALS = Rows(
    DENIAL_LINES,
    summary=(("claims", "count(DISTINCT claim_id)"), ("Σ denied", "sum(amount)")),
    order="amount DESC, claim_id",
)


def _hfma(view: View, numerator: bool) -> Rows:
    """The rows of the HFMA rate's numerator or denominator (over ``kpi_claims_all``): the
    claims initially denied in the reporting months; the claims submitted in the three months
    before each, with how many reporting months count each (the denominator is Σ ÷ 3)."""
    view.need("all")
    start, end = view.filters["start"], view.filters["end"]
    bounds = view.conn.execute(
        "SELECT (SELECT min(submission_date) FROM kpi_claims_all),"
        " (SELECT max(payment_date) FROM payments)"
    ).fetchone()
    months = hfma_months(start, end, bounds[0], bounds[1]) if bounds and None not in bounds else []
    if not months:  # no reporting month: the rate is "—", nothing is behind it
        return Rows("SELECT * FROM kpi_claims_all WHERE false", scope="all")
    first, last = months[0], months[-1]
    if numerator:
        return Rows(
            "SELECT * FROM kpi_claims_all WHERE initially_denied AND first_payment_date >= ?"
            " AND first_payment_date < CAST(? AS DATE) + INTERVAL 1 MONTH",
            (first, last),
            "all",
            order="first_payment_date, claim_id",
        )
    return Rows(
        "SELECT (SELECT count(*) FROM (SELECT unnest(CAST(? AS DATE[])) AS m) AS t"
        "        WHERE k.submission_date >= t.m - INTERVAL 3 MONTH AND k.submission_date < t.m)"
        "       AS reporting_months_counted, k.*"
        " FROM kpi_claims_all AS k WHERE k.submission_date >= CAST(? AS DATE) - INTERVAL 3 MONTH"
        " AND k.submission_date < ?",
        (months, first, last),
        "all",
        (("denominator (Σ months counted ÷ 3)", "sum(reporting_months_counted) / 3"),),
        "submission_date, claim_id",
    )


LAG = Rows(
    "SELECT first_payment_date - submission_date AS lag_days, * FROM kpi_claims"
    " WHERE first_payment_date IS NOT NULL",
    summary=(("median lag", "median(lag_days)"), ("p90 lag", "quantile_cont(lag_days, 0.9)")),
    order="lag_days, claim_id",
)
FIRST_PASS_CLEAN = (
    f"frequency = '1' AND coalesce(ik501, 'A') IN ('A', 'E') AND first_status IN {ACCEPTED_277}"
)


def _figures(view: View) -> dict[str, Callable[[], Rows]]:
    """Each Overview tile (a rate: its numerator and its denominator) → the rows behind it, the
    very conditions of the KPI's aggregate (``claimflow.marts.kpis.COHORT_KPIS``)."""
    end = view.filters["end"]
    sets = ("transaction sets", f"count(DISTINCT {TRANSACTION_SET})")
    net = ("net collection rate", "sum(paid_amount) / sum(total_charge - contractual_amount)")
    ar_buckets: dict[str, Callable[[], Rows]] = {
        f"A/R {AR_LABELS.get(name, 'over 120')} days: open claims of that age": (
            lambda name=name: _open_ar(end, name)  # type: ignore[misc]
        )
        for name, _, _ in AR_BUCKETS
    }
    return {
        "Claims submitted": lambda: CLAIMS,
        "Billed": lambda: CLAIMS.also(("Σ total_charge", "sum(total_charge)")),
        "Paid": lambda: _claims("paid_amount <> 0").also(("Σ paid_amount", "sum(paid_amount)")),
        "First-pass clean claim rate: clean on the first pass (numerator)": lambda: _claims(
            FIRST_PASS_CLEAN
        ),
        "First-pass clean claim rate: original claims with a 999 or 277CA (denominator)": (
            lambda: _claims("frequency = '1' AND (ik501 IS NOT NULL OR first_status IS NOT NULL)")
        ),
        "Initial denial rate: initially denied (numerator)": lambda: _claims("initially_denied"),
        "Initial denial rate: claims submitted (denominator)": lambda: CLAIMS,
        "Initial denial rate, HFMA 3-month: denials in the reporting months (numerator)": (
            lambda: _hfma(view, numerator=True)
        ),
        "Initial denial rate, HFMA 3-month: submitted in the 3 months before each (denominator)": (
            lambda: _hfma(view, numerator=False)
        ),
        "999 rejection rate: claims of rejected transaction sets (numerator)": lambda: _claims(
            f"ik501 IN {REJECTED_999}"
        ).also(sets),
        "999 rejection rate: claims of transaction sets with a 999 (denominator)": lambda: _claims(
            "ik501 IS NOT NULL"
        ).also(sets),
        "277CA rejection rate: rejected by the latest 277CA (numerator)": lambda: _claims(
            REJECTED_277CA_CLAIM
        ),
        "277CA rejection rate: claims with a 277CA (denominator)": lambda: _claims(
            "latest_status IS NOT NULL"
        ),
        "Payer lag, median days: claims with an 835": lambda: LAG,
        "Net collection rate: claims with an 835": lambda: _claims(
            "first_payment_date IS NOT NULL"
        ).also(
            ("Σ paid", "sum(paid_amount)"),
            ("Σ charge − contractual", "sum(total_charge - contractual_amount)"),
            net,
        ),
        "Days in A/R: open claims (numerator, the A/R)": lambda: _open_ar(end),
        "Days in A/R: charges of the last 90 days (denominator ÷ 90)": lambda: (
            _ar(end).where("age_days < 90").also(("Σ total_charge", "sum(total_charge)"))
        ),
        "A/R: open claims": lambda: _open_ar(end),
        **ar_buckets,
        "835 auto-posting rate: lines posted without review (numerator)": lambda: (
            AUTO_POSTING.where("auto_posted")
        ),
        "835 auto-posting rate: 835 lines paid in the window (denominator)": lambda: AUTO_POSTING,
        "Final denial write-offs": lambda: _claims("written_off_amount <> 0").also(
            ("Σ written off", "sum(written_off_amount)")
        ),
        "Resubmission success rate: paid (numerator)": lambda: OUTCOMES.where("outcome = 'paid'"),
        "Resubmission success rate: answered by the payer (denominator)": lambda: OUTCOMES.where(
            "outcome <> 'pending'"
        ),
    }


# ---------------------------------------------------------------------------------------------
# Pages


def _chart(
    kind: str, frame: pd.DataFrame, x: str, y: str | list[str], title: str, hover: str = ""
) -> None:
    """A line, bar or stacked-area chart of ``frame`` (Plotly graph objects: a tenth of the
    time of plotly.express for the same figure)."""
    columns = [y] if isinstance(y, str) else y
    traces = []
    for column in columns:
        if kind == "bar":
            text = frame[hover].map(lambda v: f"{hover}: {v}") if hover else None
            traces.append(go.Bar(x=frame[x], y=frame[column], name=column, hovertext=text))
        else:
            stack = "all" if kind == "area" else None
            traces.append(
                go.Scatter(x=frame[x], y=frame[column], name=column, mode="lines", stackgroup=stack)
            )
    figure = go.Figure(data=traces)
    figure.update_layout(
        title=title,
        xaxis_title=x,
        yaxis_title=columns[0] if len(columns) == 1 else "value",
        showlegend=len(columns) > 1,
    )
    st.plotly_chart(figure, width="stretch")


def _format(key: str, value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and "rate" in key:
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _pick_figure(view: View, figures: dict[str, Callable[[], Rows]], key: str, what: str) -> None:
    """A selectbox of figures with no default; the chosen one's rows, once chosen."""
    choice = st.selectbox(
        "Rows behind a figure",
        list(figures),
        index=None,
        placeholder=f"Choose a figure to see {what} behind it",
        key=key,
    )
    if choice is not None:
        _rows_behind(view, figures[choice](), choice, key)


def overview(view: View) -> None:
    st.header("Overview")
    kpis = _kpis(view, view.key)
    columns = st.columns(4)
    for i, (key, label) in enumerate(KPI_LABELS.items()):
        columns[i % 4].metric(label, _format(key, kpis.get(key)))
    _pick_figure(view, _figures(view), "figure", "the rows")
    daily = _report(view, "daily_by_payer_provider_source")
    if not daily.empty:
        # by week of submission, from the daily mart (no second pass over the claims)
        day = pd.to_datetime(daily["day"])
        weekly = daily.assign(
            week=(day - pd.to_timedelta(day.dt.day_of_week, unit="D")).dt.date,
            initially_denied=(daily["initial_denial_rate"] * daily["claims_submitted"]).round(),
        )
        trend = weekly.groupby("week", as_index=False).agg(
            claims=("claims_submitted", "sum"),
            billed=("total_billed", "sum"),
            paid=("total_paid", "sum"),
            initially_denied=("initially_denied", "sum"),
        )
        trend["initially_denied"] = trend["initially_denied"].astype(int)
        figure = go.Figure(  # one chart: dollars on the left axis, denied claims on the right
            data=[
                go.Scatter(x=trend["week"], y=trend["billed"], name="billed", mode="lines"),
                go.Scatter(x=trend["week"], y=trend["paid"], name="paid", mode="lines"),
                go.Bar(
                    x=trend["week"],
                    y=trend["initially_denied"],
                    name="initially denied claims",
                    yaxis="y2",
                    opacity=0.35,
                ),
            ]
        )
        figure.update_layout(
            title="Billed and paid (left) and initially denied claims (right), by week of"
            " submission",
            xaxis_title="week",
            yaxis={"title": "dollars", "rangemode": "tozero"},
            yaxis2={"title": "claims", "overlaying": "y", "side": "right", "showgrid": False,
                    "tickmode": "auto", "rangemode": "tozero"},
            legend={"orientation": "h", "x": 0, "y": -0.25},
        )  # fmt: skip
        st.plotly_chart(figure, width="stretch")
        _drill(
            view,
            trend,
            "week",
            lambda r: _claims(
                "submission_date BETWEEN ? AND ?", r["week"], r["week"] + dt.timedelta(days=6)
            ),
            lambda r: (
                f"week of {r['week']}: {r['claims']:,} claims, {r['initially_denied']:,}"
                f" initially denied, billed {r['billed']:,.2f}, paid {r['paid']:,.2f}"
            ),
        )
    st.subheader("Daily by payer, provider and source")
    if not daily.empty:
        money = ["total_billed", "total_allowed", "total_paid", "final_denial_write_off_amount"]
        by_day = daily.groupby("day", as_index=False)[money].sum()
        _chart(
            "line", by_day, x="day", y=money, title="Billed, allowed, paid and written off by day"
        )
    st.caption(f"{len(daily):,} day × payer × provider × source rows (filters apply)")
    _table(daily, "daily_by_payer_provider_source")
    keys = {"day": "submission_date", "payer_id": "payer_id", "provider": "billing_npi",
            "source_system": "source_system"}  # fmt: skip
    _drill(view, daily, "daily", grouped(CLAIMS, keys), list(keys))
    st.subheader("A/R by day")
    ar = _report(view, "daily_ar")
    if not ar.empty:
        buckets = [c for c in ar.columns if c.startswith("ar_") and c != "ar_total"]
        by_day = ar.groupby("day", as_index=False)[["ar_total", *buckets, "charges_90d"]].sum()
        daily_charges = by_day["charges_90d"].where(by_day["charges_90d"] != 0) / 90
        by_day["days_in_ar"] = (by_day["ar_total"] / daily_charges).round(2)
        _chart("area", by_day, x="day", y=buckets, title="Open A/R by age (days since submission)")
        st.dataframe(by_day, width="stretch")
        _drill(
            view,
            by_day,
            "ar",
            lambda r: _open_ar(_value(r["day"])),  # type: ignore[arg-type]
            lambda r: f"{r['day']}: A/R {r['ar_total']:,.2f}",
        )
    st.caption(
        "A/R as of each day: every claim of the filters submitted by then; days in A/R = A/R ÷"
        f" (charges of the last 90 days ÷ 90). By payer, provider and source: {len(ar):,} rows"
        " in the export."
    )
    st.download_button(
        "Export CSV",
        lambda: ar.to_csv(index=False),
        "daily_ar.csv",
        "text/csv",
        key="csv_ar",
        on_click="ignore",
    )


DAY_GROUP = {"day": "submission_date", "payer_id": "payer_id", "provider": "provider",
             "source_system": "source_system"}  # fmt: skip
CARC = "group_code || '-' || reason_code"


def denials(view: View) -> None:
    st.header("Denials")
    by_category = _report(view, "denials_by_category")
    if by_category.empty:
        st.info("No denials in this window.")
        return
    _chart(
        "bar",
        by_category,
        x="category",
        y="denied_amount",
        hover="claims",
        title="Denied amount by category",
    )
    st.dataframe(by_category, width="stretch")
    _drill(view, by_category, "category", grouped(DENIALS, {"category": "category"}), ["category"])
    st.subheader("Top CARCs")
    by_carc = _report(view, "denials_by_carc")
    st.dataframe(by_carc, width="stretch")
    _drill(view, by_carc, "carc", grouped(DENIALS, {"carc": CARC}), ["carc", "category"])
    st.subheader("By payer")
    by_payer = _report(view, "denials_by_payer")
    st.dataframe(by_payer, width="stretch")
    keys = {"payer_id": "payer_id", "category": "category"}
    _drill(view, by_payer, "payer", grouped(DENIALS, keys), list(keys))
    st.subheader("Daily by payer, provider and source")
    st.caption("By the claims' submission day; the top CARCs are each group's five largest.")
    daily = _report(view, "daily_denials_by_category")
    _table(daily, "daily_denials_by_category")
    keys = {**DAY_GROUP, "category": "category"}
    _drill(view, daily, "daily_category", grouped(DENIALS, keys), list(keys))
    daily = _report(view, "daily_denials_by_carc")
    _table(daily, "daily_denials_by_carc")
    keys = {**DAY_GROUP, "carc": CARC}
    _drill(view, daily, "daily_carc", grouped(DENIALS, keys), list(keys))
    st.subheader("277CA rejections by status code")
    rejections = _report(view, "daily_277ca_rejections")
    rejected = _claims(REJECTED_277CA_CLAIM)
    if not rejections.empty:
        codes = (
            rejections.assign(status_code=rejections["status_code"].fillna(""))
            .groupby(["status_category", "status_code"], as_index=False)["claims"]
            .sum()
        )
        codes["status"] = codes["status_category"] + ":" + codes["status_code"]
        _chart(
            "bar",
            codes,
            x="status",
            y="claims",
            title="Claims rejected by the 277CA, by STC01 category:status code",
        )
        keys = {
            "status_category": "latest_status",
            "status_code": "coalesce(latest_status_code, '')",
        }
        _drill(view, codes, "status", grouped(rejected, keys), ["status", "claims"])
    _table(rejections, "daily_277ca_rejections")
    keys = {"day": "submission_date", "payer_id": "payer_id", "provider": "billing_npi",
            "source_system": "source_system", "status_category": "latest_status",
            "status_code": "latest_status_code", "entity_code": "latest_entity_code"}  # fmt: skip
    _drill(view, rejections, "rejections", grouped(rejected, keys), list(keys))


def worklist(view: View) -> None:
    st.header("Worklist: automatic resubmissions")
    where, params = _of_filtered_claims(view.filters, "r.claim_id")
    resubmissions = Rows(
        "SELECT r.claim_id, c.patient_control_number, r.trigger, r.frequency_code, r.category,"
        " r.fix, r.original_payer_claim_control_number, r.created_at FROM resubmissions r"
        f" LEFT JOIN claims_header c ON c.claim_id = r.claim_id WHERE {where}",
        tuple(params),
        "warehouse",
        order="created_at DESC, claim_id",
    )
    _rows_behind(
        view,
        resubmissions,
        "Claims resubmitted automatically, each with the fix applied",
        "resubmissions",
        listing=True,
    )
    st.subheader("Resubmission outcomes")
    outcomes = _report(view, "resubmission_outcomes")

    def total(column: str) -> float:
        return float(outcomes[column].astype(float).sum()) if not outcomes.empty else 0.0

    answered, paid, recovered = total("answered"), total("paid"), total("recovered_amount")
    left, middle, right = st.columns(3)
    left.metric("Answered by the payer", f"{answered:,.0f} of {total('resubmitted'):,.0f}")
    middle.metric("Resubmission success rate", f"{paid / answered:.1%}" if answered else "—")
    right.metric("Recovered", f"{recovered:,.2f}")
    st.caption(
        "The payer's answer is the first 835 after the one that triggered the resubmission, on"
        " the claim or its replacement; paid if it pays anything."
    )
    figures: dict[str, Callable[[], Rows]] = {
        "Resubmitted (of the cohort's claims)": lambda: OUTCOMES,
        "Answered by the payer": lambda: OUTCOMES.where("outcome <> 'pending'"),
        "Resubmission success rate: paid (numerator)": lambda: OUTCOMES.where("outcome = 'paid'"),
        "Recovered": lambda: OUTCOMES.where("recovered_amount <> 0"),
    }
    _pick_figure(view, figures, "outcome_figure", "the resubmissions")
    st.dataframe(outcomes, width="stretch")
    _drill(view, outcomes, "outcomes", grouped(OUTCOMES, {"category": "category"}), ["category"])


def rejection_log(view: View) -> None:
    st.header("Rejection log: open exceptions, largest first")
    where, params = _of_filtered_claims(view.filters)
    log = Rows(
        "SELECT patient_control_number AS claim_id, source_system, reason, category, disposition,"
        f" amount, confidence, logged_at FROM rejection_log WHERE {where}",
        tuple(params),
        "warehouse",
        order="amount DESC NULLS LAST, logged_at, claim_id",
    )
    _rows_behind(
        view, log, "Open exceptions", "rejection_log", "Exceptions for a person", listing=True
    )


def sla(view: View) -> None:
    st.header("SLA alerts: missing acknowledgments")
    where, params = _of_filtered_claims(view.filters)
    alerts = Rows(
        "SELECT patient_control_number, payer_id, kind, submission_date, due_at, first_raised_at,"
        f" notified_at FROM sla_alerts WHERE resolved_at IS NULL AND {where}",
        tuple(params),
        "warehouse",
        order="due_at, patient_control_number",
    )
    by_payer = _query(
        view,
        f"SELECT payer_id, kind, count(*) AS open_alerts, min(due_at) AS oldest_due_at"
        f" FROM ({alerts.sql}) GROUP BY 1, 2 ORDER BY 1, 2",
        alerts.params,
        "warehouse",
    )
    total = int(by_payer["open_alerts"].sum()) if not by_payer.empty else 0
    st.metric("Open alerts", f"{total:,}")
    st.subheader("Open alerts by payer and kind")
    st.dataframe(by_payer, width="stretch")
    keys = {"payer_id": "payer_id", "kind": "kind"}
    _drill(view, by_payer, "sla", grouped(alerts, keys), list(keys))
    st.subheader("Every open alert")
    _rows_behind(view, alerts, "Open alerts", "sla_alerts", listing=True)


LAGS = """
    SELECT payer_id, count(*) AS claims, min(lag) AS min, quantile_cont(lag, 0.25) AS q1,
           median(lag) AS median, quantile_cont(lag, 0.75) AS q3, max(lag) AS max
    FROM (SELECT payer_id, first_payment_date - submission_date AS lag FROM kpi_claims
          WHERE first_payment_date IS NOT NULL)
    GROUP BY 1 ORDER BY 1"""


def payers(view: View) -> None:
    st.header("Payers: scorecard")
    frame = _report(view, "payer_scorecard")
    st.dataframe(frame, width="stretch")
    claims = Rows(  # every claim of the payer, with its lag (none without an 835)
        "SELECT first_payment_date - submission_date AS lag_days, * FROM kpi_claims",
        summary=(("Σ billed", "sum(total_charge)"), ("median lag", "median(lag_days)")),
        order="submission_date, claim_id",
    )
    _drill(view, frame, "payer", grouped(claims, {"payer_id": "payer_id"}), ["payer_id"])
    lags = _query(view, LAGS)
    if not lags.empty:
        figure = go.Figure(
            go.Box(
                x=lags["payer_id"],
                q1=lags["q1"],
                median=lags["median"],
                q3=lags["q3"],
                lowerfence=lags["min"],
                upperfence=lags["max"],
                name="days",
            )
        )
        figure.update_layout(
            title="Days from submission to payment (box: quartiles; whiskers: min and max)",
            xaxis={"title": "payer", "type": "category"},  # payer ids are names, not numbers
            yaxis_title="days",
        )
        st.plotly_chart(figure, width="stretch")
        _drill(
            view,
            lags,
            "lag",
            grouped(LAG, {"payer_id": "payer_id"}),
            lambda r: f"{r['payer_id']}: {r['claims']:,} claims paid, median {r['median']:g} days",
        )


FORECAST = Rows(
    "SELECT f.claim_id, k.patient_control_number, f.payer_id, k.submission_date, k.total_charge,"
    f" f.week_start, f.expected_payment FROM ({open_claim_forecast(LIVE_CUTOFF, FORECAST_WEEKS)})"
    " AS f JOIN claims_header AS k USING (claim_id) WHERE f.expected_payment <> 0",
    summary=(
        ("claims expecting a payment", "count(*) FILTER (WHERE expected_payment > 0)"),
        ("Σ expected", "sum(expected_payment)"),
    ),
    order="expected_payment DESC, claim_id",
)


def _backtest_week(week: object) -> Rows:
    """The claims open on a back-test Monday: the forecast for each and what its 835s paid that
    week (the back-test's query for that one Monday: each Monday uses only what was known)."""
    one = "SELECT CAST(? AS DATE) AS cutoff"
    return Rows(
        "SELECT f.claim_id, k.patient_control_number, f.payer_id, k.submission_date,"
        " k.total_charge, f.expected_payment AS forecast,"
        " coalesce((SELECT sum(a.paid_amount) FROM adjudication AS a"
        "  JOIN payments AS p ON p.payment_id = a.payment_id WHERE a.claim_id = f.claim_id"
        "  AND p.payment_date >= f.cutoff AND p.payment_date < f.cutoff + 7), 0) AS actual"
        f" FROM ({open_claim_forecast(one, 1)}) AS f JOIN claims_header AS k USING (claim_id)",
        (week,),
        summary=(("Σ forecast", "sum(forecast)"), ("Σ actual", "sum(actual)")),
        order="forecast DESC, claim_id",
    )


def forecast(view: View) -> None:
    st.header("Cash forecast: expected payments on open claims")
    frame = _report(view, "cash_forecast")
    backtest = _report(view, "cash_forecast_backtest")
    left, right = st.columns(2)
    with left:
        st.subheader("Next weeks")
        if not frame.empty and not frame["expected_payment"].astype(float).any():
            st.info(
                "Nothing expected: every open claim is older than any age at which a claim was"
                " still paid (or nothing has been paid yet)."
            )
        if not frame.empty:
            _chart(
                "bar",
                frame,
                x="expected_week",
                y="expected_payment",
                title="Expected payments by week",
            )
        st.dataframe(frame, width="stretch")
    with right:
        st.subheader("Back-test on past weeks")
        if backtest.empty:
            st.info("No past week to test yet: it needs an 835 before the week and after it.")
        else:
            _chart(
                "line",
                backtest,
                x="week",
                y=["forecast", "actual"],
                title="Forecast as of each Monday vs paid that week",
            )
            actual = float(backtest["actual"].astype(float).sum())
            error = float(backtest["error"].astype(float).abs().sum())
            st.metric(
                "Back-test error (Σ|forecast − actual| ÷ Σ actual)",
                f"{error / actual:.1%}" if actual else "—",
            )
        st.dataframe(backtest, width="stretch")
    _drill(
        view,
        frame,
        "forecast",
        grouped(FORECAST, {"expected_week": "week_start"}),
        lambda r: f"week of {r['expected_week']}: expected {r['expected_payment']:,.2f}",
    )
    _drill(
        view,
        backtest,
        "backtest",
        lambda r: _backtest_week(_value(r["week"])),
        lambda r: f"week of {r['week']}: forecast {r['forecast']:,.2f}, paid {r['actual']:,.2f}",
    )
    st.caption(
        "The rows behind a week of the forecast: each open claim's expected payment that week;"
        " behind a back-test week: the claims open that Monday (their forecast from what was"
        " known then) and what their 835s paid that week."
    )


def reconciliation(view: View) -> None:
    st.header("Reconciliation")
    st.subheader("837 → 835 by payer and week")
    weeks = _report(view, "reconciliation_by_week")
    st.dataframe(weeks, width="stretch")
    keys = {"payer_id": "payer_id", "week": "CAST(date_trunc('week', submission_date) AS DATE)"}
    _drill(view, weeks, "recon_week", grouped(CLAIMS, keys), list(keys))
    st.subheader("EMR expected vs paid")
    st.dataframe(_report(view, "expected_vs_paid"), width="stretch")
    st.subheader("835 auto-posting by payment day")
    posting = _report(view, "daily_auto_posting")
    st.caption(
        "835 service lines of payments dated in the window, matched to a claim line without"
        " review; a provider or source filter keeps the lines matched to its claims."
    )
    st.dataframe(posting, width="stretch")
    keys = {"day": "day", "payer_id": "payer_id", "provider": "provider",
            "source_system": "source_system"}  # fmt: skip
    _drill(view, posting, "posting", grouped(AUTO_POSTING, keys), list(keys))
    st.subheader("Unmatched remittances and acknowledgments")
    unmatched = Rows(
        "SELECT left_kind, left_id, reason FROM unmatched", scope="warehouse", order="1, 2"
    )
    _rows_behind(view, unmatched, "Unmatched", "unmatched", listing=True)


QUARANTINE = Rows(
    "SELECT q.*, f.path AS file FROM claims_header__quarantine AS q"
    " LEFT JOIN source_files AS f ON f.file_id = q.source_file_id",
    scope="warehouse",
    order="file, source_row_number",
)


def data_quality(view: View) -> None:
    st.header("Data quality")
    quarantine = _report(view, "quarantine_by_rule")
    st.dataframe(quarantine, width="stretch")
    keys = {"dq_rule": "dq_rule", "file": "file", "source_system": "source_system"}
    _drill(view, quarantine, "quarantine", grouped(QUARANTINE, keys), list(keys))
    st.subheader("Failed files")
    failed = Rows(
        "SELECT path, kind, source_system, message FROM source_files WHERE status = 'failed'",
        scope="warehouse",
        order="path",
    )
    _rows_behind(view, failed, "Failed files", "failed_files", listing=True)


def runs(view: View) -> None:
    st.header("Runs: history")
    frame = _report(view, "run_history")
    if not frame.empty:
        latest = frame.iloc[0]
        st.caption(
            f"Latest run {latest['run_id']}: {latest['status']}, {latest['rows_read']:,} rows read ="
            f" {latest['rows_loaded']:,} loaded + {latest['rows_quarantined']:,} quarantined"
            f" + {latest['rows_duplicate']:,} duplicate"
        )
    st.dataframe(frame, width="stretch")
    files = Rows(
        "SELECT run_id, path, kind, source_system, size_bytes, received_at, status, message"
        " FROM source_files",
        scope="warehouse",
        order="path",
    )
    _drill(view, frame, "run", grouped(files, {"run_id": "run_id"}), ["run_id", "status"])


RENDER: dict[str, Callable[[View], None]] = {
    "Overview": overview,
    "Denials": denials,
    "Worklist": worklist,
    "Rejection log": rejection_log,
    "SLA alerts": sla,
    "Payers": payers,
    "Cash forecast": forecast,
    "Reconciliation": reconciliation,
    "Data quality": data_quality,
    "Runs": runs,
}


def main() -> None:
    """Render the page chosen in the sidebar (or by ``?page=``)."""
    st.set_page_config(page_title="claimflow", layout="wide")
    st.sidebar.title("claimflow")
    wanted = st.query_params.get("page", "Overview")
    page = st.sidebar.radio("Page", PAGES, index=PAGES.index(wanted) if wanted in PAGES else 0)
    path = os.environ.get("CLAIMFLOW_WAREHOUSE", "warehouse/claimflow.duckdb")
    conn = _connect(path)
    try:
        stamp = _stamp(conn, path)
        filters = _filters(conn, path, stamp)
        stored = snapshot.usable(conn, **_cohort(filters))
        RENDER[page](View(conn, path, filters, stored, stamp))
    finally:
        conn.close()


main()
