"""How the person's room reads: right to left for Arabic and the like, larger text, and the
messages of the space (every refusal from ``person_space.errors``)."""

from __future__ import annotations

import streamlit as st

from ivc.errors import IVCError
from ivc.i18n import catalog, is_rtl, t

_BASE = """<style>
[data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stMain"] label,
[data-testid="stMain"] button {font-size: 1.1rem;}
</style>"""
_RTL = """<style>
[data-testid="stMain"] {direction: rtl; text-align: right;}
[data-testid="stMain"] h1, [data-testid="stMain"] h2, [data-testid="stMain"] h3 {text-align: right; width: 100%;}
[data-testid="stMain"] input, [data-testid="stMain"] textarea {direction: rtl; text-align: right;}
[data-testid="stMain"] [data-testid="stDateInput"] input, [data-testid="stMain"] code {direction: ltr;}
</style>"""


def page_style(lang: str) -> None:
    """Larger text everywhere in the room; the whole page right to left in Arabic."""
    st.html(_BASE + (_RTL if is_rtl(lang) else ""))


def refusal(exc: IVCError, lang: str) -> None:
    """A refusal in the person's words: the space's own text for its code, else a plain one."""
    key = f"person_space.errors.{exc.code}"
    known = key in catalog(lang) or key in catalog("it")
    params = {k: v for k, v in exc.params.items() if isinstance(v, str | int | float)}
    st.error(t(key, lang, **params) if known else t("person_space.errors.other", lang))
