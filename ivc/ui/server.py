"""The web interface as an ASGI app: Streamlit's own server for ``app.py``, plus the routes that
set and clear the HttpOnly session cookie (``ivc/ui/session_routes.py``).

``ivc ui`` runs ``streamlit run ivc/ui/server.py``: Streamlit finds the module-level ``app`` and
serves it with uvicorn, with its usual settings (``STREAMLIT_SERVER_PORT``,
``.streamlit/config.toml``, ``--server.*`` flags).
"""

from __future__ import annotations

import streamlit as st

from ivc.ui.session_routes import routes

app = st.App("app.py", routes=routes())
