"""Record and revoke decisions. Validation and certification decisions project onto the claim
status, in the same transaction, so the claim always shows the current decision."""

from __future__ import annotations

from sqlmodel import Session, col, select

from ivc.audit import service as audit
from ivc.auth.roles import Actor, Role
from ivc.case.models import Case
from ivc.case.states import CaseState
from ivc.claim.models import ClaimStatus, CompetenceClaim
from ivc.database.core import utcnow
from ivc.decision.models import ALLOWED_OUTCOMES, Decision, DecisionKind
from ivc.errors import DomainError, NotFound, PermissionDenied, ValidationFailed

# Who may decide, and in which state of the case, per kind of decision.
DECIDERS: dict[DecisionKind, frozenset[Role]] = {
    DecisionKind.ADMISSIBILITY: frozenset({Role.OPERATOR}),
    DecisionKind.VALIDATION: frozenset({Role.ALFA_REVIEWER}),
    DecisionKind.CERTIFICATION: frozenset({Role.ALFA_REVIEWER}),
}
REVOKERS: dict[DecisionKind, frozenset[Role]] = {
    DecisionKind.ADMISSIBILITY: frozenset({Role.OPERATOR, Role.ALFA_REVIEWER}),
    DecisionKind.VALIDATION: frozenset({Role.ALFA_REVIEWER}),
    DecisionKind.CERTIFICATION: frozenset({Role.ALFA_REVIEWER}),
}
PHASE: dict[DecisionKind, frozenset[str]] = {
    DecisionKind.ADMISSIBILITY: frozenset({CaseState.ACCESS.value}),
    DecisionKind.VALIDATION: frozenset({CaseState.VALIDATION.value}),
    DecisionKind.CERTIFICATION: frozenset({CaseState.EXAM.value}),
}
_PROJECTION = {
    "validata": ClaimStatus.VALIDATED,
    "non_validata": ClaimStatus.NOT_VALIDATED,
    "certificata": ClaimStatus.CERTIFIED,
    "non_certificata": ClaimStatus.NOT_CERTIFIED,
}
_REVERT = {DecisionKind.VALIDATION: ClaimStatus.CONFIRMED, DecisionKind.CERTIFICATION: ClaimStatus.VALIDATED}


def _claim(session: Session, case: Case, competence_id: int | None) -> CompetenceClaim:
    claim = session.exec(
        select(CompetenceClaim).where(
            CompetenceClaim.case_id == case.id, CompetenceClaim.competence_id == competence_id
        )
    ).first()
    if claim is None:
        raise DomainError(f"competence {competence_id} is not claimed in case {case.id}")
    return claim


def current(session: Session, case_id: int, kind: DecisionKind, competence_id: int | None = None) -> Decision | None:
    return session.exec(
        select(Decision).where(
            Decision.case_id == case_id,
            Decision.kind == kind.value,
            Decision.competence_id == competence_id,
            col(Decision.revoked_at).is_(None),
        )
    ).first()


def record_decision(
    session: Session,
    case: Case,
    kind: DecisionKind,
    outcome: str,
    actor: Actor,
    *,
    competence_id: int | None = None,
    comment: str | None = None,
    evidence_id: int | None = None,
) -> Decision:
    if actor.role not in DECIDERS[kind] or not actor.can_work_in(case.territory):
        raise PermissionDenied(f"role {actor.role.value} may not record {kind.value} decisions")
    if case.state not in PHASE[kind]:
        raise DomainError(f"a {kind.value} decision is recorded in state {sorted(PHASE[kind])}, not '{case.state}'")
    if outcome not in ALLOWED_OUTCOMES[kind]:
        raise ValidationFailed(f"outcome must be one of {sorted(ALLOWED_OUTCOMES[kind])}", field="outcome")
    if (kind is DecisionKind.ADMISSIBILITY) != (competence_id is None):
        raise ValidationFailed("admissibility is decided per case, the others per competence", field="competence_id")
    if outcome == "non_ammesso" and not (comment and comment.strip()):
        raise ValidationFailed("a refusal needs a reasoned opinion (comment)", field="comment")
    existing = current(session, case.id or 0, kind, competence_id)
    if existing is not None:
        if existing.outcome == outcome:
            return existing
        raise DomainError(
            f"a {kind.value} decision ('{existing.outcome}') is already in force: revoke it with a reason first",
            decision_id=existing.id,
        )
    claim = None
    if competence_id is not None:
        claim = _claim(session, case, competence_id)
        needed = ClaimStatus.CONFIRMED if kind is DecisionKind.VALIDATION else ClaimStatus.VALIDATED
        if claim.status != needed.value:
            raise DomainError(f"the competence must be '{needed.value}' to be decided here (it is '{claim.status}')")
    decision = Decision(
        case_id=case.id or 0,
        kind=kind.value,
        competence_id=competence_id,
        outcome=outcome,
        comment=comment,
        evidence_id=evidence_id,
        decided_by=actor.username,
        decided_at=utcnow(),
        created_by=actor.username,
        territory=case.territory,
    )
    session.add(decision)
    session.flush()
    if claim is not None:
        claim.status = _PROJECTION[outcome].value
        session.add(claim)
    audit.record(
        session,
        actor,
        f"decision.{kind.value}",
        entity="decision",
        entity_id=decision.id,
        case_id=case.id,
        territory=case.territory,
        after={"outcome": outcome, "competence_id": competence_id, "comment": comment},
    )
    session.flush()
    return decision


def revoke_decision(session: Session, decision_id: int, reason: str, actor: Actor) -> Decision:
    decision = session.get(Decision, decision_id)
    if decision is None:
        raise NotFound(f"no decision {decision_id}", entity="decision", key=decision_id)
    kind = DecisionKind(decision.kind)
    case = session.get(Case, decision.case_id)
    assert case is not None
    if actor.role not in REVOKERS[kind] or not actor.can_work_in(case.territory):
        raise PermissionDenied(f"role {actor.role.value} may not revoke {kind.value} decisions")
    if not reason or not reason.strip():
        raise ValidationFailed("a revocation needs a reason", field="reason")
    if decision.revoked_at is not None:
        raise DomainError("the decision is already revoked")
    if case.state not in PHASE[kind]:
        raise DomainError(
            f"the case has moved on to '{case.state}': revoke the issued document rather than the decision"
        )
    decision.revoked_at = utcnow()
    decision.revoked_by = actor.username
    decision.revocation_reason = reason.strip()
    session.add(decision)
    if decision.competence_id is not None and kind in _REVERT:
        claim = _claim(session, case, decision.competence_id)
        claim.status = _REVERT[kind].value
        session.add(claim)
    audit.record(
        session,
        actor,
        f"decision.{kind.value}.revoked",
        entity="decision",
        entity_id=decision.id,
        case_id=case.id,
        territory=case.territory,
        before={"outcome": decision.outcome},
        after={"revoked": True, "reason": decision.revocation_reason},
    )
    session.flush()
    return decision


def history(session: Session, case_id: int) -> list[Decision]:
    return list(session.exec(select(Decision).where(Decision.case_id == case_id).order_by(col(Decision.id))))
