"""Denials: denied dollars by category, top CARCs, by payer, daily by payer, provider and
source; the claims the 277CA rejects, by status code."""

from __future__ import annotations

import streamlit as st

from claimflow.dashboard.charts import chart
from claimflow.dashboard.data import View, report
from claimflow.dashboard.figures import DENIALS
from claimflow.dashboard.format import dataframe
from claimflow.dashboard.page import Page
from claimflow.dashboard.rows import claims, drill, grouped, table
from claimflow.marts.kpis import REJECTED_277CA_CLAIM

DAY_GROUP = {"day": "submission_date", "payer_id": "payer_id", "provider": "provider",
             "source_system": "source_system"}  # fmt: skip
"""The daily reports' groups → the denial lines' columns."""

CARC = "group_code || '-' || reason_code"


def _rejections(view: View) -> None:
    st.subheader("277CA rejections by status code")
    rejections = report(view, "daily_277ca_rejections")
    rejected = claims(REJECTED_277CA_CLAIM)
    if not rejections.empty:
        codes = (
            rejections.assign(status_code=rejections["status_code"].fillna(""))
            .groupby(["status_category", "status_code"], as_index=False)["claims"]
            .sum()
        )
        codes["status_category_code"] = codes["status_category"] + ":" + codes["status_code"]
        chart(
            "bar",
            codes,
            x="status_category_code",
            y="claims",
            title="Claims rejected by the 277CA, by STC01 category:status code",
        )
        keys = {
            "status_category": "latest_status",
            "status_code": "coalesce(latest_status_code, '')",
        }
        drill(view, codes, "status", grouped(rejected, keys), ["status_category_code", "claims"])
    table(rejections, "daily_277ca_rejections", "daily_277ca_rejections")
    keys = {"day": "submission_date", "payer_id": "payer_id", "provider": "billing_npi",
            "source_system": "source_system", "status_category": "latest_status",
            "status_code": "latest_status_code", "entity_code": "latest_entity_code"}  # fmt: skip
    drill(view, rejections, "rejections", grouped(rejected, keys), list(keys))


def render(view: View) -> None:
    st.header("Denials")
    by_category = report(view, "denials_by_category")
    if by_category.empty:
        st.info("No denials in this window.")
        return
    chart(
        "bar",
        by_category,
        x="category",
        y="denied_amount",
        hover="claims",
        title="Denied amount by category",
    )
    dataframe(by_category, "denials_by_category")
    drill(view, by_category, "category", grouped(DENIALS, {"category": "category"}), ["category"])
    st.subheader("Top CARCs")
    by_carc = report(view, "denials_by_carc")
    dataframe(by_carc, "denials_by_carc")
    drill(view, by_carc, "carc", grouped(DENIALS, {"carc": CARC}), ["carc", "category"])
    st.subheader("By payer")
    by_payer = report(view, "denials_by_payer")
    dataframe(by_payer, "denials_by_payer")
    keys = {"payer_id": "payer_id", "category": "category"}
    drill(view, by_payer, "payer", grouped(DENIALS, keys), list(keys))
    st.subheader("Daily by payer, provider and source")
    st.caption("By the claims' submission day; the top CARCs are each group's five largest.")
    daily = report(view, "daily_denials_by_category")
    table(daily, "daily_denials_by_category", "daily_denials_by_category")
    keys = {**DAY_GROUP, "category": "category"}
    drill(view, daily, "daily_category", grouped(DENIALS, keys), list(keys))
    daily = report(view, "daily_denials_by_carc")
    table(daily, "daily_denials_by_carc", "daily_denials_by_carc")
    keys = {**DAY_GROUP, "carc": CARC}
    drill(view, daily, "daily_carc", grouped(DENIALS, keys), list(keys))
    _rejections(view)


PAGE = Page(
    title="Denials",
    icon=":material/block:",
    slug="denials",
    summary="Denied dollars by category, CARC and payer, day by day, and the claims the 277CA"
    " rejects; each row leads to its 835 adjustments or claims.",
    render=render,
)
