"""Monitoring dashboard: indicators, the funnel and time per phase as charts, filtered by period
and district. Aggregates only, small cells suppressed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import streamlit as st

from ivc.auth.roles import Actor
from ivc.case.states import CaseState
from ivc.database.core import session_scope
from ivc.errors import PermissionDenied
from ivc.i18n import t
from ivc.monitoring.service import snapshot, suppress
from ivc.person.iso import country_name
from ivc.ui.widgets.pickers import district_codes, district_label
from ivc.ui.widgets.text import fmt_datetime, label, language_name


def _chart(values: dict[str, int | float], lang: str, *, horizontal: bool = False, counts: bool = True) -> None:
    """A bar chart in the order given (phases in the order of the path, not alphabetical). Counts
    of people under the small-cell threshold are left out and named below, never drawn as 0."""
    shown = {k: v for k, v in values.items() if not counts or suppress(int(v)) == str(int(v))}
    hidden = [k for k in values if k not in shown]
    if shown:
        rows = [{"x": k, "y": v} for k, v in shown.items()]
        st.bar_chart(rows, x="x", y="y", x_label="", y_label="", sort=False, horizontal=horizontal)
    if hidden:
        st.caption(t("monitoring.suppressed", lang, items=", ".join(hidden)))


def render(actor: Actor, lang: str) -> None:
    st.header(t("monitoring.title", lang))
    col1, col2 = st.columns(2)
    period = col1.date_input(
        t("monitoring.period", lang),
        value=(date.today() - timedelta(days=365), date.today()),
        format="DD/MM/YYYY",
        key="mon_period",
    )
    district = col2.selectbox(
        t("cases.filter_district", lang),
        ["", *district_codes()],
        key="mon_district",
        format_func=lambda d: district_label(d, lang),
    )
    start, end = period if isinstance(period, tuple) and len(period) == 2 else (None, None)
    fresh = st.session_state.pop("mon_fresh", False)
    try:
        with session_scope() as session:
            computed, figures = snapshot(session, actor, fresh=fresh, start=start, end=end, territory=district or None)
    except PermissionDenied:
        st.warning(t("monitoring.denied", lang))
        return
    c1, c2 = st.columns([4, 1])
    c1.caption(t("monitoring.computed_at", lang, time=fmt_datetime(computed)))
    if c2.button(t("monitoring.refresh", lang), key="mon_refresh"):
        st.session_state["mon_fresh"] = True
        st.rerun()
    st.metric(t("monitoring.people", lang), suppress(figures["people"]))
    st.subheader(t("monitoring.funnel", lang))
    order = [s.value for s in CaseState]
    funnel = figures["funnel"]
    _chart({t(f"states.{k}", lang): funnel[k] for k in sorted(funnel, key=_position(order))}, lang, horizontal=True)
    st.subheader(t("monitoring.median_days", lang))
    median = figures["median_days"]
    _chart({t(f"states.{k}", lang): median[k] for k in sorted(median, key=_position(order))}, lang, counts=False)
    mediation = figures["mediation"]
    st.subheader(t("monitoring.mediation", lang))
    c1, c2, c3 = st.columns(3)
    c1.metric(t("monitoring.sessions", lang), suppress(mediation["sessions"]))
    c2.metric(t("monitoring.with_mediator", lang), suppress(mediation["with_mediator"]))
    c3.metric(t("monitoring.mediated_hours", lang), mediation["mediated_hours"])
    if mediation["by_language"]:
        _chart({language_name(k, lang): v for k, v in mediation["by_language"].items()}, lang)
    st.subheader(t("monitoring.indicators", lang))
    people = [i for i in figures["indicators"] if i.get("unit", "people") == "people"]
    _chart({_title(i, lang): i["total"] for i in people}, lang, horizontal=True)
    c1, c2 = st.columns(2)
    chosen = c1.selectbox(
        t("monitoring.indicator", lang),
        [i["code"] for i in people],
        format_func=lambda code: next(_title(i, lang) for i in people if i["code"] == code),
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
    _chart({_value(breakdown, k, lang): v for k, v in values.items()}, lang)
    st.dataframe(
        [
            {
                t("monitoring.code", lang): i["code"],
                t("monitoring.indicator", lang): _title(i, lang),
                t("monitoring.total", lang): suppress(i["total"])
                if i.get("unit", "people") == "people"
                else str(i["total"]),
            }
            for i in figures["indicators"]
        ],
        hide_index=True,
        width="stretch",
    )


def _title(indicator: dict[str, Any], lang: str) -> str:
    return str(indicator["label"].get(lang) or indicator["label"]["it"])


def _value(breakdown: str, value: str, lang: str) -> str:
    """A breakdown's value as people read it: a district's name, a country, a language, yes/no."""
    if value in ("unknown", "None", ""):
        return t("monitoring.unknown", lang)
    if breakdown == "territory":
        return district_label(value, lang)
    if breakdown == "gender":
        return label("genders", value, lang)
    if breakdown == "citizenship":
        return country_name(value, lang)
    if breakdown == "referral_source":
        return label("referrals", value, lang)
    if breakdown == "interview_language":
        return language_name(value, lang)
    if breakdown in ("vulnerable", "mediated"):
        return t("monitoring.yes" if value == "True" else "monitoring.no", lang)
    return value


def _position(order: list[str]) -> Callable[[str], int]:
    return lambda state: order.index(state) if state in order else len(order)
