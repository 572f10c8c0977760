"""Small pieces every page uses: translated errors, text in the person's language (right to left
where needed), running the flows after a human step with visible progress."""

from __future__ import annotations

import html
from datetime import datetime

import streamlit as st

from ivc.database.core import session_scope, utcnow
from ivc.errors import IVCError
from ivc.i18n import catalog, is_rtl, t
from ivc.territory.service import active_territories


def show_error(exc: IVCError, lang: str) -> None:
    """The translated message for the error's code when there is one, else its explanation."""
    key = f"upload.{exc.code.removeprefix('upload_')}" if exc.code.startswith("upload_") else f"errors.{exc.code}"
    if key in catalog(lang) or key in catalog("it"):
        st.error(t(key, lang, **{k: v for k, v in exc.params.items() if isinstance(v, str | int | float)}))
    else:
        st.error(str(exc))


def in_language(text: str, lang: str) -> None:
    """A block of text in ``lang``, laid out right to left for Arabic and the like."""
    direction = "rtl" if is_rtl(lang) else "ltr"
    st.markdown(
        f'<div dir="{direction}" lang="{html.escape(lang)}" style="text-align:start">{html.escape(text)}</div>',
        unsafe_allow_html=True,
    )


def days_since(moment: datetime | None) -> float:
    if moment is None:
        return 0.0
    return round((utcnow() - moment).total_seconds() / 86400, 1)


def advance(case_ids: list[int], lang: str) -> None:
    """Run the automated steps these cases now need (suggestions, documents…), showing progress."""
    from ivc.flows.advance import advance_cases  # importing ivc.flows configures Prefect first

    with st.status(t("ui.running_steps", lang), expanded=False) as status:
        advance_cases(case_ids)
        status.update(label=t("ui.steps_done", lang), state="complete")


def flash(message: str) -> None:
    """A confirmation that survives the rerun that follows a change (shown once, then gone)."""
    st.session_state["flash"] = message


def show_flash() -> None:
    """Always takes one slot, empty or not: the elements below keep their place in the page, so
    widgets such as tabs keep their state across the rerun."""
    slot = st.empty()
    message = st.session_state.pop("flash", None)
    if message:
        slot.success(message)


def district_codes() -> list[str]:
    """Codes of the districts active today (``reference/territories.yaml``), for the pickers: a
    district added or closed there shows up here without a code change."""
    with session_scope() as session:
        return [territory.code for territory in active_territories(session)]
