"""ivc web interface (spine): sign in as a user, list the cases your role and districts allow,
open one case's timeline. The workspaces issue grows this into the full set of pages."""

from __future__ import annotations

import streamlit as st

from ivc.auth.roles import Actor
from ivc.auth.service import get_actor, list_users
from ivc.case import service as cases
from ivc.case.states import CaseState
from ivc.claim.service import claims_for_case
from ivc.database.core import session_scope
from ivc.errors import IVCError
from ivc.framework.models import Competence, text_in
from ivc.i18n import languages, t
from ivc.person.models import Person
from ivc.ui import matching_page, monitoring_page, verify_page


def _sidebar(lang: str) -> Actor | None:
    with session_scope() as session:
        users = [u.username for u in list_users(session) if u.role != "system"]
    username = st.sidebar.selectbox(t("app.sign_in_as", lang), users, key="user")
    if not username:
        return None
    with session_scope() as session:
        return get_actor(session, username)


def _case_list(actor: Actor, lang: str) -> int | None:
    st.subheader(t("cases.title", lang))
    all_label = t("cases.all", lang)
    state_options = [all_label, *[s.value for s in CaseState]]
    state = st.selectbox(
        t("cases.filter_state", lang),
        state_options,
        format_func=lambda s: s if s == all_label else t(f"states.{s}", lang),
        key="state",
    )
    with session_scope() as session:
        rows = cases.list_cases(session, actor, None if state == all_label else CaseState(state))
        table = []
        for c in rows:
            person = session.get(Person, c.person_id)
            table.append(
                {
                    t("cases.id", lang): c.id,
                    t("cases.person", lang): person.display_name if person else "",
                    t("cases.district", lang): c.territory,
                    t("cases.state", lang): t(f"states.{c.state}", lang),
                    t("cases.outcome", lang): t(f"outcomes.{c.outcome}", lang) if c.outcome else "",
                    t("cases.waiting", lang): c.waiting_for or "",
                }
            )
    if not table:
        st.info(t("app.no_cases", lang))
        return None
    st.dataframe(table, hide_index=True, width="stretch")
    ids = [int(c.id or 0) for c in rows]
    chosen = st.selectbox(t("cases.open", lang), ids, key="case_id")
    return int(chosen) if chosen is not None else None


def _case_detail(actor: Actor, case_id: int, lang: str) -> None:
    with session_scope() as session:
        case = cases.get_case(session, case_id, actor)
        person = session.get(Person, case.person_id)
        st.header(t("case.title", lang, id=case.id, name=person.display_name if person else ""))
        st.caption(
            t(f"states.{case.state}", lang) + (f" — {t(f'outcomes.{case.outcome}', lang)}" if case.outcome else "")
        )
        if case.waiting_for:
            st.write(t("case.waiting_for", lang, step=case.waiting_for, role=case.waiting_role))
        if case.attention:
            st.warning(t("case.attention", lang, text=case.attention))
        targets = cases.target_qualifications(session, case_id)
        st.write(f"**{t('case.target', lang)}**: " + ", ".join(f"{q.code} — {text_in(q.title, lang)}" for q in targets))
        st.subheader(t("case.timeline", lang))
        st.table(
            [
                {
                    t("cases.state", lang): t(f"states.{state}", lang),
                    t("case.days_in_state", lang): round(seconds / 86400, 2),
                }
                for state, seconds in cases.time_in_states(session, case_id)
            ]
        )
        st.subheader(t("case.claims", lang))
        claim_rows = []
        for claim in claims_for_case(session, case_id):
            comp = session.get(Competence, claim.competence_id)
            claim_rows.append(
                {
                    "code": comp.code if comp else "",
                    "title": text_in(comp.title, lang) if comp else "",
                    "status": claim.status,
                    "score": claim.score,
                }
            )
        st.dataframe(claim_rows, hide_index=True, width="stretch")
        docs = cases.issued_documents(session, case_id)
        if docs:
            st.subheader(t("case.documents", lang))
            st.table([{"type": d.doc_type, "number": d.number, "code": d.verification_code} for d in docs])


def main() -> None:
    st.set_page_config(page_title="ivc", layout="wide")
    lang = st.sidebar.selectbox("Lingua / Language", languages(), index=languages().index("it"), key="lang")
    page = st.sidebar.radio(
        t("app.page", lang),
        ["cases", "matching", "monitoring", "verify"],
        key="page",
        format_func=lambda p: t(f"app.pages.{p}", lang),
    )
    st.title(t("app.title", lang))
    st.caption(t("app.subtitle", lang))
    if page == "verify":  # public: no sign-in
        verify_page.render(lang)
        return
    actor = _sidebar(lang)
    if actor is None:
        return
    if page == "monitoring":
        monitoring_page.render(actor, lang)
        return
    if page == "matching":
        matching_page.render(actor, lang)
        return
    try:
        case_id = _case_list(actor, lang)
        if case_id is not None:
            _case_detail(actor, int(case_id), lang)
    except IVCError as exc:
        st.error(str(exc))


main()
