"""My cases: the cases of the user's districts with their state and what waits on whom; opening
one shows its workspace."""

from __future__ import annotations

import streamlit as st
from sqlmodel import col, select

from ivc.auth.roles import Actor
from ivc.case import service as cases
from ivc.case.states import CaseState
from ivc.database.core import session_scope
from ivc.errors import IVCError
from ivc.i18n import t
from ivc.person.models import Person
from ivc.ui import workspace
from ivc.ui.common import days_since, show_error


def render(actor: Actor, lang: str) -> None:
    st.header(t("cases.title", lang))
    all_label = t("cases.all", lang)
    left, right = st.columns([2, 1])
    state = left.selectbox(
        t("cases.filter_state", lang),
        [all_label, *[s.value for s in CaseState]],
        format_func=lambda s: s if s == all_label else t(f"states.{s}", lang),
        key="state",
    )
    mine = right.toggle(t("cases.waiting_on_me", lang), key="waiting_on_me", value=False)
    try:
        with session_scope() as session:
            rows = cases.list_cases(session, actor, None if state == all_label else CaseState(state))
            if mine:
                rows = [c for c in rows if c.waiting_role == actor.role.value]
            people = session.exec(select(Person).where(col(Person.id).in_([c.person_id for c in rows]))).all()
            names = {p.id: p.display_name for p in people}
    except IVCError as exc:
        show_error(exc, lang)
        return
    if not rows:
        st.info(t("app.no_cases", lang))
        return
    table = [
        {
            t("cases.id", lang): c.id,
            t("cases.person", lang): names.get(c.person_id, ""),
            t("cases.district", lang): c.territory,
            t("cases.state", lang): t(f"states.{c.state}", lang),
            t("cases.waiting", lang): t(f"steps.{c.waiting_for}", lang) if c.waiting_for else "",
            t("cases.days", lang): days_since(c.state_entered_at),
            t("cases.outcome", lang): t(f"outcomes.{c.outcome}", lang) if c.outcome else "",
        }
        for c in rows
    ]
    st.dataframe(table, hide_index=True, width="stretch")
    ids = [int(c.id or 0) for c in rows]
    preselect = st.session_state.get("open_case")
    index = ids.index(preselect) if preselect in ids else 0
    chosen = st.selectbox(t("cases.open", lang), ids, index=index, key="case_id")
    if chosen is not None:
        st.divider()
        workspace.render(actor, int(chosen), lang)
