"""Sign-in: a local account (username and password), or, when configured, the regional identity
provider through Streamlit's ``st.login`` (OpenID Connect), matched to an account by e-mail.
A successful sign-in starts a web session that survives reloads (``ivc.ui.session``) and comes
back to the address the user asked for."""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from ivc.auth.service import sign_in
from ivc.config import get_settings
from ivc.database.core import session_scope
from ivc.errors import IVCError
from ivc.i18n import t
from ivc.ui import session as web_session
from ivc.ui.person import signin as person_signin
from ivc.ui.widgets.feedback import show_error


def render(lang: str) -> None:
    if person_signin.wanted():  # the person's own door (ivc/ui/person)
        person_signin.render(lang)
        return
    st.header(t("signin.title", lang))
    with st.form("sign_in"):
        username = st.text_input(t("signin.username", lang), key="signin_username", max_chars=64)
        password = st.text_input(t("signin.password", lang), key="signin_password", type="password", max_chars=1024)
        submitted = st.form_submit_button(t("signin.submit", lang), type="primary")
    if submitted:
        refused: IVCError | None = None
        # A failed attempt is still committed: it counts towards the temporary lock.
        with session_scope() as session:
            try:
                actor = sign_in(session, username or "", password or "")
            except IVCError as exc:
                refused = exc
        if refused is not None:
            show_error(refused, lang)
        else:
            st.session_state.pop("signin_password", None)
            web_session.after_sign_in(actor, _here())
    st.divider()
    person_signin.offer(lang)  # beside staff sign-in: the door of the people served
    provider = get_settings().oidc_provider
    if provider:
        st.divider()
        if st.button(t("signin.oidc", lang), key="signin_oidc"):
            st.login(provider)


def _here() -> str:
    """The address of the page the user asked for, with its query (a bookmark, a case link)."""
    query = urlencode(st.query_params.to_dict())
    path = web_session.base_path() + str(st.session_state.get("_page_path") or "")
    return path + (f"?{query}" if query else "")
