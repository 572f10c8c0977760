"""Links between pages: to a room of this user's navigation, with query parameters (a case, a
tab). The pages of the current run are kept by ``app.py`` under ``_pages``."""

from __future__ import annotations

import streamlit as st


def page_link(page_id: str, label: str, **query: str) -> None:
    """A link to ``page_id`` if this user has that page (else nothing)."""
    pages = st.session_state.get("_pages") or {}
    if page_id in pages:
        st.page_link(pages[page_id], label=label, query_params=query or None)
