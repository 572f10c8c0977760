"""Forms a person can rely on.

A form's widgets are keyed by what it edits (``scope``: the case, the step, the record) and by a
generation that moves on after a successful save, so the next rendering starts empty and nothing
typed for one step or record shows up under another. A failed save keeps the same keys, so the
input stays. Each rendering carries a random token: the save claims it in the transaction that
does the work (``ivc.submission``), so a double click or a resent request saves once.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import streamlit as st
from pydantic import ValidationError
from sqlmodel import Session
from streamlit.errors import StreamlitAPIException

from ivc.auth.roles import Actor
from ivc.database.core import session_scope
from ivc.errors import IVCError
from ivc.submission import service as submissions
from ivc.ui.widgets.feedback import Labels, flash, show_error

T = TypeVar("T")


@dataclass(frozen=True)
class Form:
    scope: str  # what the form edits, e.g. "interview:12:work"

    @property
    def _gen_key(self) -> str:
        return f"_form_gen:{self.scope}"

    @property
    def generation(self) -> int:
        return int(st.session_state.get(self._gen_key, 0))

    @property
    def id(self) -> str:
        return f"{self.scope}:{self.generation}"

    def key(self, field: str) -> str:
        """The widget key of ``field`` in this rendering of the form."""
        return f"{self.id}:{field}"

    @property
    def token(self) -> str:
        return str(st.session_state.setdefault(f"_form_token:{self.id}", secrets.token_urlsafe(24)))

    def reset(self) -> None:
        """After a successful save: fresh, empty widgets and a new token."""
        st.session_state.pop(f"_form_token:{self.id}", None)
        for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(f"{self.id}:")]:
            del st.session_state[key]
        st.session_state[self._gen_key] = self.generation + 1


def save_once(
    form: Form,
    kind: str,
    actor: Actor,
    work: Callable[[Session], int | None],
    lang: str,
    *,
    labels: Labels | None = None,
    done_message: str | None = None,
    rerun: bool = True,
) -> int | None:
    """Run ``work`` once for this rendering of ``form``: in one transaction with the claim of its
    token. Returns the id it made (or the one an earlier identical submission made); None when
    the save failed, with the error shown and the input kept."""
    try:
        with session_scope() as session:
            earlier = submissions.claim(session, form.token, kind, actor)
            if earlier is not None:
                result = earlier.result_id
            else:
                result = work(session)
                submissions.done(session, form.token, result)
    except (IVCError, ValidationError) as exc:
        show_error(exc, lang, labels)
        return None
    form.reset()
    if done_message:
        flash(done_message)
    if rerun:
        st.rerun()
    return result


def rerun_here() -> None:
    """Draw again only the fragment this runs in (a tab of the case workspace), or the whole page
    where there is none (a full run, or Streamlit's test harness)."""
    try:
        st.rerun(scope="fragment")
    except StreamlitAPIException:
        st.rerun()
