"""My cases: the cases of the user's districts with their state and what waits on whom; opening
one (``?case=ID`` in the address) shows its workspace."""

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
from ivc.ui.case import workspace
from ivc.ui.widgets.feedback import show_error
from ivc.ui.widgets.pickers import url_choice
from ivc.ui.widgets.text import days_since, label


def render(actor: Actor, lang: str) -> None:
    st.header(t("cases.title", lang))
    left, right = st.columns([2, 1])
    with left:
        state = url_choice(
            t("cases.filter_state", lang),
            [s.value for s in CaseState],
            "state",
            placeholder=t("cases.all", lang),
            format_func=lambda s: t(f"states.{s}", lang),
        )
    mine = right.toggle(t("cases.waiting_on_me", lang), key="waiting_on_me", value=False)
    try:
        with session_scope() as session:
            rows = cases.list_cases(session, actor, CaseState(state) if state else None)
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
    st.dataframe(
        [
            {
                t("cases.id", lang): c.id,
                t("cases.person", lang): names.get(c.person_id, ""),
                t("cases.district", lang): c.territory,
                t("cases.state", lang): t(f"states.{c.state}", lang),
                t("cases.waiting", lang): label("steps", c.waiting_for, lang),
                t("cases.days", lang): days_since(c.state_entered_at),
                t("cases.outcome", lang): label("outcomes", c.outcome, lang),
            }
            for c in rows
        ],
        hide_index=True,
        width="stretch",
    )
    pick(actor, [(int(c.id or 0), names.get(c.person_id, "")) for c in rows], lang)


def pick(actor: Actor, options: list[tuple[int, str]], lang: str) -> None:
    """The case picker, bound to ``?case=`` in the address, and the chosen case's workspace."""
    names = dict(options)
    chosen = url_choice(
        t("cases.open", lang),
        list(names),
        "case",
        placeholder=t("cases.choose", lang),
        format_func=lambda cid: f"{cid} — {names.get(cid, '')}",
    )
    asked = st.query_params.get("case")
    if chosen is None and asked and not any(str(cid) == asked for cid in names):
        st.warning(t("cases.not_visible", lang, id=asked))
    if chosen is not None:
        st.divider()
        workspace.render(actor, int(chosen), lang)
