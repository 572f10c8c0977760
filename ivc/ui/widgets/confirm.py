"""Irreversible actions ask first: the first click shows what will happen (and anything the user
should know, such as suggestions nobody reviewed) with "Confirm" and "Cancel"; only the second
click acts."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from ivc.i18n import t


def confirmed(
    label: str, key: str, what_happens: str, lang: str, *, warnings: Sequence[str] = (), primary: bool = True
) -> bool:
    """True on the click that confirms; renders the button, then the confirmation box."""
    asking = f"_confirm:{key}"
    # Callbacks run before the script, so the run that answers a click already draws the box (or
    # takes it away): one run per click, not two.
    if not st.session_state.get(asking):
        st.button(
            label,
            key=key,
            type="primary" if primary else "secondary",
            on_click=st.session_state.__setitem__,
            args=(asking, True),
        )
        return False
    with st.container(border=True):
        st.markdown(f"**{label}**")
        st.write(what_happens)
        for warning in warnings:
            st.warning(warning)
        yes, no = st.columns(2)
        no.button(t("confirm.cancel", lang), key=f"{key}:no", on_click=st.session_state.pop, args=(asking, None))
        if yes.button(t("confirm.yes", lang), key=f"{key}:yes", type="primary"):
            st.session_state.pop(asking, None)
            return True
    return False


def run_confirmed(
    label: str, key: str, what_happens: str, lang: str, action: Callable[[], None], *, warnings: Sequence[str] = ()
) -> None:
    if confirmed(label, key, what_happens, lang, warnings=warnings):
        action()
