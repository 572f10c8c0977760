"""One case's workspace: overview and next moves, then a tab per kind of work the role does
(interview, evidence, mapping review, assessment and decisions, documents)."""

from __future__ import annotations

import streamlit as st

from ivc.auth.policy import Permission, allowed
from ivc.auth.roles import Actor, Role
from ivc.case import service as cases
from ivc.case import states
from ivc.case.states import Action
from ivc.database.core import session_scope
from ivc.errors import IVCError
from ivc.framework.models import text_in
from ivc.i18n import t
from ivc.person.models import Person
from ivc.ui import documents_tab, evidence_tab, interview_tab, mapping_tab, participation_tab, review_tab
from ivc.ui.common import advance, days_since, flash, show_error


def render(actor: Actor, case_id: int, lang: str) -> None:
    try:
        _render(actor, case_id, lang)
    except IVCError as exc:
        show_error(exc, lang)


def _render(actor: Actor, case_id: int, lang: str) -> None:
    with session_scope() as session:
        case = cases.get_case(session, case_id, actor)
        person = session.get(Person, case.person_id)
        facts = cases.facts(session, case)
        targets = cases.target_qualifications(session, case_id)
        timeline = cases.time_in_states(session, case_id)
    st.subheader(t("case.title", lang, id=case.id, name=person.display_name if person else ""))
    st.caption(
        t(f"states.{case.state}", lang)
        + (f" — {t(f'outcomes.{case.outcome}', lang)}" if case.outcome else "")
        + f" · {t('cases.district', lang)} {case.territory} · {t('case.language', lang)} {case.interview_language}"
    )
    if case.waiting_for:
        st.info(
            t(
                "case.waiting_for",
                lang,
                step=t(f"steps.{case.waiting_for}", lang),
                role=t(f"roles.{case.waiting_role}", lang) if case.waiting_role else "",
            )
        )
    if case.requested_action:
        st.warning(t("case.requested", lang, action=t(f"actions.{case.requested_action}", lang), by=case.requested_by))
    if case.attention:
        st.warning(t("case.attention", lang, text=case.attention))
    st.write(f"**{t('case.target', lang)}**: " + ", ".join(f"{q.code} — {text_in(q.title, lang)}" for q in targets))

    names = ["overview"]
    if allowed(actor, Permission.INTERVIEW_RECORD, case.territory):
        names.append("interview")
    if allowed(actor, Permission.EVIDENCE_ADD, case.territory):
        names.append("evidence")
    if allowed(actor, Permission.MAPPING_REVIEW, case.territory):
        names.append("mapping")
    if actor.role in (Role.ASSESSOR, Role.ALFA_REVIEWER):
        names.append("review")
    names.append("documents")
    if allowed(actor, Permission.PARTICIPATION_RECORD, case.territory):
        names.append("participation")
    tabs = st.tabs([t(f"case.tabs.{n}", lang) for n in names])
    for name, tab in zip(names, tabs, strict=True):
        with tab:
            if name == "overview":
                _overview(actor, case.id or 0, case.version, facts, timeline, lang)
            elif name == "interview":
                interview_tab.render(actor, case.id or 0, lang)
            elif name == "evidence":
                evidence_tab.render(actor, case.id or 0, lang)
            elif name == "mapping":
                mapping_tab.render(actor, case.id or 0, lang)
            elif name == "review":
                review_tab.render(actor, case.id or 0, lang)
            elif name == "participation":
                participation_tab.render(actor, case.id or 0, lang)
            else:
                documents_tab.render(actor, case.id or 0, lang)


def _overview(
    actor: Actor,
    case_id: int,
    version: int,
    facts: states.CaseFacts,
    timeline: list[tuple[str, float]],
    lang: str,
) -> None:
    st.markdown(f"**{t('case.timeline', lang)}**")
    st.table(
        [
            {t("cases.state", lang): t(f"states.{state}", lang), t("case.days_in_state", lang): round(sec / 86400, 2)}
            for state, sec in timeline
        ]
    )
    moves = states.available_actions(facts, actor.role)
    if not moves:
        return
    st.markdown(f"**{t('case.next_moves', lang)}**")
    cols = st.columns(min(len(moves), 4))
    for i, action in enumerate(moves):
        if cols[i % len(cols)].button(t(f"actions.{action.value}", lang), key=f"act_{action.value}"):
            _perform(actor, case_id, version, action, lang)


def _perform(actor: Actor, case_id: int, version: int, action: Action, lang: str) -> None:
    try:
        with session_scope() as session:
            case = cases.get_case(session, case_id, actor)
            if states.transition_for(action).waits_for_flow:
                cases.request_action(session, case, action, actor, expected_version=version)
            else:
                cases.transition(session, case, action, actor, expected_version=version)
    except IVCError as exc:
        show_error(exc, lang)
        return
    advance([case_id], lang)
    flash(t("case.done", lang))
    st.rerun()


__all__ = ["days_since", "render"]
