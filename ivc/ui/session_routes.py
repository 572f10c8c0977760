"""The two routes of the web interface that set and clear the HttpOnly session cookie, which a
Streamlit script cannot do (``ivc.ui.session``, ``ivc.auth.websession``); mounted beside
Streamlit by ``ivc/ui/server.py``.

* ``GET /ivc/session/start?ticket=…&next=…`` exchanges a one-time ticket for a new session and
  its cookie (HttpOnly, SameSite=Strict, path /, Secure per ``IVC_SESSION_COOKIE_SECURE``), then
  redirects (303) to ``next``, a path of this app (anything else: the start page). The ticket
  must also arrive in the one-minute ``ivc_ticket`` cookie set by the page that signed in, so
  another site cannot sign a browser in to an account of its choosing.
* ``GET /ivc/session/end`` ends the session of the cookie, clears the cookie and redirects
  (303) to the start page.

Both are under Streamlit's ``server.baseUrlPath`` when one is set.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ivc.auth import websession
from ivc.config import get_settings
from ivc.database.core import session_scope
from ivc.ui import session as web_session
from ivc.ui.session import COOKIE, END_ROUTE, SECURE_COOKIE, START_ROUTE, TICKET_COOKIE, base_path, cookie_token


def _secure(request: Request) -> bool:
    configured = get_settings().session_cookie_secure
    return request.url.scheme == "https" if configured is None else configured


def _redirect(target: str) -> RedirectResponse:
    response = RedirectResponse(target, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the start route's address holds the ticket
    return response


def _clear(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request))
    if request.url.scheme == "https" or _secure(request):
        response.delete_cookie(SECURE_COOKIE, path="/", httponly=True, samesite="strict", secure=True)


def start(request: Request) -> Response:
    """Ticket in, cookie out (a sync endpoint: Starlette runs it in a worker thread)."""
    ticket = request.query_params.get("ticket", "")
    bound = request.cookies.get(TICKET_COOKIE, "")
    token = None
    if ticket and bound and hmac.compare_digest(ticket.encode(), bound.encode()):
        with session_scope() as session:
            token = websession.redeem_ticket(
                session,
                ticket,
                user_agent=request.headers.get("user-agent"),
                ip=request.client.host if request.client else None,
            )
    if token is None:  # unknown, used, expired or unbound ticket: back to the sign-in page
        response = _redirect(base_path())
    else:
        response = _redirect(websession.safe_next(request.query_params.get("next"), base_path()))
        secure = _secure(request)
        if secure:  # a plain cookie left from before would do no harm, but goes
            response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        response.set_cookie(
            SECURE_COOKIE if secure else COOKIE, token, path="/", secure=secure, httponly=True, samesite="strict"
        )
    response.delete_cookie(TICKET_COOKIE, path="/", samesite="strict")
    return response


def end(request: Request) -> Response:
    token = cookie_token(request.cookies)
    if token:
        with session_scope() as session:
            websession.end_session(session, token)
    response = _redirect(base_path())
    _clear(response, request)
    return response


def routes() -> list[Route]:
    """The two routes, for ``st.App(..., routes=routes())``; the pages then use them."""
    web_session.ROUTES_MOUNTED = True
    base = base_path()
    return [Route(base + START_ROUTE, start, methods=["GET"]), Route(base + END_ROUTE, end, methods=["GET"])]
