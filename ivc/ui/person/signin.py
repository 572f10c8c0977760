"""Sign-in with the personal access code and the date of birth (``ivc.personspace.access``),
offered on the start page beside staff sign-in (``?accesso=codice``). A successful sign-in
starts a web session as a staff sign-in does and opens the person's space."""

from __future__ import annotations

from datetime import date

import streamlit as st

from ivc.database.core import session_scope
from ivc.errors import IVCError
from ivc.i18n import t
from ivc.personspace import access
from ivc.ui import session as web_session
from ivc.ui.person.look import page_style, refusal

PARAM, VALUE = "accesso", "codice"


def wanted() -> bool:
    """The start page shows the code sign-in (a link, a bookmark, the button below)."""
    return st.query_params.get(PARAM) == VALUE


def offer(lang: str) -> None:
    """The button on the staff sign-in page that opens this form."""
    if st.button(t("person_space.open", lang), key="signin_person", type="primary", use_container_width=True):
        st.query_params[PARAM] = VALUE
        st.rerun()


def render(lang: str) -> None:
    page_style(lang)
    st.header(t("person_space.signin.title", lang))
    st.write(t("person_space.signin.intro", lang))
    with st.form("person_sign_in"):
        code = st.text_input(t("person_space.signin.code", lang), key="person_code", max_chars=20)
        born = st.date_input(
            t("person_space.signin.birth_date", lang),
            value=None,
            min_value=date(1900, 1, 1),
            max_value=date.today(),
            format="DD/MM/YYYY",
            key="person_birth_date",
        )
        submitted = st.form_submit_button(t("person_space.signin.submit", lang), type="primary")
    if submitted:
        refused: IVCError | None = None
        with session_scope() as session:  # a failed attempt is committed: it counts towards the lock
            try:
                actor = access.sign_in(session, code or "", born if isinstance(born, date) else None)
            except IVCError as exc:
                refused = exc
        if refused is not None:
            refusal(refused, lang)
        else:
            st.session_state.pop("person_code", None)
            st.query_params.pop(PARAM, None)
            query = f"?lang={lang}" if lang != "it" else ""
            web_session.after_sign_in(actor, web_session.base_path() + "spazio" + query)
    if st.button(t("person_space.signin.staff", lang), key="signin_staff"):
        st.query_params.pop(PARAM, None)
        st.rerun()
