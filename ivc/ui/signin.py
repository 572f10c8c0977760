"""Sign-in: a local account (username and password), or, when configured, the regional identity
provider through Streamlit's ``st.login`` (OpenID Connect), matched to an account by e-mail."""

from __future__ import annotations

import streamlit as st

from ivc.auth.roles import Actor
from ivc.auth.service import actor_for_email, sign_in
from ivc.config import get_settings
from ivc.database.core import session_scope
from ivc.errors import IVCError
from ivc.i18n import t
from ivc.ui.common import show_error


def render(lang: str) -> None:
    st.header(t("signin.title", lang))
    with st.form("sign_in"):
        username = st.text_input(t("signin.username", lang), key="signin_username", max_chars=64)
        password = st.text_input(t("signin.password", lang), key="signin_password", type="password", max_chars=1024)
        submitted = st.form_submit_button(t("signin.submit", lang))
    if submitted:
        refused: IVCError | None = None
        # A failed attempt is still committed: it counts towards the temporary lock.
        with session_scope() as session:
            try:
                actor = sign_in(session, username, password)
            except IVCError as exc:
                refused = exc
        if refused is not None:
            show_error(refused, lang)
        else:
            st.session_state["username"] = actor.username
            st.session_state.pop("page", None)
            st.rerun()
    provider = get_settings().oidc_provider
    if provider:
        st.divider()
        if st.button(t("signin.oidc", lang), key="signin_oidc"):
            st.login(provider)


def oidc_actor() -> Actor | None:
    """The actor for a user signed in through the identity provider, if any."""
    if not get_settings().oidc_provider:
        return None
    try:
        user = st.user
        if not user.get("is_logged_in") or not user.get("email"):
            return None
        with session_scope() as session:
            return actor_for_email(session, str(user.get("email")))
    except (IVCError, AttributeError, KeyError):
        return None


def sign_out() -> None:
    for key in list(st.session_state.keys()):
        if key != "lang":
            del st.session_state[key]
    if get_settings().oidc_provider and st.user.get("is_logged_in"):
        st.logout()
