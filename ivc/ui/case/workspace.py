"""One case's workspace: overview and next moves, then a tab per kind of work the role does
(interview, evidence, mapping review, assessment and decisions, documents, courses). The open tab
is in the address (``&tab=…``) and only the open tab is built."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from ivc.auth.policy import Permission, allowed
from ivc.auth.roles import Actor, Role
from ivc.case import service as cases
from ivc.database.core import session_scope
from ivc.errors import IVCError
from ivc.framework.models import text_in
from ivc.i18n import t
from ivc.person.models import Person
from ivc.ui.alfa import review
from ivc.ui.case import documents, evidence, interview, mapping, moves, participation
from ivc.ui.widgets.feedback import show_error
from ivc.ui.widgets.pickers import url_tabs
from ivc.ui.widgets.steps import settle
from ivc.ui.widgets.text import label, language_name

TABS: dict[str, Callable[[Actor, int, str], None]] = {
    "interview": interview.render,
    "evidence": evidence.render,
    "mapping": mapping.render,
    "review": review.render,
    "documents": documents.render,
    "participation": participation.render,
}


def render(actor: Actor, case_id: int, lang: str) -> None:
    try:
        _render(actor, case_id, lang)
    except IVCError as exc:
        show_error(exc, lang)


def tabs_for(actor: Actor, territory: str) -> list[str]:
    names = ["overview"]
    # Assessors and ALFA read the person's account there; operators record it.
    if allowed(actor, Permission.INTERVIEW_RECORD, territory) or actor.role in (Role.ASSESSOR, Role.ALFA_REVIEWER):
        names.append("interview")
    if allowed(actor, Permission.EVIDENCE_ADD, territory):
        names.append("evidence")
    if allowed(actor, Permission.MAPPING_REVIEW, territory):
        names.append("mapping")
    if actor.role in (Role.ASSESSOR, Role.ALFA_REVIEWER):
        names.append("review")
    names.append("documents")
    if allowed(actor, Permission.PARTICIPATION_RECORD, territory):
        names.append("participation")
    return names


def _render(actor: Actor, case_id: int, lang: str) -> None:
    if st.query_params.get("tab") != "interview":  # the header says what the steps made of the case
        settle(case_id, lang)
    with session_scope() as session:
        case = cases.get_case(session, case_id, actor)
        person = session.get(Person, case.person_id)
        targets = cases.target_qualifications(session, case_id)
    st.subheader(t("case.title", lang, id=case.id, name=person.display_name if person else ""))
    st.caption(
        t(f"states.{case.state}", lang)
        + (f" — {label('outcomes', case.outcome, lang)}" if case.outcome else "")
        + f" · {t('cases.district', lang)} {case.territory}"
        + f" · {t('case.language', lang)} {language_name(case.interview_language, lang)}"
    )
    if case.waiting_for:
        st.info(
            t(
                "case.waiting_for",
                lang,
                step=label("steps", case.waiting_for, lang),
                role=label("roles", case.waiting_role, lang),
            )
        )
    if case.requested_action:
        st.warning(
            t("case.requested", lang, action=label("actions", case.requested_action, lang), by=case.requested_by)
        )
    if case.attention:
        st.warning(t("case.attention", lang, text=case.attention))
    st.write(f"**{t('case.target', lang)}**: " + ", ".join(f"{q.code} — {text_in(q.title, lang)}" for q in targets))

    names = tabs_for(actor, case.territory)
    tabs = url_tabs([t(f"case.tabs.{n}", lang) for n in names], names=names)
    for name, tab in zip(names, tabs, strict=True):
        if tab.open is False:  # only the open tab is built (None: the harness does not track tabs)
            continue
        with tab:
            _open_tab(name, actor, case_id, lang)


@st.fragment
def _open_tab(name: str, actor: Actor, case_id: int, lang: str) -> None:
    """The open tab as a fragment: what is done inside it (a form saved, a box opened) draws the
    tab again, not the whole page of cases above it; moves that change the case draw it all."""
    if name == "overview":
        _overview(actor, case_id, lang)
    else:
        TABS[name](actor, case_id, lang)


def _overview(actor: Actor, case_id: int, lang: str) -> None:
    with session_scope() as session:
        timeline = cases.time_in_states(session, case_id)
    st.markdown(f"**{t('case.timeline', lang)}**")
    st.table(
        [
            {
                t("cases.state", lang): t(f"states.{state}", lang),
                t("case.days_in_state", lang): int(seconds // 86400),
            }
            for state, seconds in timeline
        ]
    )
    actions, version, unreviewed = moves.available(actor, case_id)
    if actions:
        st.markdown(f"**{t('case.next_moves', lang)}**")
        for action in actions:
            moves.offer(actor, case_id, action, version, unreviewed, lang)
