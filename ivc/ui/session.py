"""Who is signed in to the web interface, kept across reloads and dropped connections.

The signed-in user is a server-side session (``ivc.auth.websession``) whose token the browser
holds in an HttpOnly, SameSite=Strict cookie. The Streamlit script reads cookies but cannot set
an HttpOnly one, so signing in and out each end with a trip of the browser through a route of
``ivc/ui/server.py``:

* ``after_sign_in(actor)`` issues a one-time ticket and sends the browser to
  ``/ivc/session/start?ticket=…&next=…``, which sets the cookie and comes back to the page;
* ``sign_out()`` ends the session and sends the browser to ``/ivc/session/end``, which clears
  the cookie and goes to the start page;
* ``current_actor()`` resumes the session of the cookie on every run (so an ended, idle or
  disabled session is noticed at once), else the user signed in within this Streamlit session
  (``st.session_state["username"]``, as Streamlit's AppTest harness sets it), else a user signed
  in through the identity provider (``st.login``).

The trips are made by a small script (``st.html(..., unsafe_allow_javascript=True)``) that also
sets a one-minute cookie holding the ticket: the start route wants the two to agree, so a
ticket cannot be pushed into someone else's browser from another site (login CSRF).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit

import streamlit as st

from ivc.auth import websession
from ivc.auth.roles import PERSON_PREFIX, Actor
from ivc.auth.service import actor_for_email, get_actor
from ivc.config import get_settings
from ivc.database.core import session_scope
from ivc.errors import IVCError

# The session cookie: with the __Host- prefix when Secure (the browser then refuses it from a
# sibling domain or without https), plain otherwise. Both are read.
COOKIE = "ivc_session"
SECURE_COOKIE = "__Host-ivc_session"
TICKET_COOKIE = "ivc_ticket"
START_ROUTE = "ivc/session/start"
END_ROUTE = "ivc/session/end"

# Set by ivc/ui/session_routes.py when the routes are served beside the app in this process
# (``streamlit run ivc/ui/server.py``). Without them (``streamlit run ivc/ui/app.py``, AppTest)
# a sign-in lasts for the Streamlit session only and the browser is not sent anywhere.
ROUTES_MOUNTED = False

_NAVIGATE = "_ivc_navigate"  # session_state: where the browser must go on the next run
_SIGNED_IN_HERE = "_ivc_signed_in_here"  # session_state: a password sign-in in this Streamlit session


def base_path() -> str:
    """Streamlit's ``server.baseUrlPath`` as ``/`` or ``/base/``."""
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/" if base else "/"


def route(name: str) -> str:
    return base_path() + name


def cookie_token(cookies: Mapping[str, str] | None = None) -> str | None:
    """The session token the browser sent (``st.context.cookies`` unless given)."""
    jar = st.context.cookies if cookies is None else cookies
    for name in (SECURE_COOKIE, COOKIE):
        value = jar.get(name)
        if isinstance(value, str) and value:  # (a stand-in object under AppTest)
            return str(value)
    return None


def current_path() -> str:
    """The page the browser shows, as a path with its query (for ``next``)."""
    url = st.context.url
    path = urlsplit(url).path if url else ""
    query = urlencode(st.query_params.to_dict())
    return websession.safe_next((path or base_path()) + (f"?{query}" if query else ""), base_path())


def current_actor() -> Actor | None:
    """The signed-in user, or None (the sign-in page)."""
    target = st.session_state.pop(_NAVIGATE, None)
    if isinstance(target, str):
        _navigate(target)
    token = cookie_token()
    if token and not st.session_state.get(_SIGNED_IN_HERE):
        # The cookie is the authority: resumed on every run, so an ended, idle or disabled
        # session signs the page out at once. (After a password sign-in in this Streamlit session
        # the cookie the page was opened with is an older one: the user of the sign-in counts
        # until the browser comes back from the start route with the new cookie.)
        with session_scope() as session:
            actor = websession.resume(session, token)
        if actor is None:
            st.session_state.pop("username", None)
            return None
        st.session_state["username"] = actor.username
        return actor
    username = st.session_state.get("username")
    if not username:
        return _oidc_actor()
    try:
        with session_scope() as session:
            if str(username).startswith(PERSON_PREFIX):  # a person in their own space
                person = websession.principal(session, str(username))
                if person is None:
                    st.session_state.pop("username", None)
                return person
            return get_actor(session, str(username))
    except IVCError:  # disabled or removed meanwhile: back to the sign-in page
        st.session_state.pop("username", None)
        return None


def after_sign_in(actor: Actor, next_path: str | None = None) -> None:
    """Call after a successful password sign-in: the user is signed in for this run, and the
    browser goes through the start route to get the session cookie, then to ``next_path`` (a
    path of this app; default the current page). Ends the run (``st.stop`` once the browser is
    sent on, ``st.rerun`` where the routes are not mounted, e.g. in the test harness)."""
    with session_scope() as session:
        ticket = websession.issue_ticket(session, actor)
    target = websession.safe_next(next_path if next_path is not None else current_path(), base_path())
    st.session_state["username"] = actor.username
    st.session_state[_SIGNED_IN_HERE] = True
    if ROUTES_MOUNTED:
        # In this very run: one script run less between the click and the signed-in page.
        st.session_state[f"{_NAVIGATE}_ticket"] = ticket
        _navigate(route(START_ROUTE) + "?" + urlencode({"ticket": ticket, "next": target}))
    st.rerun()


def sign_out() -> None:
    """End the session (revoked at once, whether or not the browser follows), forget everything
    but the language, and send the browser through the end route, which clears the cookie.
    Ends the run (``st.rerun``), or signs out of the identity provider (``st.logout``)."""
    token = cookie_token()
    if token:
        with session_scope() as session:
            websession.end_session(session, token)
    for key in list(st.session_state.keys()):
        if key != "lang":
            del st.session_state[key]
    if get_settings().oidc_provider and st.user.get("is_logged_in"):
        st.logout()
        return
    if ROUTES_MOUNTED:
        st.session_state[_NAVIGATE] = route(END_ROUTE)
    st.rerun()


def _navigate(target: str) -> None:
    """Send the whole page to ``target`` (a path of this app). The ticket, when there is one, also
    goes in a one-minute cookie that the start route compares with the one in the address."""
    ticket = st.session_state.pop(f"{_NAVIGATE}_ticket", None)
    cookie = ""
    if isinstance(ticket, str):
        cookie = (
            f"document.cookie = {_js(f'{TICKET_COOKIE}={ticket}; path=/; max-age=60; samesite=strict')}"
            ' + (window.location.protocol === "https:" ? "; secure" : "");'
        )
    st.html(f"<script>{cookie}window.top.location.replace({_js(target)});</script>", unsafe_allow_javascript=True)
    # Nothing else this run: a page switch or rerun now would take the script off the page
    # before the browser runs it, and the browser would stay without its cookie.
    st.stop()


def _js(value: str) -> str:
    """A JavaScript string literal that cannot end the <script> element it sits in."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _oidc_actor() -> Actor | None:
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
