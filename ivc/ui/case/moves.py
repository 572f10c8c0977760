"""Moves of the state machine offered on a case: only those ``ivc.case.states`` allows this role
now, each asking for confirmation with what will happen, then carried out (or requested, when a
flow issues a document) by the case service."""

from __future__ import annotations

import streamlit as st

from ivc.auth.roles import Actor
from ivc.case import service as cases
from ivc.case import states
from ivc.case.states import Action
from ivc.claim.models import ClaimStatus
from ivc.claim.service import claims_for_case
from ivc.database.core import session_scope
from ivc.errors import IVCError
from ivc.i18n import t
from ivc.ui.widgets.confirm import confirmed
from ivc.ui.widgets.feedback import flash, show_error
from ivc.ui.widgets.steps import advance


def available(actor: Actor, case_id: int) -> tuple[list[Action], int, int]:
    """The moves open to ``actor`` now, the case version they apply to, unreviewed suggestions."""
    with session_scope() as session:
        case = cases.get_case(session, case_id, actor)
        facts = cases.facts(session, case)
        unreviewed = sum(1 for c in claims_for_case(session, case_id) if c.status == ClaimStatus.SUGGESTED.value)
        if case.requested_action:
            return [], case.version, unreviewed
        return states.available_actions(facts, actor.role), case.version, unreviewed


def offer(actor: Actor, case_id: int, action: Action, version: int, unreviewed: int, lang: str,
          *, primary: bool = False) -> None:  # fmt: skip
    warnings = []
    if action is Action.ISSUE_TRANSPARENCY and unreviewed:
        warnings.append(t("confirm.unreviewed", lang, n=unreviewed))
    if confirmed(
        t(f"actions.{action.value}", lang),
        f"act:{case_id}:{action.value}",
        t(f"confirm.actions.{action.value}", lang),
        lang,
        warnings=warnings,
        primary=primary,
    ):
        perform(actor, case_id, version, action, lang)


def perform(actor: Actor, case_id: int, version: int, action: Action, lang: str) -> None:
    try:
        with session_scope() as session:
            case = cases.get_case(session, case_id, actor)
            if states.transition_for(action).waits_for_flow:
                cases.request_action(session, case, action, actor, expected_version=version)
            else:
                cases.transition(session, case, action, actor, expected_version=version)
    except IVCError as exc:
        show_error(exc, lang)
        return
    advance([case_id], lang)
    flash(t(f"done.{action.value}", lang))
    st.rerun()
