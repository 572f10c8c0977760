"""Open cases, read their facts, and move them through the state machine.

Every transition is checked against ``ivc.case.states``, bumps the case's optimistic-lock
version, stamps the state history and writes the audit log, all in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import false, func, or_, update
from sqlalchemy import select as sql_select
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from ivc.agreement.models import ServiceAgreement
from ivc.assessment.models import Assessment, AssessmentPhase, ExamSession
from ivc.audit import service as audit
from ivc.auth.models import User
from ivc.auth.policy import Permission, authorize
from ivc.auth.roles import SYSTEM_ACTOR, Actor, Role
from ivc.case import states
from ivc.case.models import Case, CaseStateEntry, CaseStep, CaseTarget
from ivc.case.rules import independent, service_level_days
from ivc.case.states import Action, Activity, CaseFacts, CaseState, DocumentType
from ivc.claim.models import CompetenceClaim
from ivc.consent.models import ConsentPurpose
from ivc.consent.service import active_consent
from ivc.database.core import utcnow
from ivc.decision import scope
from ivc.decision.models import Decision, DecisionKind
from ivc.document.models import IssuedDocument
from ivc.errors import ConflictError, DomainError, NotFound, PermissionDenied, TransitionError, ValidationFailed
from ivc.experience.models import Experience
from ivc.framework.models import Qualification
from ivc.framework.service import find_qualification, latest_framework
from ivc.person.models import Person

# Claim statuses from confirmation on (the phases' scope is decided in ivc.decision.scope).
CONFIRMED_OR_LATER = scope.CONFIRMED_OR_LATER


# ---------------------------------------------------------------------------- reading


_MAX_ID = 2**63 - 1  # what a database key can hold; larger numbers are no case at all


def get_case(session: Session, case_id: int, actor: Actor | None = None) -> Case:
    case = session.get(Case, case_id) if 0 < case_id <= _MAX_ID else None
    if case is None:
        raise NotFound(f"no case {case_id}", entity="case", key=case_id)
    if actor is not None:
        authorize(actor, Permission.CASE_READ, case.territory)
    return case


def list_cases(
    session: Session,
    actor: Actor,
    state: CaseState | None = None,
    district: str | None = None,
    limit: int = 500,
) -> list[Case]:
    authorize(actor, Permission.CASE_READ)
    stmt = select(Case).order_by(col(Case.id))
    if not actor.region_wide:
        stmt = stmt.where(col(Case.territory).in_(sorted(actor.districts)))
    if state is not None:
        stmt = stmt.where(Case.state == state.value)
    if district is not None:
        stmt = stmt.where(Case.territory == district)
    return list(session.exec(stmt.limit(limit)))


@dataclass(frozen=True)
class QueueRow:
    case_id: int
    person: str
    territory: str
    state: str
    waiting_for: str | None
    state_entered_at: datetime
    version: int
    assignee: str | None = None
    requested_action: str | None = None
    requested_by: str | None = None
    approved_by: str | None = None


def _queue_where(
    actor: Actor,
    states_: list[CaseState],
    district: str | None,
    assignee: str | None,
    qualification: str | None,
    waited_days: int,
    only_overdue: bool,
) -> list[Any]:
    """The conditions of a work queue, all decided in the database (so that a page of 50 rows
    holds the right 50, whatever the number of cases)."""
    now = utcnow()
    where: list[Any] = [col(Case.state).in_([s.value for s in states_])]
    if not actor.region_wide:
        where.append(col(Case.territory).in_(sorted(actor.districts)))
    if district is not None:
        where.append(col(Case.territory) == district)
    if assignee is not None:
        where.append(col(Case.assignee).is_(None) if assignee == "" else col(Case.assignee) == assignee)
    if qualification is not None:
        targets = (
            sql_select(col(CaseTarget.case_id))
            .join(Qualification, col(Qualification.id) == col(CaseTarget.qualification_id))
            .where(col(Qualification.code) == qualification)
        )
        where.append(col(Case.id).in_(targets))
    if waited_days > 0:  # whole days in the state, as the queue shows them
        where.append(col(Case.state_entered_at) <= now - timedelta(days=waited_days))
    if only_overdue:
        where.append(_overdue(states_, now))
    return where


def _overdue(states_: list[CaseState], now: datetime) -> Any:
    """Past the service level of its own state (``rules.overdue``), as a condition."""
    late = [
        (col(Case.state) == s.value) & (col(Case.state_entered_at) <= now - timedelta(days=days + 1))
        for s in states_
        if (days := service_level_days(s.value)) is not None
    ]
    return or_(*late) if late else false()


def work_queue(
    session: Session,
    actor: Actor,
    states_: list[CaseState],
    *,
    district: str | None = None,
    assignee: str | None = None,
    qualification: str | None = None,
    waited_days: int = 0,
    only_overdue: bool = False,
    limit: int = 50,
    before: tuple[datetime, int] | None = None,
) -> list[QueueRow]:
    """One page of a work queue: cases in these states, longest waiting first, within the actor's
    districts (ALFA and assessors see every district); optionally only those waiting at least
    ``waited_days`` or past their state's service level. Keyset pagination (``before``) keeps
    every page as fast as the first over any number of cases."""
    authorize(actor, Permission.CASE_READ)
    stmt = (
        sql_select(
            col(Case.id),
            col(Person.given_name),
            col(Person.family_name),
            col(Case.territory),
            col(Case.state),
            col(Case.waiting_for),
            col(Case.state_entered_at),
            col(Case.version),
            col(Case.assignee),
            col(Case.requested_action),
            col(Case.requested_by),
            col(Case.approved_by),
        )
        .join(Person, col(Person.id) == col(Case.person_id))
        .where(*_queue_where(actor, states_, district, assignee, qualification, waited_days, only_overdue))
    )
    if before is not None:
        stmt = stmt.where(
            (col(Case.state_entered_at) > before[0])
            | ((col(Case.state_entered_at) == before[0]) & (col(Case.id) > before[1]))
        )
    stmt = stmt.order_by(col(Case.state_entered_at), col(Case.id)).limit(min(limit, 500))
    return [
        QueueRow(r[0] or 0, f"{r[1]} {r[2]}", r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11])
        for r in session.execute(stmt).all()
    ]


def queue_size(
    session: Session,
    actor: Actor,
    states_: list[CaseState],
    *,
    district: str | None = None,
    assignee: str | None = None,
    qualification: str | None = None,
    waited_days: int = 0,
    only_overdue: bool = False,
) -> tuple[int, int]:
    """How many cases the same queue holds in all (its pages show 50 at a time), and how many of
    them are past their state's service level: one count over the queue."""
    authorize(actor, Permission.CASE_READ)
    where = _queue_where(actor, states_, district, assignee, qualification, waited_days, only_overdue)
    late = _overdue(states_, utcnow())
    total, overdue = session.execute(
        sql_select(func.count(), func.count().filter(late)).select_from(Case).where(*where)
    ).one()
    return int(total), int(overdue)


def target_qualifications(session: Session, case_id: int) -> list[Qualification]:
    return list(
        session.exec(
            select(Qualification)
            .join(CaseTarget, col(CaseTarget.qualification_id) == col(Qualification.id))
            .where(CaseTarget.case_id == case_id)
            .order_by(col(Qualification.code))
        )
    )


def target_competence_ids(session: Session, case_id: int) -> set[int]:
    """Every competence of the target qualifications, claimed or not (what a case could reach)."""
    return scope.target_competence_ids(session, case_id)


def accompanied_by(session: Session, case: Case) -> set[str]:
    """Who accompanied the identification: the operator and whoever reviewed its claims."""
    people = {case.operator}
    reviewers = session.exec(
        select(CompetenceClaim.reviewed_by).where(
            CompetenceClaim.case_id == case.id, col(CompetenceClaim.reviewed_by).is_not(None)
        )
    ).all()
    people.update(r for r in reviewers if r)
    return people


def active_decisions(session: Session, case_id: int, kind: DecisionKind) -> list[Decision]:
    return list(
        session.exec(
            select(Decision).where(
                Decision.case_id == case_id, Decision.kind == kind.value, col(Decision.revoked_at).is_(None)
            )
        )
    )


def issued_documents(session: Session, case_id: int) -> list[IssuedDocument]:
    return list(
        session.exec(select(IssuedDocument).where(IssuedDocument.case_id == case_id).order_by(col(IssuedDocument.id)))
    )


def facts(session: Session, case: Case) -> CaseFacts:
    """Everything the guards read, from the database, in the caller's transaction."""
    case_id = case.id or 0
    today = date.today()
    agreement = session.exec(select(ServiceAgreement).where(ServiceAgreement.case_id == case_id)).first()
    admissibility = active_decisions(session, case_id, DecisionKind.ADMISSIBILITY)
    targets = target_qualifications(session, case_id)
    scopes = scope.phase_scopes(session, case_id)
    in_scope, validated = set(scopes.validation), set(scopes.certification)
    validation = {
        d.competence_id: d.outcome
        for d in active_decisions(session, case_id, DecisionKind.VALIDATION)
        if d.competence_id in in_scope
    }
    certification = {
        d.competence_id: d.outcome
        for d in active_decisions(session, case_id, DecisionKind.CERTIFICATION)
        if d.competence_id in validated
    }
    assessments = session.exec(select(Assessment).where(Assessment.case_id == case_id)).all()
    # A decision in force is backed when an assessment of its phase recorded a result for it.
    unassessed = {
        kind: len(set(decided) - scope.assessed_competence_ids(session, case_id, scope.ASSESSMENT_PHASE[kind]))
        if decided
        else 0
        for kind, decided in ((DecisionKind.VALIDATION, validation), (DecisionKind.CERTIFICATION, certification))
    }
    companions = accompanied_by(session, case)
    validation_people = {a.assessor for a in assessments if a.phase == AssessmentPhase.VALIDATION.value}
    validation_people |= {d.decided_by for d in active_decisions(session, case_id, DecisionKind.VALIDATION)}
    exam = session.exec(select(ExamSession).where(ExamSession.case_id == case_id)).first()
    commission = {a.assessor for a in assessments if a.phase == AssessmentPhase.CERTIFICATION.value}
    if exam is not None:
        commission |= {exam.method_expert, exam.sector_expert}
    documents = frozenset(DocumentType(d.doc_type) for d in issued_documents(session, case_id) if d.revoked_at is None)
    experiences = session.exec(select(func.count()).select_from(Experience).where(Experience.case_id == case_id)).one()
    return CaseFacts(
        state=CaseState(case.state),
        suspended=case.suspended_until is not None and case.suspended_until >= today,
        withdrawal_requested=case.withdrawal_requested_at is not None,
        withdrawal_confirmed=case.withdrawal_confirmed_at is not None,
        service_agreement_signed=bool(agreement and agreement.signed_at and agreement.declaration_of_truth),
        service_consent=active_consent(session, case.person_id, ConsentPurpose.IVC_SERVICE) is not None,
        admissibility=admissibility[0].outcome if admissibility else None,
        experiences=int(experiences),
        targets=len(targets),
        regulated_target=any(q.regulated_profession for q in targets),
        confirmed_claims=len(in_scope),
        validation_in_scope=len(in_scope),
        validation_undecided=len(in_scope - set(validation)),
        validated=len(validated),
        not_validated=len(in_scope & {c for c, o in validation.items() if o == "non_validata"}),
        certification_in_scope=len(validated),
        certification_undecided=len(validated - set(certification)),
        validation_unassessed=unassessed[DecisionKind.VALIDATION],
        certified=sum(1 for o in certification.values() if o == "certificata"),
        not_certified=sum(1 for o in certification.values() if o == "non_certificata"),
        certification_unassessed=unassessed[DecisionKind.CERTIFICATION],
        exam_scheduled=exam is not None,
        commission_independent=independent(commission, companions),
        assessors_independent=independent(validation_people, companions),
        documents=documents,
        issue_requested=Action(case.requested_action) if case.requested_action else None,
        issue_approved=bool(case.requested_action and case.approved_by and case.approved_by != case.requested_by),
    )


def time_in_states(session: Session, case_id: int) -> list[tuple[str, float]]:
    """(state, seconds) for every state the case entered, the current one counted until now."""
    now = utcnow()
    rows = session.exec(
        select(CaseStateEntry).where(CaseStateEntry.case_id == case_id).order_by(col(CaseStateEntry.id))
    ).all()
    return [(r.state, ((r.left_at or now) - r.entered_at).total_seconds()) for r in rows]


# ---------------------------------------------------------------------------- writing


def check_version(case: Case, expected_version: int | None) -> None:
    """The version the person saw must still be the current one."""
    if expected_version is not None and case.version != expected_version:
        raise ConflictError(
            f"case {case.id} was changed by someone else (version {case.version}, you had "
            f"{expected_version}); reload it and try again",
            case_id=case.id,
        )


def lock_for_edit(session: Session, case: Case, expected_version: int | None) -> None:
    """Optimistic lock: bump the version only if nobody else did since it was read."""
    check_version(case, expected_version)
    current = case.version
    result = session.execute(
        update(Case)
        .where(col(Case.id) == case.id, col(Case.version) == current)
        .values(version=current + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError(
            f"case {case.id} was changed by someone else while you were editing it; reload it and try again",
            case_id=case.id,
        )
    set_committed_value(case, "version", current + 1)


def open_case(
    session: Session,
    person: Person,
    target_codes: Iterable[str],
    actor: Actor,
    *,
    operator: str | None = None,
    mediator: str | None = None,
    interview_language: str = "it",
    framework_code: str = "RL",
) -> Case:
    authorize(actor, Permission.INTAKE, person.territory)
    framework = latest_framework(session, framework_code)
    case = Case(
        person_id=person.id or 0,
        framework_id=framework.id or 0,
        operator=operator or actor.username,
        mediator=mediator,
        interview_language=interview_language,
        territory=person.territory,
        created_by=actor.username,
    )
    session.add(case)
    session.flush()
    session.add(
        CaseStateEntry(case_id=case.id or 0, state=case.state, entered_at=case.state_entered_at, actor=actor.username)
    )
    for code in target_codes:
        qualification = find_qualification(session, code, framework.id)
        session.add(CaseTarget(case_id=case.id or 0, qualification_id=qualification.id or 0, added_by=actor.username))
    audit.record(
        session,
        actor,
        "case.opened",
        entity="case",
        entity_id=case.id,
        case_id=case.id,
        territory=case.territory,
        after={"state": case.state, "targets": list(target_codes)},
    )
    session.flush()
    return case


def _refuse(refusal: states.Refusal) -> TransitionError:
    return TransitionError(
        refusal.message(),
        code="transition",
        action=refusal.action.value,
        state=refusal.state.value,
        missing=[code for code, _ in refusal.reasons],
    )


def check_transition(
    session: Session, case: Case, action: Action, actor: Actor, *, skip_document: bool = False
) -> CaseFacts:
    if not actor.can_work_in(case.territory):
        raise PermissionDenied(f"{actor.username} cannot act on cases of district {case.territory}")
    case_facts = facts(session, case)
    refusal = states.check(action, case_facts, actor.role, skip_document=skip_document)
    if refusal is not None:
        raise _refuse(refusal)
    return case_facts


def transition(
    session: Session,
    case: Case,
    action: Action,
    actor: Actor,
    *,
    expected_version: int | None = None,
    on_behalf_of: Actor | None = None,
    comment: str | None = None,
) -> Case:
    """Perform a transition. ``actor`` is whose authority it carries (the requester when a flow
    executes a person's request; the flow itself is recorded as ``on_behalf_of``)."""
    check_version(case, expected_version)
    case_facts = check_transition(session, case, action, actor)
    rule = states.transition_for(action)
    lock_for_edit(session, case, expected_version)
    now = utcnow()
    before = {"state": case.state, "version": case.version - 1}
    current = session.exec(
        select(CaseStateEntry).where(CaseStateEntry.case_id == case.id, col(CaseStateEntry.left_at).is_(None))
    ).first()
    if current is not None:
        current.left_at = now
        session.add(current)
    case.state = rule.target.value
    case.state_entered_at = now
    case.requested_action = None
    case.requested_by = None
    case.requested_at = None
    case.approved_by = None
    case.approved_at = None
    case.waiting_for = None
    case.waiting_role = None
    case.activity = Activity.ACTIVE.value
    if rule.outcome is not None:
        case.outcome = rule.outcome(case_facts).value
    if rule.target is CaseState.CLOSED:
        case.closed_at = now
        case.activity = Activity.INACTIVE.value
    session.add(case)
    session.add(
        CaseStateEntry(
            case_id=case.id or 0, state=case.state, entered_at=now, action=action.value, actor=actor.username
        )
    )
    audit.record(
        session,
        on_behalf_of or actor,
        f"case.{action.value}",
        entity="case",
        entity_id=case.id,
        case_id=case.id,
        territory=case.territory,
        before=before,
        after={"state": case.state, "outcome": case.outcome, "version": case.version, "comment": comment},
        on_behalf_of=actor.username if on_behalf_of else None,
    )
    session.flush()
    return case


def request_action(
    session: Session, case: Case, action: Action, actor: Actor, *, expected_version: int | None = None
) -> Case:
    """Record a person's request for a transition that a flow carries out (document issuance).
    The guards are checked now, so the request fails fast with the same reasons."""
    rule = states.transition_for(action)
    if not rule.waits_for_flow:
        raise TransitionError(f"{action.value} is done directly, not requested", action=action.value)
    check_version(case, expected_version)
    if case.requested_action == action.value:
        return case
    case_facts = check_transition(session, case, action, actor, skip_document=True)
    _check_document_complete(session, case, action, case_facts, actor)
    lock_for_edit(session, case, expected_version)
    case.requested_action = action.value
    case.requested_by = actor.username
    case.requested_at = utcnow()
    case.activity = Activity.ACTIVE.value
    case.waiting_for = None
    case.waiting_role = None
    session.add(case)
    audit.record(
        session,
        actor,
        "case.requested",
        entity="case",
        entity_id=case.id,
        case_id=case.id,
        territory=case.territory,
        after={"action": action.value},
    )
    session.flush()
    return case


def _check_document_complete(session: Session, case: Case, action: Action, case_facts: CaseFacts, actor: Actor) -> None:
    """The document the request would issue has every minimum element now (else it would fail
    only once approved, in the flow)."""
    rule = states.transition_for(action)
    if rule.issues is None or (action is Action.CERTIFY and not states.certify_issues_document(case_facts)):
        return
    from ivc.document.payload import missing_for  # the payload reads this module

    missing = missing_for(session, case, rule.issues, issued_by=actor.username)
    if missing:
        raise TransitionError(
            f"cannot {action.value} a case in state '{case.state}': the {rule.issues.value} would miss "
            f"{', '.join(missing)}",
            code="document_incomplete",
            action=action.value,
            state=case.state,
            missing=missing,
            elements=", ".join(missing),
        )


def fail_request(session: Session, case: Case, reason: str, *, code: str = "request_failed") -> Case:
    """A pending request (approved or not) that could not be carried out is sent back: cleared,
    with its approval, the reason shown on the case (``attention``) and audited. Who asked can
    correct what is missing and ask again; a new request needs a new approval."""
    if not case.requested_action:
        return case
    lock_for_edit(session, case, None)
    before = {"action": case.requested_action, "requested_by": case.requested_by, "approved_by": case.approved_by}
    case.requested_action = case.requested_by = None
    case.requested_at = case.approved_at = None
    case.approved_by = None
    case.attention = reason.strip()[:1000] or code
    session.add(case)
    audit.record(
        session,
        SYSTEM_ACTOR,
        "case.request_failed",
        entity="case",
        entity_id=case.id,
        case_id=case.id,
        territory=case.territory,
        before=before,
        after={"action": before["action"], "code": code, "reason": case.attention},
    )
    session.flush()
    return case


def approve_request(session: Session, case: Case, actor: Actor, *, expected_version: int | None = None) -> Case:
    """The second reviewer approves a pending issuing request (four eyes): never the requester."""
    authorize(actor, Permission.QUEUE_WORK, case.territory)
    check_version(case, expected_version)
    if not case.requested_action or not states.transition_for(Action(case.requested_action)).four_eyes:
        raise DomainError("there is no pending request that needs approval", code="no_request")
    if actor.username == case.requested_by:
        raise PermissionDenied(
            "four eyes: who asked for a document cannot also approve it", code="four_eyes", requester=case.requested_by
        )
    if case.approved_by:
        return case
    lock_for_edit(session, case, expected_version)
    case.approved_by = actor.username
    case.approved_at = utcnow()
    case.waiting_for = None
    case.waiting_role = None
    session.add(case)
    audit.record(
        session,
        actor,
        "case.request_approved",
        entity="case",
        entity_id=case.id,
        case_id=case.id,
        territory=case.territory,
        after={"action": case.requested_action, "requested_by": case.requested_by},
    )
    session.flush()
    return case


def send_back_request(
    session: Session, case: Case, reason: str, actor: Actor, *, expected_version: int | None = None
) -> Case:
    """The second reviewer refuses to approve: the request is withdrawn with the reason shown on
    the case, and the first reviewer can correct and ask again."""
    authorize(actor, Permission.QUEUE_WORK, case.territory)
    check_version(case, expected_version)
    if not case.requested_action:
        raise DomainError("there is no pending request", code="no_request")
    if not reason.strip():
        raise ValidationFailed("sending a request back needs a reason", field="reason", code="send_back_reason")
    lock_for_edit(session, case, expected_version)
    before = {"action": case.requested_action, "requested_by": case.requested_by}
    case.requested_action = case.requested_by = None
    case.requested_at = case.approved_at = None
    case.approved_by = None
    case.attention = reason.strip()[:1000]
    session.add(case)
    audit.record(
        session,
        actor,
        "case.request_sent_back",
        entity="case",
        entity_id=case.id,
        case_id=case.id,
        territory=case.territory,
        before=before,
        after={"reason": case.attention},
    )
    session.flush()
    return case


QUEUE_ROLES = frozenset({Role.ALFA_REVIEWER, Role.ASSESSOR})


def assign(
    session: Session, case: Case, assignee: str | None, actor: Actor, *, expected_version: int | None = None
) -> Case:
    """Give a case in the ALFA queue to a reviewer or assessor (or take it back: ``None``)."""
    authorize(actor, Permission.QUEUE_WORK, case.territory)
    check_version(case, expected_version)
    if assignee is not None:
        user = session.exec(select(User).where(User.username == assignee)).first()
        if user is None or not user.active or Role(user.role) not in QUEUE_ROLES:
            raise ValidationFailed(f"{assignee!r} is not an active reviewer or assessor", field="assignee")
    if case.assignee == assignee:
        return case
    lock_for_edit(session, case, expected_version)
    before = {"assignee": case.assignee}
    case.assignee = assignee
    session.add(case)
    audit.record(
        session,
        actor,
        "case.assigned",
        entity="case",
        entity_id=case.id,
        case_id=case.id,
        territory=case.territory,
        before=before,
        after={"assignee": assignee},
    )
    session.flush()
    return case


def mark_waiting(session: Session, case: Case, step: str, role: Role) -> None:
    """Facet update by flows: the case now waits for a human step; no version bump, since it
    changes nothing a person edits."""
    if case.waiting_for == step and case.activity == Activity.WAITING.value:
        return
    case.activity = Activity.WAITING.value
    case.waiting_for = step
    case.waiting_role = role.value
    session.add(case)
    session.flush()


def _reason_given(reason: str | None) -> dict[str, Any]:
    """What the audit log keeps of a withdrawal or suspension reason: that one was given and how
    long it is, never the words (they may tell health or judicial facts; the case keeps them
    encrypted, and erasure removes them)."""
    return {"reason_given": bool(reason), "reason_chars": len(reason or "")}


def request_withdrawal(
    session: Session, case: Case, reason: str, actor: Actor, *, expected_version: int | None = None
) -> Case:
    authorize(actor, Permission.WITHDRAWAL_REQUEST, case.territory)
    if case.state == CaseState.CLOSED.value:
        raise TransitionError("the case is already closed", state=case.state)
    lock_for_edit(session, case, expected_version)
    case.withdrawal_requested_at = utcnow()
    case.withdrawal_reason = reason.strip()[:500] or None
    session.add(case)
    audit.record(
        session,
        actor,
        "case.withdrawal_requested",
        entity="case",
        entity_id=case.id,
        case_id=case.id,
        territory=case.territory,
        after=_reason_given(case.withdrawal_reason),
    )
    session.flush()
    return case


def confirm_withdrawal(session: Session, case: Case, actor: Actor, *, expected_version: int | None = None) -> Case:
    """Confirm the person's withdrawal and close the case with outcome 'ritirato'."""
    if case.withdrawal_requested_at is None:
        raise TransitionError("no withdrawal was requested", state=case.state, missing=["withdrawal_requested"])
    lock_for_edit(session, case, expected_version)
    case.withdrawal_confirmed_at = utcnow()
    case.withdrawal_confirmed_by = actor.username
    session.add(case)
    session.flush()
    return transition(session, case, Action.CLOSE_WITHDRAWN, actor)


def suspend(
    session: Session, case: Case, reason: str, until: date, actor: Actor, *, expected_version: int | None = None
) -> Case:
    authorize(actor, Permission.CASE_SUSPEND, case.territory)
    lock_for_edit(session, case, expected_version)
    case.suspension_reason = reason.strip()[:500]
    case.suspended_until = until
    session.add(case)
    audit.record(
        session,
        actor,
        "case.suspended",
        entity="case",
        entity_id=case.id,
        case_id=case.id,
        territory=case.territory,
        after={**_reason_given(case.suspension_reason), "until": until},
    )
    session.flush()
    return case


def lift_suspension(session: Session, case: Case, actor: Actor, *, expected_version: int | None = None) -> Case:
    authorize(actor, Permission.CASE_SUSPEND, case.territory)
    lock_for_edit(session, case, expected_version)
    before: dict[str, Any] = {"until": case.suspended_until}
    case.suspension_reason = None
    case.suspended_until = None
    session.add(case)
    audit.record(
        session,
        actor,
        "case.suspension_lifted",
        entity="case",
        entity_id=case.id,
        case_id=case.id,
        territory=case.territory,
        before=before,
    )
    session.flush()
    return case


def step_done(session: Session, case_id: int, step: str) -> bool:
    return session.exec(select(CaseStep).where(CaseStep.case_id == case_id, CaseStep.step == step)).first() is not None


def record_step(session: Session, case_id: int, step: str, detail: dict[str, Any] | None = None) -> None:
    """Mark an automated step done, in the transaction of its effects. The unique constraint on
    (case, step) makes a concurrent duplicate fail instead of doubling the effects."""
    session.add(CaseStep(case_id=case_id, step=step, detail=detail or {}))
    session.flush()
