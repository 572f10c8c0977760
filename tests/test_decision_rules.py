"""The case that got stuck in validation, through the services: a reviewer could validate a
competence nobody assessed, a change of mind stored nothing, the assessor was offered a claimed
competence outside the target and refused, and the approved request then failed on every run.
Each rule now lives in the decision, assessment and case services; these tests walk the path."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, col, select

from ivc.assessment import service as assessments
from ivc.assessment.models import AssessmentMethod, AssessmentPhase, ResultOutcome
from ivc.audit.models import AuditEvent
from ivc.auth.roles import Actor
from ivc.case import service as cases
from ivc.case.models import Case
from ivc.case.states import Action, CaseState
from ivc.claim import service as claims
from ivc.claim.models import ClaimStatus
from ivc.database.core import utcnow
from ivc.decision import service as decisions
from ivc.decision.models import Decision, DecisionKind
from ivc.errors import DomainError, TransitionError, ValidationFailed
from ivc.experience.service import add_experience
from ivc.flows import tasks
from ivc.framework.models import Competence
from ivc.person.models import Person

from .helpers import EXPERIENCE, TARGET, advance_to, staff, target_competences

YESTERDAY = date.today() - timedelta(days=1)


def _off_target(session: Session, case: Case) -> Competence:
    """A competence of the case's repertory that belongs to another qualification than its target."""
    targets = cases.target_competence_ids(session, case.id or 0)
    found = session.exec(
        select(Competence)
        .where(Competence.framework_id == case.framework_id, col(Competence.id).not_in(sorted(targets)))
        .order_by(col(Competence.id))
    ).first()
    assert found is not None, f"the repertory has only {TARGET}"
    return found


def _in_validation_with_an_off_target_claim(session: Session, actors: dict[str, Actor]) -> tuple[Case, Competence]:
    """A case in validation whose operator also confirmed a competence outside the target."""
    extra: list[Competence] = []

    def claim_outside(case: Case) -> None:
        exp = add_experience(session, case, EXPERIENCE.model_copy(update={"title": "Aiuto in cucina"}), actors["op3"])
        comp = _off_target(session, case)
        claims.add_by_operator(session, case, comp, actors["op3"], experience_ids=[exp.id or 0])
        extra.append(comp)

    case = advance_to(session, actors, CaseState.VALIDATION, during_identification=claim_outside)
    return case, extra[0]


def _assess(session: Session, actors: dict[str, Actor], case: Case, comps: list[Competence], **kw: object) -> None:
    assessments.record_assessment(
        session,
        case,
        phase=AssessmentPhase.VALIDATION,
        method=AssessmentMethod.TECHNICAL_INTERVIEW,
        held_on=YESTERDAY,
        results={c.id or 0: ResultOutcome.POSITIVE for c in comps},
        actor=actors["ev"],
        result_notes={c.id or 0: f"sa fare {c.code}" for c in comps},
        **kw,  # type: ignore[arg-type]
    )


def test_the_stuck_case_now_goes_through_validation(session: Session) -> None:
    actors = staff(session)
    alfa, alfa2 = actors["alfa"], actors["alfa2"]
    case, outside = _in_validation_with_an_off_target_claim(session, actors)
    comps = target_competences(session, case)

    # One definition of the phase's scope: the confirmed claims on competences of the target.
    in_scope = decisions.competences_in_scope(session, case.id or 0, DecisionKind.VALIDATION)
    assert [c.id for c in in_scope] == [c.id for c in sorted(comps, key=lambda c: c.code)]
    assert outside.id not in {c.id for c in in_scope}
    assert decisions.competences_in_scope(session, case.id or 0, DecisionKind.CERTIFICATION) == []
    assert cases.facts(session, case).validation_in_scope == len(comps)
    # The assessor is refused the claimed competence outside the target, with a stable code.
    with pytest.raises(ValidationFailed) as refused:
        _assess(session, actors, case, [outside])
    assert refused.value.code == "not_in_scope" and outside.code in refused.value.params["competences"]

    # No decision without an assessment of the competence.
    with pytest.raises(DomainError) as missing:
        decisions.record_decision(session, case, DecisionKind.VALIDATION, "validata", alfa, competence_id=comps[0].id)
    assert missing.value.code == "assessment_missing" and missing.value.params["competence"] == comps[0].code
    with pytest.raises(DomainError) as out:
        decisions.record_decision(session, case, DecisionKind.VALIDATION, "validata", alfa, competence_id=outside.id)
    assert out.value.code == "not_in_scope"

    _assess(session, actors, case, comps)
    for comp in comps:
        first = decisions.record_decision(
            session, case, DecisionKind.VALIDATION, "validata", alfa, competence_id=comp.id
        )
        again = decisions.record_decision(
            session, case, DecisionKind.VALIDATION, "validata", alfa, competence_id=comp.id
        )
        assert again.id == first.id  # idempotent

    # Changing a decision: a reason, then revocation and new decision together, with history.
    changed = comps[-1]
    with pytest.raises(ValidationFailed) as no_reason:
        decisions.change_decision(session, case, DecisionKind.VALIDATION, changed.id, "non_validata", "  ", alfa)
    assert no_reason.value.code == "reason_required"
    assert decisions.current(session, case.id or 0, DecisionKind.VALIDATION, changed.id).outcome == "validata"  # type: ignore[union-attr]
    new = decisions.change_decision(
        session, case, DecisionKind.VALIDATION, changed.id, "non_validata", "Prova pratica insufficiente", alfa
    )
    assert new.outcome == "non_validata" and new.revoked_at is None
    stored = session.exec(
        select(Decision)
        .where(Decision.case_id == case.id, Decision.competence_id == changed.id)
        .order_by(col(Decision.id))
    ).all()
    assert [(d.outcome, d.revocation_reason) for d in stored] == [
        ("validata", "Prova pratica insufficiente"),
        ("non_validata", None),
    ]
    claim = next(c for c in claims.claims_for_case(session, case.id or 0) if c.competence_id == changed.id)
    assert claim.status == ClaimStatus.NOT_VALIDATED.value

    # The decision sheet the approver reads: assessments, decision in force, revoked decisions.
    sheet = decisions.decision_sheet(session, case.id or 0, DecisionKind.VALIDATION, alfa2)
    assert [r.competence_id for r in sheet] == [c.id for c in in_scope]
    row = next(r for r in sheet if r.competence_id == changed.id)
    assert row.code == changed.code and row.title == changed.title
    assert [(a.assessor, a.method, a.held_on, a.outcome, a.notes) for a in row.assessments] == [
        ("ev", "colloquio_tecnico", YESTERDAY, "positivo", f"sa fare {changed.code}")
    ]
    assert row.decision is not None and (row.decision.outcome, row.decision.decided_by) == ("non_validata", "alfa")
    assert [(r.outcome, r.revoked_by, r.reason) for r in row.revoked] == [
        ("validata", "alfa", "Prova pratica insufficiente")
    ]
    assert all(r.backed for r in sheet)

    # Request, then nothing moves under the approver's eyes; approval; the flow issues.
    assert decisions.decisions_open(case, DecisionKind.VALIDATION)
    cases.request_action(session, case, Action.ISSUE_VALIDATION, alfa)
    assert not decisions.decisions_open(case, DecisionKind.VALIDATION)
    for attempt in (
        lambda: decisions.change_decision(
            session, case, DecisionKind.VALIDATION, changed.id, "validata", "ripensamento", alfa
        ),
        lambda: decisions.revoke_decision(session, new.id or 0, "ripensamento", alfa),
    ):
        with pytest.raises(DomainError) as pending:
            attempt()
        assert pending.value.code == "request_pending"
    cases.approve_request(session, case, alfa2)
    session.commit()
    assert tasks.carry_out_request(case.id or 0) == Action.ISSUE_VALIDATION.value
    session.expire_all()
    done = cases.get_case(session, case.id or 0)
    assert done.state == CaseState.VALIDATION_ISSUED.value and done.attention is None
    document = cases.issued_documents(session, case.id or 0)[-1]
    assert document.doc_type == "documento_validazione"
    listed = {c["code"]: c for c in document.payload["competences"]}
    assert set(listed) == {c.code for c in comps[:-1]}  # the validated ones, each with its assessment
    assert all(c["assessed"] for c in listed.values())


def test_decisions_recorded_before_the_rule_hold_the_request_until_assessed(session: Session) -> None:
    """Decisions stored without an assessment (before this rule) no longer reach the approver:
    the request is refused naming the guard, and the case waits on the assessor."""
    actors = staff(session)
    case = advance_to(session, actors, CaseState.VALIDATION)
    comps = target_competences(session, case)
    for comp in comps:  # as the old service let them be stored
        session.add(
            Decision(
                case_id=case.id or 0,
                kind=DecisionKind.VALIDATION.value,
                competence_id=comp.id,
                outcome="validata",
                decided_by="alfa",
                decided_at=utcnow(),
                created_by="alfa",
                territory=case.territory,
            )
        )
    for claim in claims.claims_for_case(session, case.id or 0):  # and its projection on the claim
        claim.status = ClaimStatus.VALIDATED.value
        session.add(claim)
    session.flush()
    facts = cases.facts(session, case)
    assert facts.validation_undecided == 0 and facts.validation_unassessed == len(comps)
    with pytest.raises(TransitionError) as refused:
        cases.request_action(session, case, Action.ISSUE_VALIDATION, actors["alfa"])
    assert refused.value.params["missing"] == ["decisions_assessed"]
    with pytest.raises(TransitionError):
        cases.transition(session, case, Action.REQUEST_CERTIFICATION, actors["alfa"])
    _assess(session, actors, case, comps)
    assert cases.facts(session, case).validation_unassessed == 0
    cases.request_action(session, case, Action.ISSUE_VALIDATION, actors["alfa"])
    assert case.requested_action == Action.ISSUE_VALIDATION.value


def test_an_approved_request_that_cannot_be_issued_is_sent_back_once_with_the_reason(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.VALIDATION)
    comps = target_competences(session, case)
    _assess(session, actors, case, comps)
    for comp in comps:
        decisions.record_decision(
            session, case, DecisionKind.VALIDATION, "validata", actors["alfa"], competence_id=comp.id
        )
    cases.request_action(session, case, Action.ISSUE_VALIDATION, actors["alfa"])
    cases.approve_request(session, case, actors["alfa2"])
    # After the approval the document can no longer be complete (the birth place was erased).
    person = session.get(Person, case.person_id)
    assert person is not None
    person.birth_place = None
    session.add(person)
    session.commit()

    assert tasks.carry_out_request(case.id or 0) is None  # no exception: the request is sent back
    session.expire_all()
    back = cases.get_case(session, case.id or 0)
    assert back.state == CaseState.VALIDATION.value
    assert (back.requested_action, back.requested_by, back.approved_by) == (None, None, None)
    assert back.attention and "holder.birth_place" in back.attention
    events = session.exec(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "case.request_failed")
    ).all()
    assert len(events) == 1 and events[0].after and events[0].after["code"] == "document_incomplete"
    assert events[0].before and events[0].before["approved_by"] == "alfa2"
    # A rerun finds nothing to do (no failure again and again) and decisions are open again.
    assert tasks.carry_out_request(case.id or 0) is None
    assert decisions.decisions_open(back, DecisionKind.VALIDATION)
    # Asking again is refused at once with what is missing, not after a new approval.
    with pytest.raises(TransitionError) as refused:
        cases.request_action(session, back, Action.ISSUE_VALIDATION, actors["alfa"])
    assert refused.value.code == "document_incomplete" and "holder.birth_place" in refused.value.params["missing"]
    # Completed, asked again: a new approval is needed (the old one went with the request).
    person = session.get(Person, case.person_id)
    assert person is not None
    person.birth_place = "Sfax (Tunisia)"
    session.add(person)
    cases.request_action(session, back, Action.ISSUE_VALIDATION, actors["alfa"])
    session.commit()
    assert tasks.carry_out_request(case.id or 0) is None  # waits for four eyes again
    session.expire_all()
    assert cases.get_case(session, case.id or 0).requested_action == Action.ISSUE_VALIDATION.value


def test_certification_decisions_need_an_exam_assessment(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.EXAM)
    validated = decisions.competences_in_scope(session, case.id or 0, DecisionKind.CERTIFICATION)
    assert {c.id for c in validated} == {c.id for c in target_competences(session, case)}
    with pytest.raises(DomainError) as missing:
        decisions.record_decision(
            session, case, DecisionKind.CERTIFICATION, "certificata", actors["alfa"], competence_id=validated[0].id
        )
    assert missing.value.code == "assessment_missing"  # the validation assessments do not count here
    assert cases.facts(session, case).certification_unassessed == 0


def test_claims_are_reviewed_only_during_identification(session: Session) -> None:
    actors = staff(session)
    ident = advance_to(session, actors, CaseState.IDENTIFICATION)
    assert claims.claims_reviewable(ident)
    validation = advance_to(session, actors, CaseState.VALIDATION)
    assert not claims.claims_reviewable(validation)
    claim = claims.claims_for_case(session, validation.id or 0)[0]
    with pytest.raises(DomainError) as refused:
        claims.review(session, claim, validation, ClaimStatus.REJECTED, actors["op3"])
    assert refused.value.code == "claims_not_reviewable"
