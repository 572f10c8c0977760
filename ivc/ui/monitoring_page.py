"""Monitoring dashboard: indicators, the funnel and time per phase as charts, filtered by period
and district. Aggregates only, small cells suppressed."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from ivc.auth.roles import Actor
from ivc.database.core import session_scope
from ivc.errors import PermissionDenied
from ivc.i18n import t
from ivc.monitoring.service import indicators, suppress
from ivc.ui.common import district_codes


def render(actor: Actor, lang: str) -> None:
    st.header(t("monitoring.title", lang))
    col1, col2 = st.columns(2)
    period = col1.date_input(
        t("monitoring.period", lang), value=(date.today() - timedelta(days=365), date.today()), key="mon_period"
    )
    district = col2.selectbox(
        t("cases.filter_district", lang),
        ["", *district_codes()],
        key="mon_district",
        format_func=lambda d: d or t("cases.all", lang),
    )
    start, end = period if isinstance(period, tuple) and len(period) == 2 else (None, None)
    try:
        with session_scope() as session:
            figures = indicators(session, actor, start=start, end=end, territory=district or None)
    except PermissionDenied:
        st.warning(t("monitoring.denied", lang))
        return
    st.metric(t("monitoring.people", lang), suppress(figures["people"]))
    st.subheader(t("monitoring.funnel", lang))
    st.bar_chart({t(f"states.{k}", lang): (v if v >= 5 else 0) for k, v in figures["funnel"].items()}, horizontal=True)
    st.subheader(t("monitoring.median_days", lang))
    st.bar_chart({t(f"states.{k}", lang): v for k, v in figures["median_days"].items()})
    mediation = figures["mediation"]
    st.subheader(t("monitoring.mediation", lang))
    c1, c2, c3 = st.columns(3)
    c1.metric(t("monitoring.sessions", lang), suppress(mediation["sessions"]))
    c2.metric(t("monitoring.with_mediator", lang), suppress(mediation["with_mediator"]))
    c3.metric(t("monitoring.mediated_hours", lang), mediation["mediated_hours"])
    if mediation["by_language"]:
        st.bar_chart({k: (v if v >= 5 else 0) for k, v in mediation["by_language"].items()})
    st.subheader(t("monitoring.indicators", lang))
    people = [i for i in figures["indicators"] if i.get("unit", "people") == "people"]
    # Cells under the threshold are drawn as 0 so a chart never shows what the tables suppress.
    st.bar_chart({i["code"]: (i["total"] if i["total"] >= 5 else 0) for i in people}, horizontal=True)
    c1, c2 = st.columns(2)
    chosen = c1.selectbox(
        t("monitoring.indicator", lang),
        [i["code"] for i in people],
        format_func=lambda code: next(i["label"].get(lang) or i["label"]["it"] for i in people if i["code"] == code),
        key="mon_indicator",
    )
    breakdowns = list(next(i for i in people if i["code"] == chosen)["by"])
    breakdown = c2.selectbox(
        t("monitoring.breakdown", lang),
        breakdowns,
        format_func=lambda b: t(f"monitoring.breakdowns.{b}", lang),
        key="mon_breakdown",
    )
    values = next(i for i in people if i["code"] == chosen)["by"].get(breakdown, {})
    st.bar_chart({k: (v if v >= 5 else 0) for k, v in values.items()})
    st.dataframe(
        [
            {
                "code": i["code"],
                "indicator": i["label"].get(lang) or i["label"]["it"],
                "total": suppress(i["total"]) if i.get("unit", "people") == "people" else str(i["total"]),
            }
            for i in figures["indicators"]
        ],
        hide_index=True,
        width="stretch",
    )
