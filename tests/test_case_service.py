"""Transitions on the real database: legal ones audited and stamped, illegal ones refused
with nothing written, separation of duties enforced, decisions kept with their history."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, col, select

from ivc.assessment import service as assessments
from ivc.assessment.models import AssessmentMethod, AssessmentPhase, ResultOutcome
from ivc.audit.models import AuditEvent
from ivc.case import service as cases
from ivc.case.models import CaseStateEntry
from ivc.case.states import Action, CaseState, Outcome, transition_for
from ivc.decision import service as decisions
from ivc.decision.models import Decision, DecisionKind
from ivc.errors import DomainError, PermissionDenied, TransitionError, ValidationFailed

from .helpers import advance_to, new_case, staff, target_competences

STATES_IN_ORDER = [
    CaseState.ACCESS,
    CaseState.IDENTIFICATION,
    CaseState.TRANSPARENCY_ISSUED,
    CaseState.VALIDATION,
    CaseState.VALIDATION_ISSUED,
    CaseState.CERTIFICATION_QUEUE,
    CaseState.EXAM,
    CaseState.CLOSED,
]


def test_a_case_goes_from_intake_to_certificate_and_every_step_is_audited(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.CLOSED)
    session.commit()
    assert case.state == CaseState.CLOSED.value
    assert case.outcome == Outcome.CERTIFIED_FULL.value
    entries = session.exec(
        select(CaseStateEntry).where(CaseStateEntry.case_id == case.id).order_by(col(CaseStateEntry.id))
    ).all()
    assert [e.state for e in entries] == [s.value for s in STATES_IN_ORDER]
    assert all(e.left_at is not None for e in entries[:-1]) and entries[-1].left_at is None
    actions = [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.case_id == case.id)).all()]
    for action in (
        "admit",
        "issue_transparency",
        "request_validation",
        "issue_validation",
        "request_certification",
        "schedule_exam",
        "certify",
    ):
        assert f"case.{action}" in actions
    assert [s for s, _ in cases.time_in_states(session, case.id or 0)][-1] == "chiuso"


def test_partial_validation_then_stop_is_a_partial_outcome(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.VALIDATION_ISSUED, partial=True)
    cases.transition(session, case, Action.CLOSE_AFTER_VALIDATION, actors["op3"])
    assert case.outcome == Outcome.VALIDATED_PARTIAL.value


@pytest.mark.parametrize("state", STATES_IN_ORDER)
def test_illegal_transitions_are_refused_and_write_nothing(session: Session, state: CaseState) -> None:
    actors = staff(session)
    case = advance_to(session, actors, state)
    session.commit()
    events_before = len(session.exec(select(AuditEvent)).all())
    version = case.version
    for action in Action:
        rule_sources = transition_for(action).sources
        if state in rule_sources:
            continue
        with pytest.raises(TransitionError) as err:
            cases.transition(session, case, action, actors["alfa"])
        assert state.value in str(err.value)
        assert err.value.params["state"] == state.value
    session.rollback()
    assert len(session.exec(select(AuditEvent)).all()) == events_before
    assert cases.get_case(session, case.id or 0).version == version


def test_missing_preconditions_are_named(session: Session) -> None:
    actors = staff(session)
    case = new_case(session, actors)
    with pytest.raises(TransitionError) as err:
        cases.transition(session, case, Action.ADMIT, actors["op3"])
    missing = err.value.params["missing"]
    assert {"service_consent", "service_agreement_signed", "admissibility_admitted"} <= set(missing)
    assert "patto di servizio" in str(err.value)


def test_transparency_needs_a_confirmed_competence(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    with pytest.raises(TransitionError) as err:
        cases.request_action(session, case, Action.ISSUE_TRANSPARENCY, actors["op3"])
    assert "confirmed_competence" in err.value.params["missing"]


def test_the_operator_who_accompanied_may_not_assess(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.VALIDATION)
    comps = target_competences(session, case)
    # The accompanying operator holds an assessor account too: still refused.
    from ivc.auth.roles import Actor, Role

    same_person = Actor("op3", Role.ASSESSOR)
    with pytest.raises(DomainError, match="separation of duties"):
        assessments.record_assessment(
            session,
            case,
            phase=AssessmentPhase.VALIDATION,
            method=AssessmentMethod.PRACTICAL_TEST,
            held_on=date.today(),
            results={comps[0].id or 0: ResultOutcome.POSITIVE},
            actor=same_person,
        )


def test_a_commission_with_the_accompanying_operator_is_refused(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.CERTIFICATION_QUEUE)
    with pytest.raises(TransitionError) as err:
        assessments.schedule_exam(
            session,
            case,
            scheduled_for=date.today(),
            place="Genova",
            president="P",
            method_expert="op3",
            sector_expert="es",
            actor=actors["alfa"],
        )
    assert "commission_independent" in err.value.params["missing"]


def test_decisions_are_revoked_with_a_reason_never_overwritten(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.VALIDATION)
    comp = target_competences(session, case)[0]
    assessments.record_assessment(
        session,
        case,
        phase=AssessmentPhase.VALIDATION,
        method=AssessmentMethod.DOSSIER_REVIEW,
        held_on=date.today() - timedelta(days=1),
        results={comp.id or 0: ResultOutcome.POSITIVE},
        actor=actors["ev"],
    )
    first = decisions.record_decision(
        session, case, DecisionKind.VALIDATION, "non_validata", actors["alfa"], competence_id=comp.id
    )
    with pytest.raises(DomainError, match="revoke it"):
        decisions.record_decision(
            session, case, DecisionKind.VALIDATION, "validata", actors["alfa"], competence_id=comp.id
        )
    with pytest.raises(PermissionDenied):
        decisions.revoke_decision(session, first.id or 0, "errore", actors["op3"])
    with pytest.raises(ValidationFailed):
        decisions.revoke_decision(session, first.id or 0, "  ", actors["alfa"])
    decisions.revoke_decision(session, first.id or 0, "Esito registrato per errore", actors["alfa"])
    decisions.record_decision(session, case, DecisionKind.VALIDATION, "validata", actors["alfa"], competence_id=comp.id)
    history = session.exec(select(Decision).where(Decision.case_id == case.id, Decision.kind == "validazione")).all()
    assert [(d.outcome, d.revocation_reason) for d in history] == [
        ("non_validata", "Esito registrato per errore"),
        ("validata", None),
    ]


def test_territorial_scope_is_enforced_by_the_service(session: Session) -> None:
    actors = staff(session)
    case = new_case(session, actors, district="3")
    with pytest.raises(PermissionDenied):
        cases.get_case(session, case.id or 0, actors["op1"])
    assert cases.list_cases(session, actors["op1"]) == []
    assert [c.id for c in cases.list_cases(session, actors["op3"])] == [case.id]
    assert [c.id for c in cases.list_cases(session, actors["alfa"])] == [case.id]


def test_suspension_blocks_progress_until_lifted(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.TRANSPARENCY_ISSUED)
    cases.suspend(session, case, "ricovero", date.today() + timedelta(days=30), actors["op3"])
    with pytest.raises(TransitionError) as err:
        cases.transition(session, case, Action.REQUEST_VALIDATION, actors["op3"])
    assert "not_suspended" in err.value.params["missing"]
    cases.lift_suspension(session, case, actors["op3"])
    cases.transition(session, case, Action.REQUEST_VALIDATION, actors["op3"])
    assert case.state == CaseState.VALIDATION.value


def test_withdrawal_closes_the_case_from_any_open_state(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    cases.request_withdrawal(session, case, "trasferimento in altra regione", actors["op3"])
    with pytest.raises(TransitionError):
        cases.transition(session, case, Action.CLOSE_WITHDRAWN, actors["op3"])
    cases.confirm_withdrawal(session, case, actors["op3"])
    assert (case.state, case.outcome) == (CaseState.CLOSED.value, Outcome.WITHDRAWN.value)


def _setup_for(action: Action, session: Session, actors: dict) -> tuple:  # type: ignore[type-arg]
    """A case in which ``action`` is legal, and who performs it."""
    op, alfa = actors["op3"], actors["alfa"]
    if action is Action.REFUSE_ACCESS:
        case = new_case(session, actors)
        decisions.record_decision(session, case, DecisionKind.ADMISSIBILITY, "non_ammesso", op, comment="non fattibile")
        return case, op
    if action is Action.CLOSE_NOT_VALIDATED:
        case = advance_to(session, actors, CaseState.VALIDATION)
        comps = target_competences(session, case)
        yesterday = date.today() - timedelta(days=1)
        results = {c.id or 0: ResultOutcome.NEGATIVE for c in comps}
        assessments.record_assessment(
            session,
            case,
            phase=AssessmentPhase.VALIDATION,
            method=AssessmentMethod.PRACTICAL_TEST,
            held_on=yesterday,
            results=results,
            actor=actors["ev"],
        )
        for cid in results:
            decisions.record_decision(session, case, DecisionKind.VALIDATION, "non_validata", alfa, competence_id=cid)
        return case, alfa
    if action is Action.CLOSE_WITHDRAWN:
        case = advance_to(session, actors, CaseState.VALIDATION_ISSUED)
        cases.request_withdrawal(session, case, "motivi personali", op)
        case.withdrawal_confirmed_at = case.withdrawal_requested_at
        return case, op
    before = {
        Action.CLOSE_AFTER_TRANSPARENCY: CaseState.TRANSPARENCY_ISSUED,
        Action.REQUEST_VALIDATION: CaseState.TRANSPARENCY_ISSUED,
        Action.REQUEST_CERTIFICATION: CaseState.VALIDATION_ISSUED,
        Action.CLOSE_AFTER_VALIDATION: CaseState.VALIDATION_ISSUED,
    }[action]
    return advance_to(session, actors, before), op


# Transitions that need their own preparations (documents, commission): advance_to performs them
# through the services on its way to the state after them.
_DONE_BY_ADVANCE_TO = {
    Action.ADMIT: CaseState.IDENTIFICATION,
    Action.ISSUE_TRANSPARENCY: CaseState.TRANSPARENCY_ISSUED,
    Action.ISSUE_VALIDATION: CaseState.VALIDATION_ISSUED,
    Action.SCHEDULE_EXAM: CaseState.EXAM,
    Action.CERTIFY: CaseState.CLOSED,
}


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value)
def test_every_legal_transition_is_audited(session: Session, action: Action) -> None:
    actors = staff(session)
    if action in _DONE_BY_ADVANCE_TO:
        case = advance_to(session, actors, _DONE_BY_ADVANCE_TO[action])
    else:
        case, actor = _setup_for(action, session, actors)
        cases.transition(session, case, action, actor)
    session.flush()
    events = session.exec(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == f"case.{action.value}")
    ).all()
    assert len(events) == 1
    assert events[0].before and events[0].after and events[0].before["state"] != events[0].after["state"]
    assert case.state == transition_for(action).target.value


def test_a_request_whose_document_would_be_incomplete_is_refused_when_made(session: Session) -> None:
    """Asked for with a competence no experience supports, the transparency document would lack
    what was learned where: refused at once, naming the element, with nothing requested."""
    from ivc.claim import service as claims
    from ivc.experience.service import add_experience

    from .helpers import EXPERIENCE

    actors = staff(session)
    op = actors["op3"]
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    add_experience(session, case, EXPERIENCE, op)
    claims.add_by_operator(session, case, target_competences(session, case)[0], op)  # no experience named
    with pytest.raises(TransitionError) as err:
        cases.request_action(session, case, Action.ISSUE_TRANSPARENCY, op)
    assert err.value.code == "document_incomplete"
    assert err.value.params["missing"] == ["competences[].learned"]
    assert case.requested_action is None


def test_the_queue_finds_an_overdue_case_whatever_the_page_size(session: Session) -> None:
    """'Only late' and 'waiting at least' are decided in the database: a case past its state's
    service level is found even when older cases of a laxer state fill the first page."""
    from ivc.case.models import Case
    from ivc.database.core import utcnow

    actors = staff(session)
    alfa = actors["alfa"]
    late = advance_to(session, actors, CaseState.VALIDATION)  # service level 30 days
    older = advance_to(session, actors, CaseState.CERTIFICATION_QUEUE)  # service level 45 days
    recent = advance_to(session, actors, CaseState.VALIDATION)
    now = utcnow()
    for case_id, days in {late.id: 31, older.id: 40, recent.id: 20}.items():
        row = session.get(Case, case_id)
        assert row is not None
        row.state_entered_at = now - timedelta(days=days, hours=1)
        session.add(row)
    session.flush()
    states_ = [CaseState.VALIDATION, CaseState.CERTIFICATION_QUEUE]
    assert cases.work_queue(session, alfa, states_, limit=1)[0].case_id == older.id  # longest waiting first
    assert [r.case_id for r in cases.work_queue(session, alfa, states_, only_overdue=True, limit=1)] == [late.id]
    assert cases.queue_size(session, alfa, states_, only_overdue=True) == (1, 1)
    waited = cases.work_queue(session, alfa, states_, waited_days=25)
    assert {r.case_id for r in waited} == {late.id, older.id}
    assert cases.queue_size(session, alfa, states_) == (3, 1)  # three in the queue, one of them late
