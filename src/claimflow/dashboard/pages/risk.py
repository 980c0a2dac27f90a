"""Risk: the claims at risk of denial before they are sent — the open claims the champion
model scored, highest risk first, each with its factors and the actions a biller can take —
risk by payer and by billing provider, and the model's health (its test AUC, ECE and Brier,
its calibration curve, the latest drift monitoring).

Everything is read from the tables the run writes (``risk_models``, ``risk_scores``,
``risk_monitoring``; :mod:`claimflow.dashboard.figures`): the page never loads the model."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from claimflow import display
from claimflow.dashboard.charts import LEGEND_BELOW, explained, hovertemplate, plot
from claimflow.dashboard.data import View, query
from claimflow.dashboard.figures import (
    CALIBRATION,
    CHAMPION,
    DRIFT,
    MODELS,
    RISK_BANDS,
    at_risk,
    risk_by,
)
from claimflow.dashboard.format import axis, dataframe, payer
from claimflow.dashboard.page import Page
from claimflow.dashboard.rows import Rows, drill, grouped, names, pick_figure, rows_behind

ALERT, CALM = "#d62728", "#1f77b4"
"""A figure past its threshold (red), and one within it."""

LISTED = "Claims at risk"
"""The count of the page's list: the open claims the champion scored (of the chosen bands)."""

HOW_TO_PROMOTE = (
    "Train one on the claims whose outcome is known with `claimflow risk train`, then make it"
    " the champion with `claimflow risk promote VERSION` (`claimflow risk list` shows the"
    " versions); the next `claimflow run` scores the open claims with it."
)

_TABLES = """SELECT count(*) FROM duckdb_tables()
             WHERE table_name IN ('risk_models', 'risk_scores', 'risk_monitoring')"""


def _has_risk_tables(view: View) -> bool:
    """Whether the warehouse has the risk tables (a warehouse of an older claimflow has not)."""
    found = query(view, _TABLES, scope="warehouse")
    return bool(found.iloc[0, 0] == 3)


def _bands() -> tuple[str, ...]:
    chosen = st.multiselect(
        display.label("risk_band"),
        list(RISK_BANDS),
        default=list(RISK_BANDS),
        format_func=display.enum,
        help="The claims of these bands, in every figure and list of this page.",
        key="risk_bands",
    )
    return tuple(chosen)


def _tiles(view: View, rows: Rows, version: str) -> None:
    found = query(
        view,
        "SELECT count(*) AS claims, avg(probability) AS mean_risk,"
        " count(*) FILTER (WHERE risk_band = 'high') AS high_risk_claims,"
        " max(scored_at) AS scored_at"
        f" FROM ({rows.sql}) AS r",
        rows.params,
    )
    first = found.iloc[0]
    scored = display.show("scored_at", first["scored_at"])
    st.caption(f"Scored by the champion model {version} (latest scoring: {scored}).")
    left, middle, right = st.columns(3)
    left.metric(LISTED, display.count(first["claims"]), help="Open claims the champion scored.")
    middle.metric(
        display.label("mean_risk"),
        display.rate(first["mean_risk"]),
        help=display.definition("mean_risk"),
    )
    right.metric(display.label("high_risk_claims"), display.count(first["high_risk_claims"]))


def _by(view: View, rows: Rows, column: str, title: str, name: str) -> None:
    sql, params = risk_by(rows, column)
    frame = query(view, sql, params)
    if frame.empty:
        return
    payers = names(view)
    x = "payer_name" if column == "payer_id" else column  # a payer by its name and id
    shown = [
        payer(v, payers) if column == "payer_id" else display.show(column, v) for v in frame[column]
    ]
    figure = go.Figure(
        go.Bar(
            x=shown,
            y=frame["mean_risk"],
            customdata=frame[["claims", "high_risk_claims"]].to_numpy(),
            hovertemplate=hovertemplate(
                x,
                "mean_risk",
                extra=f"<br>{display.label('claims')}: %{{customdata[0]:,d}}"
                f"<br>{display.label('high_risk_claims')}: %{{customdata[1]:,d}}",
            ),
        )
    )
    figure.update_layout(
        title=title,
        xaxis=axis(x, type="category"),  # a payer's id or an NPI may read as a number
        yaxis=axis("mean_risk"),
    )
    plot(figure)
    dataframe(frame)
    drill(view, frame, name, grouped(rows, {column: column}), [column, "claims"])


def _factors(view: View, rows: Rows) -> None:
    """One claim's factors, each with its weight and what a biller can do about it."""
    top = query(
        view,
        f"SELECT patient_control_number, probability, claim_id FROM ({rows.sql}) AS r"
        f" ORDER BY {rows.order} LIMIT 500",
        rows.params,
    )
    if top.empty:
        return
    records = top.to_dict("records")
    choice = st.selectbox(
        "A claim's factors and actions",
        range(len(records)),
        index=None,
        format_func=lambda i: (
            f"{records[i]['patient_control_number']} · {display.rate(records[i]['probability'])}"
        ),
        placeholder="Choose a claim (of the 500 riskiest) to see why it is at risk",
        key="risk_claim",
    )
    if choice is None:
        return
    found = query(
        view,
        "SELECT factors FROM risk_scores WHERE claim_id = ? AND model_version ="
        f" (SELECT model_version FROM ({CHAMPION}))"
        " ORDER BY scored_at DESC LIMIT 1",
        (records[choice]["claim_id"],),
        scope="warehouse",
    )
    factors: list[dict[str, Any]] = json.loads(found.iloc[0, 0]) if not found.empty else []
    frame = pd.DataFrame(
        [
            {
                "factor_title": f.get("title"),
                "factor_words": f.get("words"),
                "contribution": f.get("contribution"),
                "actions": f.get("action") or "",
            }
            for f in factors
        ],
        columns=["factor_title", "factor_words", "contribution", "actions"],
    )
    st.caption(
        "Each factor's contribution is its share of the claim's log-odds of denial (exact"
        " TreeSHAP); a factor without an action is context nobody can change before sending."
    )
    dataframe(frame)


def _models(view: View) -> None:
    st.caption("The models trained so far (`claimflow risk list`):")
    dataframe(query(view, MODELS, scope="warehouse"))


def _three(value: object) -> str:
    """A model's figure (AUC, ECE, Brier) to three decimals, as `claimflow risk` writes it."""
    return display.MISSING if value is None else f"{float(str(value)):.3f}"


def _health(view: View, champion: dict[str, Any]) -> None:
    version = str(champion["model_version"])
    metrics: dict[str, Any] = json.loads(champion["metrics"] or "{}")
    st.subheader("Model health")
    st.caption(
        f"The champion {version} (feature set {champion['feature_set_version']}), trained on the"
        f" claims submitted {champion['train_from']} to {champion['train_to']}, calibrated on"
        f" {champion['calibration_from']} to {champion['calibration_to']}, tested on the"
        f" {display.count(champion['test_claims'])} claims of {champion['test_from']} to"
        f" {champion['test_to']}."
    )
    cells = st.columns(5)
    auc_se = metrics.get("auc_se")
    cells[0].metric(
        display.label("auc"),
        _three(metrics.get("auc")),
        help=display.definition("auc")
        + (f" Standard error {_three(auc_se)}." if auc_se is not None else ""),
    )
    for cell, key in zip(cells[1:3], ("ece", "brier"), strict=True):
        cell.metric(display.label(key), _three(metrics.get(key)), help=display.definition(key))
    on_test = "Over the test months' claims."
    cells[3].metric(
        display.label("mean_predicted"), display.rate(metrics.get("mean_predicted")), help=on_test
    )
    cells[4].metric(
        display.label("observed_rate"), display.rate(metrics.get("observed_rate")), help=on_test
    )
    curve = query(view, CALIBRATION, (version,), scope="warehouse")
    if not curve.empty:
        figure = go.Figure(
            [
                go.Scatter(
                    x=[0, 1],
                    y=[0, 1],
                    mode="lines",
                    name="Perfect calibration",
                    line={"dash": "dot", "color": "grey"},
                    hoverinfo="skip",
                ),
                go.Scatter(
                    x=curve["mean_predicted"],
                    y=curve["observed_rate"],
                    mode="lines+markers",
                    name=version,
                    customdata=curve[["bin", "claims"]].to_numpy(),
                    hovertemplate=hovertemplate(
                        "mean_predicted",
                        "observed_rate",
                        extra=f"<br>{display.label('bin')}: %{{customdata[0]}}"
                        f"<br>{display.label('claims')}: %{{customdata[1]:,d}}",
                    ),
                ),
            ]
        )
        top = float(max(curve["mean_predicted"].max(), curve["observed_rate"].max(), 0.1))
        figure.update_layout(
            title="Calibration on the test months: observed denial rate by bin of predicted risk",
            xaxis=axis("mean_predicted", range=[0, min(1.0, top * 1.1)]),
            yaxis=axis("observed_rate", range=[0, min(1.0, top * 1.1)]),
            legend=LEGEND_BELOW,
        )
        plot(figure)
        dataframe(curve)
    _drift(view, version)


def _drift(view: View, version: str) -> None:
    st.subheader("Drift")
    drift = query(view, DRIFT, (version, version), scope="warehouse")
    if drift.empty:
        st.info(
            f"No drift monitoring of {version} yet: each `claimflow run` records the population"
            " stability (PSI) of every feature and of the predicted risk between the training"
            " window and the last 30 days of scored claims, and the model's AUC, ECE and Brier"
            " once outcomes arrive."
        )
        return
    payers = names(view)
    drift["subject"] = [
        payer(v, payers) if m == "denial_rate_gap" else display.label(str(v)) if v else v
        for m, v in zip(drift["metric"], drift["subject"], strict=True)
    ]  # a feature by its label, a payer (its observed − predicted gap) by name and id
    first = drift.iloc[0]
    st.caption(
        f"The latest monitoring of {version} ({display.show('computed_at', first['computed_at'])},"
        f" run {first['run_id']}): the claims submitted"
        f" {display.show('window_from', first['window_from'])} to"
        f" {display.show('window_to', first['window_to'])}, each figure against the model's own"
        " on its test months (reference) and its threshold (`claimflow risk monitor`)."
    )
    alerts = drift[drift["alert"].fillna(False).astype(bool)]
    if alerts.empty:
        st.success("No figure crossed its threshold.")
    else:
        listed = "; ".join(
            f"{display.enum(str(r['metric']))} of {r['subject']}: {_three(r['value'])}"
            f" (threshold {_three(r['threshold'])})"
            for r in alerts.to_dict("records")
        )
        st.error(f"{len(alerts)} alert{'' if len(alerts) == 1 else 's'}: {listed}")
    psi = drift[drift["metric"] == "psi"].sort_values("value", ascending=False)
    if not psi.empty:
        alert = psi["alert"].fillna(False).astype(bool)
        subject = display.label("subject")
        figure = go.Figure(
            [
                go.Bar(  # across the page: a feature's label reads on one line
                    y=psi["subject"],
                    x=psi["value"],
                    orientation="h",
                    name=display.label("psi"),
                    showlegend=False,  # the title says it: red past its threshold
                    marker_color=[ALERT if a else CALM for a in alert],
                    customdata=psi[["reference", "threshold"]].to_numpy(),
                    hovertemplate=f"{subject}: %{{y}}<br>PSI: %{{x:.3f}}"
                    "<br>On the test months: %{customdata[0]:.3f}"
                    "<br>Threshold: %{customdata[1]:.3f}"
                    f"{explained('psi')}<extra></extra>",
                ),
                go.Scatter(
                    y=psi["subject"],
                    x=psi["threshold"],
                    name=display.label("threshold", "risk_monitoring"),
                    mode="markers",
                    marker={
                        "symbol": "line-ns-open",
                        "size": 16,
                        "color": "#262730",
                        "line": {"width": 3},
                    },
                    hoverinfo="skip",
                ),
            ]
        )
        figure.update_layout(
            title="Population stability (PSI) by feature, alerts in red",
            xaxis=axis("psi", tickformat=".2f", hoverformat=".3f"),
            yaxis=axis("subject", type="category", autorange="reversed"),
            legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1, "yanchor": "bottom"},
            height=max(320, 22 * len(psi) + 160),
        )
        plot(figure)
    dataframe(drift, "risk_monitoring")


def render(view: View) -> None:
    st.header("Risk: claims at risk of denial before they are sent")
    st.caption(
        "The claims still waiting for an outcome (no 835, no 999 or 277CA rejection yet), scored"
        " by the champion model at the latest run: highest denial risk first, each with the"
        " factors that raise its risk and what a biller can do before sending it."
    )
    has_tables = _has_risk_tables(view)
    champion = query(view, CHAMPION, scope="warehouse") if has_tables else pd.DataFrame()
    if champion.empty:
        st.info(f"No champion model yet, so no claim is scored. {HOW_TO_PROMOTE}")
        if has_tables:
            _models(view)
        else:
            st.caption(
                "This warehouse has no risk tables yet (an older claimflow wrote it): the next"
                " `claimflow run` adds them."
            )
        return
    model = champion.iloc[0].to_dict()
    version = str(model["model_version"])
    bands = _bands()
    rows = at_risk(bands)
    _tiles(view, rows, version)
    count = rows_behind(view, rows, LISTED, "risk_claims", listing=True)
    if count == 0:
        st.info(
            f"The champion {version} has no open claim scored in these filters: the next"
            " `claimflow run` scores the claims without an outcome."
        )
    else:
        _factors(view, rows)
        pick_figure(
            view,
            {
                f"{display.enum(band)} risk": partial(rows.where, "risk_band = ?", band)
                for band in RISK_BANDS
                if band in bands
            },
            "risk_figure",
            "the claims",
        )
        st.subheader("Risk by payer")
        _by(view, rows, "payer_id", "Mean denial risk by payer", "risk_payer")
        st.subheader("Risk by billing provider")
        _by(view, rows, "billing_npi", "Mean denial risk by billing provider", "risk_provider")
    _health(view, model)
    _models(view)


PAGE = Page(
    title="Risk",
    icon=":material/crisis_alert:",
    slug="risk",
    summary="The open claims most likely to be denied, with the reasons and what to fix before"
    " sending; risk by payer and provider; the model's accuracy, calibration and drift.",
    render=render,
)
