"""ivc web interface: sign in, then the workspaces your role allows.

Every page calls services, which enforce role and district again: the navigation only offers
what the role can use. The verification page is public.
"""

from __future__ import annotations

import streamlit as st

from ivc.auth.roles import Actor
from ivc.auth.service import get_actor
from ivc.database.core import session_scope
from ivc.errors import IVCError
from ivc.i18n import NAMES, UI_LANGUAGES, t
from ivc.ui import (
    admin_page,
    cases_page,
    dossiers_page,
    intake_page,
    matching_page,
    monitoring_page,
    queue_page,
    signin,
    verify_page,
)
from ivc.ui.common import show_flash
from ivc.ui.navigation import pages_for


def _current_actor() -> Actor | None:
    username = st.session_state.get("username")
    if not username:
        return signin.oidc_actor()
    try:
        with session_scope() as session:
            return get_actor(session, username)
    except IVCError:  # disabled or removed meanwhile: back to the sign-in page
        st.session_state.pop("username", None)
        return None


def main() -> None:
    st.set_page_config(page_title="ivc", page_icon="🪪", layout="wide")
    lang = st.sidebar.selectbox(
        "Lingua / Language", UI_LANGUAGES, key="lang", format_func=lambda code: NAMES.get(code, code)
    )
    st.title(t("app.title", lang))
    st.caption(t("app.subtitle", lang))
    show_flash()
    actor = _current_actor()
    pages = pages_for(actor)
    if st.session_state.get("page") not in pages:
        st.session_state["page"] = pages[0]
    page = st.sidebar.radio(t("app.page", lang), pages, key="page", format_func=lambda p: t(f"app.pages.{p}", lang))
    if actor is not None:
        st.sidebar.write(t("app.signed_in_as", lang, user=actor.username, role=t(f"roles.{actor.role.value}", lang)))
        if actor.districts:
            st.sidebar.caption(t("app.districts", lang, districts=", ".join(sorted(actor.districts))))
        if st.sidebar.button(t("app.sign_out", lang), key="sign_out"):
            signin.sign_out()
            st.rerun()
    if page == "verify":
        verify_page.render(lang)
    elif actor is None:
        signin.render(lang)
    elif page == "cases":
        cases_page.render(actor, lang)
    elif page == "intake":
        intake_page.render(actor, lang)
    elif page == "queue":
        queue_page.render(actor, lang)
    elif page == "dossiers":
        dossiers_page.render(actor, lang)
    elif page == "matching":
        matching_page.render(actor, lang)
    elif page == "monitoring":
        monitoring_page.render(actor, lang)
    elif page == "admin":
        admin_page.render(actor, lang)


main()
