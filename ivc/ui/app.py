"""ivc web interface: sign in, then the workspaces your role allows, one room each.

Every page calls services, which enforce role and district again: the navigation only offers
what the role can use. The verification page is public. Each page has an address
(``ivc.ui.navigation``); the signed-in user survives a reload (``ivc.ui.session``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import streamlit as st

from ivc.auth.roles import Actor, Role
from ivc.i18n import NAMES, UI_LANGUAGES, person_languages, t
from ivc.ui import session as web_session
from ivc.ui.admin import users as admin_page
from ivc.ui.alfa import queue as queue_page
from ivc.ui.case import list as cases_page
from ivc.ui.cpi import dossiers as dossiers_page
from ivc.ui.cpi import matching as matching_page
from ivc.ui.monitoring import dashboard as monitoring_page
from ivc.ui.navigation import URL_PATHS, pages_for
from ivc.ui.operator import intake as intake_page
from ivc.ui.person import signin as person_signin
from ivc.ui.person import space as person_space
from ivc.ui.public import signin
from ivc.ui.public import verify as verify_page
from ivc.ui.widgets.feedback import show_flash
from ivc.ui.widgets.pickers import url_choice

ROOMS: dict[str, Callable[[Actor, str], None]] = {
    "cases": cases_page.render,
    "intake": intake_page.render,
    "queue": queue_page.render,
    "dossiers": dossiers_page.render,
    "matching": matching_page.render,
    "monitoring": monitoring_page.render,
    "admin": admin_page.render,
    "person": person_space.render,
}


def _page(page_id: str, actor: Actor | None, lang: str) -> None:
    if page_id == "verify":
        verify_page.render(lang)
    elif actor is None:
        (person_signin.render if page_id == "person" else signin.render)(lang)
    else:
        ROOMS[page_id](actor, lang)


def _home(first: st.Page | None, lang: str) -> None:
    if first is None:
        signin.render(lang)
    else:
        st.switch_page(first, query_params=st.query_params.to_dict())


def main() -> None:
    st.set_page_config(page_title="ivc", page_icon="🪪", layout="wide")
    actor = web_session.current_actor()
    # Signed out (the door of the people served too) and in a person's space: every language of the person.
    person = actor is None or actor.role is Role.PERSON
    with st.sidebar:
        lang = str(
            url_choice(
                "Lingua / Language",
                person_languages() if person else list(UI_LANGUAGES),
                "lang",
                default=UI_LANGUAGES[0],
                key="lang",
                format_func=lambda code: NAMES.get(code, code),
            )
            or UI_LANGUAGES[0]
        )
    ids = [p for p in pages_for(actor) if p != "sign_in"]
    # Signed out, every page's address still opens (on the sign-in form), so a bookmark or a link
    # to a case leads there after signing in.
    hidden = [p for p in URL_PATHS if p not in ids] if actor is None else []
    pages = {
        page_id: st.Page(
            partial(_page, page_id, actor, lang),
            title=t(f"app.pages.{page_id}", lang),
            url_path=URL_PATHS[page_id],
            visibility="hidden" if page_id in hidden else "visible",
        )
        for page_id in [*ids, *hidden]
    }
    # The start page ("/") has no room of its own: signed out it is the sign-in form, signed in it
    # opens the role's first page. (Streamlit serves the default page at "/" only, so no room can
    # be the default without losing its own address.)
    first = pages[ids[0]] if actor is not None else None
    home = st.Page(
        partial(_home, first, lang),
        title=t("app.pages.sign_in" if actor is None else "app.pages.home", lang),
        url_path="home",
        default=True,
        visibility="visible" if actor is None else "hidden",
    )
    current = st.navigation([home, *pages.values()], position="sidebar")
    st.session_state["_pages"] = pages  # for links between pages (ivc.ui.widgets.links)
    st.session_state["_page_path"] = "" if current is home else current.url_path  # where a sign-in comes back
    goto = st.session_state.pop("goto", None)  # a page another page (or a test) sends the user to
    if isinstance(goto, str) and goto in pages and pages[goto] is not current:
        st.switch_page(pages[goto])
    if actor is not None and actor.role is not Role.PERSON:  # a person signs out in their space
        st.sidebar.write(t("app.signed_in_as", lang, user=actor.username, role=t(f"roles.{actor.role.value}", lang)))
        if actor.region_wide:
            st.sidebar.caption(t("admin.region_wide", lang))
        elif actor.districts:
            st.sidebar.caption(t("app.districts", lang, districts=", ".join(sorted(actor.districts))))
        else:
            st.sidebar.caption(t("app.no_district", lang))
        if st.sidebar.button(t("app.sign_out", lang), key="sign_out"):
            web_session.sign_out()
    st.title(t("app.title", lang))
    st.caption(t("app.subtitle", lang))
    show_flash()
    current.run()


main()
