"""The web interface as an ASGI app: Streamlit's own server for ``app.py``, plus the routes that
set and clear the HttpOnly session cookie (``ivc/ui/session_routes.py``) and the one the QR code
printed on every document opens (``/verifica/<code>``).

``ivc ui`` runs ``streamlit run ivc/ui/server.py``: Streamlit finds the module-level ``app`` and
serves it with uvicorn, with its usual settings (``STREAMLIT_SERVER_PORT``,
``.streamlit/config.toml``, ``--server.*`` flags).
"""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import quote

import streamlit as st
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from ivc.ui.navigation import URL_PATHS
from ivc.ui.session import base_path
from ivc.ui.session_routes import routes

log = logging.getLogger(__name__)
_CODE = re.compile(r"^[A-Za-z0-9-]{1,40}$")


def verify_link(request: Request) -> RedirectResponse:
    """The QR code's link ``/verifica/<code>`` (``IVC_VERIFY_URL``): the public check page with the
    code filled in, which shows its verdict. Anything that is not a code opens the empty page."""
    code = str(request.path_params.get("code", ""))
    page = base_path() + URL_PATHS["verify"]
    return RedirectResponse(f"{page}?code={quote(code)}" if _CODE.match(code) else page, status_code=303)


def _warm_up() -> None:
    """Load what the first suggestion needs (the concept index, the learned phrasings, the
    encoder) while nobody waits, so the first interview saved is not the one that pays for it."""
    try:
        from ivc.database.core import session_scope
        from ivc.mapping.service import suggester

        with session_scope() as session:
            suggester(session).suggest("lavoravo in cucina", lang="it")
    except Exception:  # a warm-up that fails leaves the first suggestion to load it, as before
        log.warning("warming up the suggestions failed", exc_info=True)


threading.Thread(target=_warm_up, name="ivc-warm-up", daemon=True).start()

app = st.App(
    "app.py",
    routes=[*routes(), Route(base_path() + URL_PATHS["verify"] + "/{code}", verify_link, methods=["GET"])],
)
