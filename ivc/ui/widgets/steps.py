"""After a person's step, the automated steps of that case (suggestions, documents) run here, in
the interface's process, through the same idempotent per-case steps the Prefect flows run: no
user action waits for a Prefect server to start. What an interrupted run leaves undone is picked
up by the next run for the case, by ``ivc case advance`` or by the flows on a server."""

from __future__ import annotations

import logging

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
