"""Assessment and decisions. Assessors record an assessment with an outcome and notes per
competence in scope of the phase. ALFA reviewers take the case, read the decision sheet (each
competence with the assessments behind it, the decision in force and the ones it replaced),
decide or change a decision with a reason, schedule the exam, and approve or send back a
colleague's request to issue a document — never their own (four eyes). The rules are the
decision and case services'; this page offers only what they allow now."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st
from sqlmodel import Session, col, select

from ivc.assessment import service as assessments
from ivc.assessment.models import AssessmentMethod, AssessmentPhase, ResultOutcome
from ivc.auth.models import User
from ivc.auth.roles import Actor, Role
from ivc.case import service as cases
from ivc.case.models import Case
from ivc.case.states import CaseState
from ivc.database.core import session_scope
from ivc.decision import service as decisions
from ivc.decision.models import ALLOWED_OUTCOMES, DecisionKind
from ivc.errors import IVCError
from ivc.framework.models import text_in
from ivc.i18n import t
from ivc.ui.case import moves
from ivc.ui.widgets.confirm import confirmed
from ivc.ui.widgets.feedback import flash, show_error
from ivc.ui.widgets.forms import Form, save_once
from ivc.ui.widgets.steps import advance
from ivc.ui.widgets.text import fmt_date, fmt_datetime, label

_PHASE = {CaseState.VALIDATION.value: AssessmentPhase.VALIDATION, CaseState.EXAM.value: AssessmentPhase.CERTIFICATION}
_KIND = {CaseState.VALIDATION.value: DecisionKind.VALIDATION, CaseState.EXAM.value: DecisionKind.CERTIFICATION}
# What the pending request will issue, so the approver reads the decisions behind it.
_REQUEST_KIND = {"issue_validation": DecisionKind.VALIDATION, "certify": DecisionKind.CERTIFICATION}


def render(actor: Actor, case_id: int, lang: str) -> None:
    with session_scope() as session:
        case = cases.get_case(session, case_id, actor)
        done = assessments.assessments_for_case(session, case_id)
        titles = {
            c.id: f"{c.code} {text_in(c.title, lang)}"
            for kind in (DecisionKind.VALIDATION, DecisionKind.CERTIFICATION)
            for c in decisions.competences_in_scope(session, case_id, kind)
        }
    if done:
        st.markdown(f"**{t('review.assessments', lang)}**")
        st.dataframe(
            [
                {
                    t("review.phase", lang): label("phases", a.phase, lang),
                    t("review.method", lang): label("methods", a.method, lang),
                    t("review.assessor", lang): a.assessor,
                    t("review.date", lang): fmt_date(a.held_on),
                    t("mapping.competence", lang): titles.get(r.competence_id, str(r.competence_id)),
                    t("review.outcome", lang): label("review.outcomes", r.outcome, lang),
                    t("review.notes", lang): r.notes or "",
                }
                for a, results in done
                for r in results
            ],
            hide_index=True,
            width="stretch",
        )
    if actor.role is Role.ASSESSOR and case.state in _PHASE:
        _assessment_form(actor, case_id, case.state, lang)
    if actor.role is Role.ALFA_REVIEWER:
        _alfa(actor, case_id, lang)


def _assessment_form(actor: Actor, case_id: int, state: str, lang: str) -> None:
    phase, kind = _PHASE[state], _KIND[state]
    with session_scope() as session:
        scope = decisions.competences_in_scope(session, case_id, kind)
    if not scope:
        st.info(t("review.nothing_in_scope", lang))
        return
    st.markdown(f"**{t('review.record', lang, phase=t(f'states.{state}', lang))}**")
    form = Form(f"assessment:{case_id}:{phase.value}")
    with st.form(form.id, enter_to_submit=False):
        method = st.selectbox(
            t("review.method", lang),
            [m.value for m in AssessmentMethod],
            format_func=lambda m: t(f"methods.{m}", lang),
            key=form.key("method"),
        )
        held_on = st.date_input(
            t("review.date", lang), value=date.today(), max_value=date.today(), format="DD/MM/YYYY",
            key=form.key("held_on"),
        )  # fmt: skip
        outcomes: dict[int, str | None] = {}
        notes: dict[int, str] = {}
        for comp in scope:
            c1, c2 = st.columns([1, 2])
            outcomes[comp.id or 0] = c1.selectbox(
                f"{comp.code} {text_in(comp.title, lang)}",
                [ResultOutcome.POSITIVE.value, ResultOutcome.NEGATIVE.value],
                index=None,
                placeholder=t("review.outcomes.none", lang),
                format_func=lambda o: t(f"review.outcomes.{o}", lang),
                key=form.key(f"out_{comp.id}"),
            )
            notes[comp.id or 0] = c2.text_input(
                t("review.notes", lang), key=form.key(f"note_{comp.id}"), max_chars=2000
            )
        general = st.text_area(t("review.general_notes", lang), max_chars=2000, key=form.key("notes"))
        submitted = st.form_submit_button(t("review.save", lang), type="primary")
    if not submitted:
        return
    results = {cid: ResultOutcome(o) for cid, o in outcomes.items() if o}
    if not results:
        st.error(t("review.no_outcome", lang))
        return

    def work(session: Session) -> int | None:
        return assessments.record_assessment(
            session,
            cases.get_case(session, case_id, actor),
            phase=phase,
            method=AssessmentMethod(method),
            held_on=held_on if isinstance(held_on, date) else date.today(),
            results=results,
            actor=actor,
            notes=general or None,
            result_notes={cid: notes[cid] for cid in results if notes.get(cid)},
        ).id

    if save_once(form, "assessment", actor, work, lang, rerun=False) is not None:
        advance([case_id], lang)
        flash(t("review.assessment_saved", lang))
        st.rerun()


def _alfa(actor: Actor, case_id: int, lang: str) -> None:
    with session_scope() as session:
        case = cases.get_case(session, case_id, actor)
    version = case.version
    c1, c2 = st.columns([3, 1])
    c1.write(t("queue.assignee", lang) + f": **{case.assignee or t('queue.nobody', lang)}**")
    if case.assignee != actor.username and c2.button(t("queue.take", lang), key=f"take:{case_id}"):
        _do(lambda s, c: cases.assign(s, c, actor.username, actor, expected_version=version), actor, case_id, lang,
            t("queue.taken", lang))  # fmt: skip
    if case.requested_action and not case.approved_by:
        _four_eyes(actor, case, lang)
    if case.state in _KIND:
        _sheet_and_decisions(actor, case, _KIND[case.state], lang)
    if case.state == CaseState.CERTIFICATION_QUEUE.value:
        _exam_form(actor, case_id, version, lang)
    _exam(case_id, lang)
    actions, version, unreviewed = moves.available(actor, case_id)
    if actions:
        st.markdown(f"**{t('case.next_moves', lang)}**")
        for action in actions:
            moves.offer(actor, case_id, action, version, unreviewed, lang, primary=True)


def _sheet(rows: list[decisions.SheetRow], lang: str) -> None:
    """The decision sheet: per competence, the assessments behind it and the decision history."""
    for row in rows:
        with st.container(border=True):
            now = row.decision
            st.markdown(
                f"**{row.code} {text_in(row.title, lang)}** — "
                + (label("decisions", now.outcome, lang) if now else t("review.undecided", lang))
                + (f" ({now.decided_by}, {fmt_datetime(now.decided_at)})" if now else "")
            )
            _behind(row, lang)


def _behind(row: decisions.SheetRow, lang: str) -> None:
    """What stands behind a competence's decision: its assessments, and the decisions it replaced."""
    if not row.assessments:
        st.caption(t("review.no_assessment", lang))
    for a in row.assessments:
        st.caption(
            f"{label('methods', a.method, lang)} · {fmt_date(a.held_on)} · {a.assessor} · "
            f"{label('review.outcomes', a.outcome, lang)}" + (f" — {a.notes}" if a.notes else "")
        )
    for old in row.revoked:
        st.caption(
            t(
                "review.replaced",
                lang,
                outcome=label("decisions", old.outcome, lang),
                by=old.decided_by,
                revoked_by=old.revoked_by or "",
                when=fmt_datetime(old.revoked_at),
                reason=old.reason or "",
            )
        )


def _four_eyes(actor: Actor, case: Case, lang: str) -> None:
    case_id, version = case.id or 0, case.version
    st.warning(t("review.awaiting_approval", lang, by=case.requested_by,
                 action=label("actions", case.requested_action, lang)))  # fmt: skip
    kind = _REQUEST_KIND.get(case.requested_action or "")
    if kind is not None:
        with session_scope() as session:
            rows = decisions.decision_sheet(session, case_id, kind, actor)
        st.markdown(f"**{t('review.to_approve', lang)}**")
        _sheet(rows, lang)
    if case.requested_by == actor.username:
        st.caption(t("review.not_yourself", lang))
        return
    if confirmed(t("review.approve", lang), f"approve:{case_id}", t("confirm.approve", lang), lang):
        _do(lambda s, c: cases.approve_request(s, c, actor, expected_version=version), actor, case_id, lang,
            t("review.approved", lang))  # fmt: skip
    form = Form(f"sendback:{case_id}:{version}")
    with st.form(form.id, enter_to_submit=False):
        reason = st.text_input(t("review.send_back_reason", lang), key=form.key("reason"), max_chars=1000)
        sent = st.form_submit_button(t("review.send_back", lang))
    if sent:
        save_once(
            form, "send_back", actor,
            lambda s: cases.send_back_request(s, cases.get_case(s, case_id, actor), reason or "", actor,
                                              expected_version=version).id,
            lang, labels={"reason": t("review.send_back_reason", lang)}, done_message=t("review.sent_back", lang),
        )  # fmt: skip


def _sheet_and_decisions(actor: Actor, case: Case, kind: DecisionKind, lang: str) -> None:
    case_id = case.id or 0
    with session_scope() as session:
        rows = decisions.decision_sheet(session, case_id, kind, actor)
    st.markdown(f"**{t('review.decide', lang)}**")
    if not rows:
        st.info(t("review.nothing_in_scope", lang))
        return
    if not decisions.decisions_open(case, kind) or not any(row.assessments for row in rows):
        _sheet(rows, lang)  # nothing to decide yet (no assessment) or not now (a request pending)
        return
    choices = sorted(ALLOWED_OUTCOMES[kind])
    form = Form(f"decisions:{case_id}:{kind.value}:{case.version}")
    with st.form(form.id, enter_to_submit=False):
        picked: dict[int, tuple[str | None, str | None, str]] = {}
        for row in rows:
            st.markdown(f"**{row.code} {text_in(row.title, lang)}**")
            _behind(row, lang)
            if not row.assessments:
                continue
            current = row.decision.outcome if row.decision else None
            c1, c2 = st.columns([1, 2])
            outcome = c1.selectbox(
                t("review.decision", lang),
                choices,
                index=choices.index(current) if current in choices else None,
                placeholder=t("review.undecided", lang),
                format_func=lambda o: t(f"decisions.{o}", lang),
                key=form.key(f"dec_{row.competence_id}"),
            )
            reason = (
                c2.text_input(t("review.change_reason", lang), key=form.key(f"why_{row.competence_id}"), max_chars=2000)
                if current
                else ""
            )
            picked[row.competence_id] = (current, outcome, reason or "")
        submitted = st.form_submit_button(t("review.save_decisions", lang), type="primary")
    if not submitted:
        return

    def work(session: Session) -> int | None:
        c = cases.get_case(session, case_id, actor)
        changed = 0
        for cid, (current, outcome, reason) in picked.items():
            if outcome is None or outcome == current:
                continue
            if current is None:
                decisions.record_decision(session, c, kind, outcome, actor, competence_id=cid)
            else:
                decisions.change_decision(session, c, kind, cid, outcome, reason, actor)
            changed += 1
        return changed

    if save_once(form, "decisions", actor, work, lang, rerun=False,
                 labels={"reason": t("review.change_reason", lang)}) is not None:  # fmt: skip
        advance([case_id], lang)
        flash(t("review.decisions_saved", lang))
        st.rerun()


def _exam(case_id: int, lang: str) -> None:
    """The exam scheduled for the case and its commission, by name."""
    with session_scope() as session:
        exam = assessments.exam_for_case(session, case_id)
        if exam is None:
            return
        names = {
            u.username: u.full_name
            for u in session.exec(select(User).where(col(User.username).in_([exam.method_expert, exam.sector_expert])))
        }
    st.info(
        t(
            "review.exam_scheduled_for",
            lang,
            date=fmt_date(exam.scheduled_for),
            place=exam.place,
            president=exam.president,
            method_expert=names.get(exam.method_expert, exam.method_expert),
            sector_expert=names.get(exam.sector_expert, exam.sector_expert),
        )
    )


def _exam_form(actor: Actor, case_id: int, version: int, lang: str) -> None:
    with session_scope() as session:
        assessors = list(
            session.exec(
                select(User).where(User.role == Role.ASSESSOR.value, col(User.active)).order_by(col(User.username))
            )
        )
    names = {u.username: f"{u.full_name} ({u.username})" for u in assessors}
    st.markdown(f"**{t('review.exam', lang)}**")
    form = Form(f"exam:{case_id}:{version}")
    labels = {
        "scheduled_for": t("review.exam_date", lang), "place": t("review.exam_place", lang),
        "president": t("review.president", lang), "method_expert": t("review.method_expert", lang),
        "sector_expert": t("review.sector_expert", lang),
    }  # fmt: skip
    with st.form(form.id, enter_to_submit=False):
        when = st.date_input(labels["scheduled_for"], value=date.today(), min_value=date.today(), format="DD/MM/YYYY",
                             key=form.key("when"))  # fmt: skip
        place = st.text_input(labels["place"], max_chars=200, key=form.key("place"))
        president = st.text_input(labels["president"], max_chars=200, key=form.key("president"))
        c1, c2 = st.columns(2)
        method_expert = c1.selectbox(labels["method_expert"], list(names), index=None, format_func=lambda u: names[u],
                                     placeholder=t("intake.pick", lang), key=form.key("method"))  # fmt: skip
        sector_expert = c2.selectbox(labels["sector_expert"], list(names), index=None, format_func=lambda u: names[u],
                                     placeholder=t("intake.pick", lang), key=form.key("sector"))  # fmt: skip
        submitted = st.form_submit_button(t("review.schedule", lang), type="primary")
    if not submitted:
        return
    if not (place and president and method_expert and sector_expert):
        st.error(t("review.exam_incomplete", lang))
        return

    def work(session: Session) -> int | None:
        return assessments.schedule_exam(
            session,
            cases.get_case(session, case_id, actor),
            scheduled_for=when if isinstance(when, date) else date.today(),
            place=place,
            president=president,
            method_expert=method_expert,
            sector_expert=sector_expert,
            actor=actor,
            expected_version=version,
        ).id

    if save_once(form, "exam", actor, work, lang, rerun=False, labels=labels) is not None:
        advance([case_id], lang)
        flash(t("review.exam_scheduled", lang))
        st.rerun()


def _do(change: Callable[[Session, Case], object], actor: Actor, case_id: int, lang: str, message: str) -> None:
    try:
        with session_scope() as session:
            change(session, cases.get_case(session, case_id, actor))
    except IVCError as exc:
        show_error(exc, lang)
        return
    advance([case_id], lang)
    flash(message)
    st.rerun()
