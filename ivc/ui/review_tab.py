"""Assessment and decisions: assessors record an assessment with an outcome and notes per
competence; ALFA reviewers take the case, decide per competence, schedule the exam, and approve
(or send back) a colleague's request to issue a document — never their own (four eyes)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import streamlit as st
from sqlmodel import Session

from ivc.assessment import service as assessments
from ivc.assessment.models import AssessmentMethod, AssessmentPhase, ResultOutcome
from ivc.auth.roles import Actor, Role
from ivc.case import service as cases
from ivc.case.models import Case
from ivc.case.states import CaseState
from ivc.claim.models import ClaimStatus
from ivc.claim.service import claims_for_case
from ivc.database.core import session_scope
from ivc.decision import service as decisions
from ivc.decision.models import DecisionKind
from ivc.errors import IVCError
from ivc.framework.models import Competence, text_in
from ivc.i18n import t
from ivc.ui.common import advance, show_error

_PHASE = {CaseState.VALIDATION.value: AssessmentPhase.VALIDATION, CaseState.EXAM.value: AssessmentPhase.CERTIFICATION}
_DECISION = {
    CaseState.VALIDATION.value: (DecisionKind.VALIDATION, ("validata", "non_validata")),
    CaseState.EXAM.value: (DecisionKind.CERTIFICATION, ("certificata", "non_certificata")),
}


def render(actor: Actor, case_id: int, lang: str) -> None:
    with session_scope() as session:
        case = cases.get_case(session, case_id, actor)
        in_scope = [
            (c, session.get(Competence, c.competence_id))
            for c in claims_for_case(session, case_id)
            if c.status not in (ClaimStatus.SUGGESTED.value, ClaimStatus.REJECTED.value)
        ]
        done = assessments.assessments_for_case(session, case_id)
        titles = {c.id: f"{comp.code} {text_in(comp.title, lang)}" for c, comp in in_scope if comp}
        comp_titles = {comp.id: titles[c.id] for c, comp in in_scope if comp}
    if done:
        st.markdown(f"**{t('review.assessments', lang)}**")
        st.dataframe(
            [
                {
                    t("review.phase", lang): a.phase,
                    t("review.method", lang): t(f"methods.{a.method}", lang),
                    t("review.assessor", lang): a.assessor,
                    t("review.date", lang): str(a.held_on),
                    t("mapping.competence", lang): comp_titles.get(r.competence_id, r.competence_id),
                    t("review.outcome", lang): r.outcome,
                    t("review.notes", lang): r.notes or "",
                }
                for a, results in done
                for r in results
            ],
            hide_index=True,
            width="stretch",
        )
    if actor.role is Role.ASSESSOR and case.state in _PHASE:
        _assessment_form(actor, case_id, case.state, in_scope, lang)
    if actor.role is Role.ALFA_REVIEWER:
        _alfa(actor, case_id, lang)


def _assessment_form(actor: Actor, case_id: int, state: str, in_scope: list[Any], lang: str) -> None:
    phase = _PHASE[state]
    st.markdown(f"**{t('review.record', lang, phase=t(f'states.{state}', lang))}**")
    with st.form(f"assessment_{case_id}"):
        method = st.selectbox(
            t("review.method", lang),
            [m.value for m in AssessmentMethod],
            format_func=lambda m: t(f"methods.{m}", lang),
            key=f"as_method_{case_id}",
        )
        held_on = st.date_input(t("review.date", lang), value=date.today(), max_value=date.today())
        outcomes: dict[int, str] = {}
        notes: dict[int, str] = {}
        for _claim, comp in in_scope:
            if comp is None:
                continue
            c1, c2 = st.columns([1, 2])
            outcomes[comp.id] = c1.selectbox(
                f"{comp.code} {text_in(comp.title, lang)}",
                ["", ResultOutcome.POSITIVE.value, ResultOutcome.NEGATIVE.value],
                format_func=lambda o: t(f"review.outcomes.{o or 'none'}", lang),
                key=f"as_out_{case_id}_{comp.id}",
            )
            notes[comp.id] = c2.text_input(t("review.notes", lang), key=f"as_note_{case_id}_{comp.id}", max_chars=2000)
        general = st.text_area(t("review.general_notes", lang), max_chars=2000, key=f"as_notes_{case_id}")
        submitted = st.form_submit_button(t("review.save", lang))
    if not submitted:
        return
    results = {cid: ResultOutcome(o) for cid, o in outcomes.items() if o}
    if not results:
        st.error(t("review.no_outcome", lang))
        return
    try:
        with session_scope() as session:
            assessments.record_assessment(
                session,
                cases.get_case(session, case_id, actor),
                phase=phase,
                method=AssessmentMethod(method),
                held_on=held_on if isinstance(held_on, date) else date.today(),
                results=results,
                actor=actor,
                notes=general or None,
                result_notes={cid: notes[cid] for cid in results if notes.get(cid)},
            )
    except IVCError as exc:
        show_error(exc, lang)
        return
    advance([case_id], lang)
    st.rerun()


def _alfa(actor: Actor, case_id: int, lang: str) -> None:
    with session_scope() as session:
        case = cases.get_case(session, case_id, actor)
        in_scope = [
            (c, session.get(Competence, c.competence_id))
            for c in claims_for_case(session, case_id)
            if c.status not in (ClaimStatus.SUGGESTED.value, ClaimStatus.REJECTED.value)
        ]
    state, version = case.state, case.version
    # Taking the case in hand.
    c1, c2 = st.columns([3, 1])
    c1.write(t("queue.assignee", lang) + f": **{case.assignee or t('queue.nobody', lang)}**")
    if case.assignee != actor.username and c2.button(t("queue.take", lang), key=f"take_{case_id}"):
        _do(lambda s, c: cases.assign(s, c, actor.username, actor, expected_version=version), actor, case_id, lang)
    # Four eyes.
    if case.requested_action and not case.approved_by:
        st.warning(t("review.awaiting_approval", lang, by=case.requested_by))
        if case.requested_by == actor.username:
            st.caption(t("review.not_yourself", lang))
        else:
            a, b = st.columns(2)
            if a.button(t("review.approve", lang), key=f"approve_{case_id}"):
                _do(lambda s, c: cases.approve_request(s, c, actor, expected_version=version), actor, case_id, lang)
            reason = b.text_input(t("review.send_back_reason", lang), key=f"sendback_{case_id}", max_chars=1000)
            if b.button(t("review.send_back", lang), key=f"sendback_btn_{case_id}"):
                _do(
                    lambda s, c: cases.send_back_request(s, c, reason, actor, expected_version=version),
                    actor,
                    case_id,
                    lang,
                )
    if state in _DECISION:
        kind, choices = _DECISION[state]
        st.markdown(f"**{t('review.decide', lang)}**")
        with st.form(f"decisions_{case_id}"):
            picked = {}
            for _claim, comp in in_scope:
                if comp is None:
                    continue
                picked[comp.id] = st.selectbox(
                    f"{comp.code} {text_in(comp.title, lang)}",
                    ["", *choices],
                    format_func=lambda o: t(f"decisions.{o or 'none'}", lang),
                    key=f"dec_{case_id}_{comp.id}",
                )
            submitted = st.form_submit_button(t("review.save", lang))
        if submitted:

            def decide(s: Session, c: Case) -> None:
                for cid, outcome in picked.items():
                    if outcome and decisions.current(s, case_id, kind, cid) is None:
                        decisions.record_decision(s, c, kind, outcome, actor, competence_id=cid)

            _do(decide, actor, case_id, lang)
    if state == CaseState.CERTIFICATION_QUEUE.value:
        _exam_form(actor, case_id, version, lang)


def _exam_form(actor: Actor, case_id: int, version: int, lang: str) -> None:
    st.markdown(f"**{t('review.exam', lang)}**")
    with st.form(f"exam_{case_id}"):
        when = st.date_input(t("review.exam_date", lang), value=date.today(), min_value=date.today())
        place = st.text_input(t("review.exam_place", lang), max_chars=200)
        president = st.text_input(t("review.president", lang), max_chars=200)
        method_expert = st.text_input(t("review.method_expert", lang), max_chars=64)
        sector_expert = st.text_input(t("review.sector_expert", lang), max_chars=64)
        submitted = st.form_submit_button(t("review.schedule", lang))
    if submitted:
        _do(
            lambda s, c: assessments.schedule_exam(
                s,
                c,
                scheduled_for=when if isinstance(when, date) else date.today(),
                place=place,
                president=president,
                method_expert=method_expert,
                sector_expert=sector_expert,
                actor=actor,
                expected_version=version,
            ),
            actor,
            case_id,
            lang,
        )


def _do(change: Callable[[Session, Case], object], actor: Actor, case_id: int, lang: str) -> None:
    try:
        with session_scope() as session:
            change(session, cases.get_case(session, case_id, actor))
    except IVCError as exc:
        show_error(exc, lang)
        return
    advance([case_id], lang)
    st.rerun()
