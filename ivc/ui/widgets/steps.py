"""After a person's step, the automated steps of that case (suggestions, documents) run here, in
the interface's process, through the same idempotent per-case steps the Prefect flows run: no
user action waits for a Prefect server to start. What an interrupted run leaves undone is picked
up by the next run for the case, by ``ivc case advance`` or by the flows on a server."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

import streamlit as st

from ivc.i18n import t

log = logging.getLogger(__name__)


def advance(case_ids: list[int], lang: str) -> None:
    from ivc.flows.rounds import advance_now

    with st.spinner(t("ui.running_steps", lang)):
        try:
            advance_now(case_ids)
        except Exception:  # the person's step is saved; the automated ones are retried later
            log.exception("automated steps of cases %s failed", case_ids)
            st.warning(t("ui.steps_later", lang))


# Suggestions after an interview answer or an evidence file are needed on other tabs, not on the
# form the operator goes on typing in: they run on one background thread of this process (one at a
# time, so two saves of a case never run its steps at once), and a tab that shows what they make
# waits for them first (``settle``). Lost with the process, they are redone by the next run for the
# case, like any interrupted step.
_background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ivc-steps")
_pending: dict[int, Future[None]] = {}
_lock = threading.Lock()


def _run(case_ids: list[int]) -> None:
    from ivc.flows.rounds import advance_now

    try:
        advance_now(case_ids)
    except Exception:  # the person's step is saved; the automated ones are retried later
        log.exception("automated steps of cases %s failed", case_ids)


def advance_soon(case_ids: list[int]) -> None:
    """The automated steps of these cases, after this run, on the background thread."""
    future = _background.submit(_run, list(case_ids))
    with _lock:
        for case_id in case_ids:
            _pending[case_id] = future


def settle(case_id: int, lang: str, timeout: float = 120.0) -> None:
    """Wait, with a word to the user, for the background steps of this case (if any)."""
    with _lock:
        future = _pending.get(case_id)
    if future is None or future.done():
        return
    with st.spinner(t("ui.running_steps", lang)):
        try:
            future.result(timeout=timeout)
        except Exception:  # logged by _run; a timeout leaves the tab as the data stand
            log.warning("background steps of case %s not finished", case_id)
    with _lock:
        if _pending.get(case_id) is future:
            del _pending[case_id]
