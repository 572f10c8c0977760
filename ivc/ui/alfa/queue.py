"""The ALFA queue: cases asking for validation or certification, longest waiting first, with their
age against the service level; filters by district, qualification, assignee and step; opening a
case shows its workspace (assessment, decisions, four-eyes approval)."""

from __future__ import annotations

from typing import Any

import streamlit as st
from sqlmodel import col, select

from ivc.auth.roles import Actor
from ivc.case import service as cases
from ivc.case.rules import overdue, service_level_days
from ivc.case.states import CaseState
from ivc.database.core import session_scope
from ivc.errors import IVCError
from ivc.framework.models import Framework, Qualification
from ivc.i18n import t
from ivc.ui.case.list import pick
from ivc.ui.widgets.feedback import show_error
from ivc.ui.widgets.pickers import district_codes, district_label
from ivc.ui.widgets.text import days_since, label

QUEUE_STATES = [CaseState.VALIDATION, CaseState.VALIDATION_ISSUED, CaseState.CERTIFICATION_QUEUE, CaseState.EXAM]
PAGE, MAX_SHOWN = 50, 500  # rows drawn at first, and at most (filters narrow the rest)


def render(actor: Actor, lang: str) -> None:
    st.header(t("queue.title", lang))
    with session_scope() as session:
        codes = sorted(
            set(
                session.exec(
                    select(Qualification.code)
                    .join(Framework, col(Framework.id) == col(Qualification.framework_id))
                    .where(Framework.kind == "repertory")
                )
            )
        )
    c1, c2, c3, c4 = st.columns(4)
    all_label = t("cases.all", lang)
    district = c1.selectbox(
        t("cases.filter_district", lang),
        ["", *district_codes()],
        format_func=lambda d: district_label(d, lang),
        key="q_district",
    )
    qualification = c2.selectbox(t("queue.qualification", lang), [all_label, *codes], key="q_qual")
    who = c3.selectbox(
        t("queue.assignee", lang),
        ["all", "mine", "unassigned"],
        format_func=lambda w: t(f"queue.who.{w}", lang),
        key="q_who",
    )
    chosen_states = c4.multiselect(
        t("cases.filter_state", lang),
        [s.value for s in QUEUE_STATES],
        default=[s.value for s in QUEUE_STATES],
        format_func=lambda s: t(f"states.{s}", lang),
        placeholder=t("intake.pick", lang),
        key="q_states",
    )
    c1, c2 = st.columns(2)
    min_days = c1.number_input(t("queue.min_days", lang), min_value=0, max_value=3650, value=0, key="q_min_days")
    only_late = c2.toggle(t("queue.only_late", lang), key="q_only_late")
    filters: dict[str, Any] = {
        "district": district or None,
        "qualification": None if qualification == all_label else qualification,
        "assignee": {"all": None, "mine": actor.username, "unassigned": ""}[who],
        "waited_days": int(min_days),
        "only_overdue": bool(only_late),
    }
    states_ = [CaseState(s) for s in chosen_states] or QUEUE_STATES
    shown = int(st.session_state.get("q_limit", PAGE))
    try:
        with session_scope() as session:
            rows = cases.work_queue(session, actor, states_, limit=shown, **filters)
            total, late_total = cases.queue_size(session, actor, states_, **filters)
    except IVCError as exc:
        show_error(exc, lang)
        return
    if not rows:
        st.info(t("queue.empty", lang))
        return
    st.caption(t("queue.count", lang, shown=len(rows), total=total))
    table = []
    for r in rows:
        age = days_since(r.state_entered_at)
        is_late = overdue(r.state, age)
        table.append(
            {
                t("cases.id", lang): r.case_id,
                t("cases.person", lang): r.person,
                t("cases.district", lang): r.territory,
                t("cases.state", lang): t(f"states.{r.state}", lang),
                t("cases.waiting", lang): label("steps", r.waiting_for, lang),
                t("cases.days", lang): age,
                t("queue.service_level", lang): service_level_days(r.state),  # None, not "": one type per column
                t("queue.late", lang): "⚠" if is_late else "",
                t("queue.assignee", lang): r.assignee or "",
                t("queue.approval", lang): (r.approved_by or t("queue.pending", lang)) if r.requested_action else "",
            }
        )
    if late_total:  # in the whole queue, not only the rows drawn
        st.warning(t("queue.overdue", lang, n=late_total))
    st.dataframe(table, hide_index=True, width="stretch")
    if total > len(rows) and shown < MAX_SHOWN:
        st.button(
            t("queue.more", lang, n=min(PAGE, total - len(rows))),
            key="q_more",
            on_click=st.session_state.__setitem__,
            args=("q_limit", min(shown + PAGE, MAX_SHOWN)),
        )
    pick(actor, [(r.case_id, r.person) for r in rows], lang)
