"""Record assessments (per competence) and schedule certification exams with a commission."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from ivc.assessment.models import (
    Assessment,
    AssessmentMethod,
    AssessmentPhase,
    AssessmentResult,
    ExamSession,
    ResultOutcome,
)
from ivc.audit import service as audit
from ivc.auth.policy import Permission, authorize
from ivc.auth.roles import Actor
from ivc.case import service as cases
from ivc.case.models import Case
from ivc.case.rules import independent
from ivc.case.states import Action, CaseState
from ivc.decision.scope import DECISION_KIND, phase_scopes
from ivc.errors import DomainError, ValidationFailed
from ivc.framework.models import Competence

_PHASE_STATE = {
    AssessmentPhase.VALIDATION: CaseState.VALIDATION.value,
    AssessmentPhase.CERTIFICATION: CaseState.EXAM.value,
}


def record_assessment(
    session: Session,
    case: Case,
    *,
    phase: AssessmentPhase,
    method: AssessmentMethod,
    held_on: date,
    results: dict[int, ResultOutcome],
    actor: Actor,
    notes: str | None = None,
    idempotency_key: str | None = None,
    result_notes: dict[int, str] | None = None,
) -> Assessment:
    """An assessor records one assessment session with an outcome per competence."""
    authorize(actor, Permission.ASSESS, case.territory)
    if case.state != _PHASE_STATE[phase]:
        raise DomainError(
            f"a {phase.value} assessment is recorded in state '{_PHASE_STATE[phase]}', not '{case.state}'"
        )
    if not independent([actor.username], cases.accompanied_by(session, case)):
        raise DomainError(
            f"{actor.username} accompanied this person's identification and may not assess them (separation of duties)",
            code="separation_of_duties",
        )
    if not results:
        raise ValidationFailed("an assessment needs at least one competence result", field="results")
    if held_on > date.today():
        raise ValidationFailed("the assessment date is in the future", field="held_on")
    if notes is not None and len(notes) > 5000:
        raise ValidationFailed("assessment notes are longer than 5000 characters", field="notes", limit=5000)
    kind = DECISION_KIND[phase]
    unknown = set(results) - phase_scopes(session, case.id or 0).of(kind)
    if unknown:
        codes = ", ".join(sorted(c.code if (c := session.get(Competence, i)) else str(i) for i in unknown))
        raise ValidationFailed(
            f"competences {codes} are not in scope of this case's {kind.value} (ids {sorted(unknown)})",
            code="not_in_scope",
            field="results",
            competences=codes,
            kind=kind.value,
        )
    key = idempotency_key or f"{case.id}:{phase.value}:{method.value}:{actor.username}:{held_on.isoformat()}"
    existing = session.exec(select(Assessment).where(Assessment.idempotency_key == key)).first()
    if existing is not None:
        return existing
    assessment = Assessment(
        case_id=case.id or 0,
        phase=phase.value,
        method=method.value,
        assessor=actor.username,
        held_on=held_on,
        notes=notes,
        idempotency_key=key,
        created_by=actor.username,
        territory=case.territory,
    )
    session.add(assessment)
    session.flush()
    for competence_id, outcome in results.items():
        session.add(
            AssessmentResult(
                assessment_id=assessment.id or 0,
                competence_id=competence_id,
                outcome=outcome.value,
                notes=((result_notes or {}).get(competence_id) or "").strip()[:2000] or None,
            )
        )
    audit.record(
        session,
        actor,
        "assessment.recorded",
        entity="assessment",
        entity_id=assessment.id,
        case_id=case.id,
        territory=case.territory,
        after={"phase": phase.value, "method": method.value, "results": {str(k): v.value for k, v in results.items()}},
    )
    session.flush()
    return assessment


def assessments_for_case(session: Session, case_id: int) -> list[tuple[Assessment, list[AssessmentResult]]]:
    rows = session.exec(select(Assessment).where(Assessment.case_id == case_id).order_by(col(Assessment.id))).all()
    out = []
    for a in rows:
        results = list(session.exec(select(AssessmentResult).where(AssessmentResult.assessment_id == a.id)))
        out.append((a, results))
    return out


def schedule_exam(
    session: Session,
    case: Case,
    *,
    scheduled_for: date,
    place: str,
    president: str,
    method_expert: str,
    sector_expert: str,
    actor: Actor,
    expected_version: int | None = None,
) -> ExamSession:
    """ALFA composes the commission and schedules the exam; the case moves to 'esame'."""
    authorize(actor, Permission.EXAM_SCHEDULE, case.territory)
    if case.state != CaseState.CERTIFICATION_QUEUE.value:
        raise DomainError(f"exams are scheduled from '{CaseState.CERTIFICATION_QUEUE.value}', not '{case.state}'")
    if method_expert == sector_expert:
        raise ValidationFailed("the method and the sector expert must be two people", field="sector_expert")
    exam = session.exec(select(ExamSession).where(ExamSession.case_id == case.id)).first()
    if exam is None:
        exam = ExamSession(
            case_id=case.id or 0,
            scheduled_for=scheduled_for,
            place=place,
            president=president,
            method_expert=method_expert,
            sector_expert=sector_expert,
            created_by=actor.username,
            territory=case.territory,
        )
        session.add(exam)
        session.flush()
    cases.transition(session, case, Action.SCHEDULE_EXAM, actor, expected_version=expected_version)
    return exam


def exam_for_case(session: Session, case_id: int) -> ExamSession | None:
    return session.exec(select(ExamSession).where(ExamSession.case_id == case_id)).first()
