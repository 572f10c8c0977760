"""Record, change and revoke decisions, and the decision sheet that whoever decides or approves
reads. Validation and certification decisions project onto the claim status, in the same
transaction, so the claim always shows the current decision.

The rules, each decided here once:

* a decision on a competence is taken on a competence in scope of its phase
  (``ivc.decision.scope``) and only once an assessment of that phase recorded a result for it;
* decisions are recorded, changed or revoked only in their phase and never while a request to
  issue a document is pending on the case (what the second reviewer approves must not move);
* a changed decision is the revocation of the one in force, with a reason, and a new decision,
  in one step (``change_decision``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from ivc.assessment.models import Assessment, AssessmentResult
from ivc.audit import service as audit
from ivc.auth.policy import Permission, authorize
from ivc.auth.roles import Actor, Role
from ivc.case.models import Case
from ivc.case.states import CaseState
from ivc.claim.models import ClaimStatus, CompetenceClaim
from ivc.database.core import utcnow
from ivc.decision.models import ALLOWED_OUTCOMES, Decision, DecisionKind
from ivc.decision.scope import (
    ASSESSMENT_PHASE,
    assessed_competence_ids,
    competences_in_scope,
    phase_scopes,
)
from ivc.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from ivc.framework.models import Competence, Texts

__all__ = [
    "ALLOWED_OUTCOMES",
    "AssessmentLine",
    "DecisionLine",
    "RevokedLine",
    "SheetRow",
    "change_decision",
    "competences_in_scope",
    "current",
    "decision_refusal",
    "decision_sheet",
    "decisions_open",
    "history",
    "record_decision",
    "revoke_decision",
]

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


# ---------------------------------------------------------------------------- rules


def decision_refusal(case: Case, kind: DecisionKind) -> DomainError | None:
    """Why no ``kind`` decision may be recorded, changed or revoked on the case now, or None.
    Interfaces call ``decisions_open`` to offer the decision form; the service raises this."""
    if case.state not in PHASE[kind]:
        return DomainError(
            f"a {kind.value} decision is taken in state {sorted(PHASE[kind])}, not '{case.state}'",
            code="decision_phase",
            kind=kind.value,
            state=case.state,
        )
    if case.requested_action:
        return DomainError(
            f"a request ({case.requested_action}) is pending on case {case.id}: decisions cannot change until "
            "it is carried out or sent back",
            code="request_pending",
            action=case.requested_action,
            requested_by=case.requested_by or "",
        )
    return None


def decisions_open(case: Case, kind: DecisionKind) -> bool:
    """May ``kind`` decisions be recorded or changed on the case now (state, no pending request)?"""
    return decision_refusal(case, kind) is None


def _check_open(case: Case, kind: DecisionKind) -> None:
    refusal = decision_refusal(case, kind)
    if refusal is not None:
        raise refusal


def _check_outcome(kind: DecisionKind, outcome: str, competence_id: int | None, comment: str | None) -> None:
    if outcome not in ALLOWED_OUTCOMES[kind]:
        raise ValidationFailed(f"outcome must be one of {sorted(ALLOWED_OUTCOMES[kind])}", field="outcome")
    if (kind is DecisionKind.ADMISSIBILITY) != (competence_id is None):
        raise ValidationFailed("admissibility is decided per case, the others per competence", field="competence_id")
    if outcome == "non_ammesso" and not (comment and comment.strip()):
        raise ValidationFailed("a refusal needs a reasoned opinion (comment)", field="comment")


def _competence_code(session: Session, competence_id: int) -> str:
    competence = session.get(Competence, competence_id)
    return competence.code if competence is not None else str(competence_id)


def _check_competence(session: Session, case: Case, kind: DecisionKind, competence_id: int) -> CompetenceClaim:
    """The competence is in scope of the phase, its claim is where a decision is taken, and an
    assessment of the phase recorded a result for it."""
    case_id = case.id or 0
    if competence_id not in phase_scopes(session, case_id).of(kind):
        code = _competence_code(session, competence_id)
        raise DomainError(
            f"competence {code} is not in scope of the {kind.value} of case {case_id}",
            code="not_in_scope",
            competence=code,
            competences=code,
            kind=kind.value,
        )
    claim = session.exec(
        select(CompetenceClaim).where(
            CompetenceClaim.case_id == case.id, CompetenceClaim.competence_id == competence_id
        )
    ).first()
    assert claim is not None  # in scope means claimed
    needed = ClaimStatus.CONFIRMED if kind is DecisionKind.VALIDATION else ClaimStatus.VALIDATED
    if claim.status != needed.value:
        raise DomainError(f"the competence must be '{needed.value}' to be decided here (it is '{claim.status}')")
    phase = ASSESSMENT_PHASE[kind]
    if competence_id not in assessed_competence_ids(session, case_id, phase):
        code = _competence_code(session, competence_id)
        raise DomainError(
            f"competence {code} has no {phase.value} assessment result: an assessor records one before the "
            f"{kind.value} decision",
            code="assessment_missing",
            competence=code,
            kind=kind.value,
            phase=phase.value,
        )
    return claim


# ---------------------------------------------------------------------------- writing


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
    """Record a decision; the same outcome again returns the decision in force (idempotent). A
    different outcome in force is changed with ``change_decision`` (revocation with a reason)."""
    return _record(
        session, case, kind, outcome, actor, competence_id=competence_id, comment=comment, evidence_id=evidence_id
    )


def _record(
    session: Session,
    case: Case,
    kind: DecisionKind,
    outcome: str,
    actor: Actor,
    *,
    competence_id: int | None,
    comment: str | None,
    evidence_id: int | None,
    replaces: int | None = None,
) -> Decision:
    if actor.role not in DECIDERS[kind] or not actor.can_work_in(case.territory):
        raise PermissionDenied(f"role {actor.role.value} may not record {kind.value} decisions")
    _check_outcome(kind, outcome, competence_id, comment)
    existing = current(session, case.id or 0, kind, competence_id)
    if existing is not None and existing.outcome == outcome:
        return existing
    _check_open(case, kind)
    if existing is not None:
        raise DomainError(
            f"a {kind.value} decision ('{existing.outcome}') is already in force: revoke it with a reason first "
            "(change_decision)",
            code="decision_in_force",
            decision_id=existing.id,
            outcome=existing.outcome,
        )
    claim = _check_competence(session, case, kind, competence_id) if competence_id is not None else None
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
    after: dict[str, object] = {"outcome": outcome, "competence_id": competence_id, "comment": comment}
    if replaces is not None:
        after["replaces"] = replaces
    audit.record(
        session,
        actor,
        f"decision.{kind.value}",
        entity="decision",
        entity_id=decision.id,
        case_id=case.id,
        territory=case.territory,
        after=after,
    )
    session.flush()
    return decision


def _reason(reason: str | None) -> str:
    if not reason or not reason.strip():
        raise ValidationFailed("changing or revoking a decision needs a reason", code="reason_required", field="reason")
    return reason.strip()[:2000]


def change_decision(
    session: Session,
    case: Case,
    kind: DecisionKind,
    competence_id: int | None,
    outcome: str,
    reason: str | None,
    actor: Actor,
    *,
    comment: str | None = None,
) -> Decision:
    """Set the decision on a competence (``None``: the admissibility) to ``outcome``: the decision
    in force, if different, is revoked with ``reason`` and the new one recorded, both or neither.
    With no decision in force this records the first one; with the same outcome it changes
    nothing."""
    if actor.role not in DECIDERS[kind] | REVOKERS[kind] or not actor.can_work_in(case.territory):
        raise PermissionDenied(f"role {actor.role.value} may not change {kind.value} decisions")
    _check_outcome(kind, outcome, competence_id, comment)
    existing = current(session, case.id or 0, kind, competence_id)
    if existing is None or existing.outcome == outcome:
        return record_decision(session, case, kind, outcome, actor, competence_id=competence_id, comment=comment)
    _check_open(case, kind)
    why = _reason(reason)
    with session.begin_nested():  # a refused new decision leaves the old one in force
        revoke_decision(session, existing.id or 0, why, actor)
        return _record(
            session,
            case,
            kind,
            outcome,
            actor,
            competence_id=competence_id,
            comment=comment,
            evidence_id=None,
            replaces=existing.id,
        )


def revoke_decision(session: Session, decision_id: int, reason: str, actor: Actor) -> Decision:
    decision = session.get(Decision, decision_id)
    if decision is None:
        raise NotFound(f"no decision {decision_id}", entity="decision", key=decision_id)
    kind = DecisionKind(decision.kind)
    case = session.get(Case, decision.case_id)
    assert case is not None
    if actor.role not in REVOKERS[kind] or not actor.can_work_in(case.territory):
        raise PermissionDenied(f"role {actor.role.value} may not revoke {kind.value} decisions")
    why = _reason(reason)
    if decision.revoked_at is not None:
        raise DomainError("the decision is already revoked", code="decision_revoked", decision_id=decision_id)
    if case.state not in PHASE[kind]:
        raise DomainError(
            f"the case has moved on to '{case.state}': revoke the issued document rather than the decision",
            code="decision_phase",
            kind=kind.value,
            state=case.state,
        )
    _check_open(case, kind)
    decision.revoked_at = utcnow()
    decision.revoked_by = actor.username
    decision.revocation_reason = why
    session.add(decision)
    if decision.competence_id is not None and kind in _REVERT:
        claim = session.exec(
            select(CompetenceClaim).where(
                CompetenceClaim.case_id == case.id, CompetenceClaim.competence_id == decision.competence_id
            )
        ).first()
        if claim is not None:
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


# ---------------------------------------------------------------------------- reading


def history(session: Session, case_id: int) -> list[Decision]:
    return list(session.exec(select(Decision).where(Decision.case_id == case_id).order_by(col(Decision.id))))


@dataclass(frozen=True)
class AssessmentLine:
    """One assessment result backing a decision."""

    assessment_id: int
    assessor: str
    method: str  # AssessmentMethod value
    held_on: date
    outcome: str  # ResultOutcome value
    notes: str | None  # the result's notes on this competence
    session_notes: str | None  # the assessment's general notes


@dataclass(frozen=True)
class DecisionLine:
    decision_id: int
    outcome: str
    decided_by: str
    decided_at: datetime
    comment: str | None


@dataclass(frozen=True)
class RevokedLine:
    decision_id: int
    outcome: str
    decided_by: str
    decided_at: datetime
    revoked_by: str | None
    revoked_at: datetime | None
    reason: str | None


@dataclass(frozen=True)
class SheetRow:
    """What a reviewer deciding, or a second reviewer approving, reads about one competence."""

    competence_id: int
    code: str
    title: Texts
    assessments: tuple[AssessmentLine, ...]
    decision: DecisionLine | None  # in force
    revoked: tuple[RevokedLine, ...]  # earlier decisions, oldest first

    @property
    def assessed(self) -> bool:
        return bool(self.assessments)

    @property
    def backed(self) -> bool:
        """A decision is in force and an assessment of the phase backs it."""
        return self.decision is not None and self.assessed


def decision_sheet(session: Session, case_id: int, kind: DecisionKind, actor: Actor | None = None) -> list[SheetRow]:
    """One row per competence in scope of the ``kind`` phase, ordered by code: the assessment
    results of that phase, the decision in force and the revoked ones with who, when and why.
    With ``actor``, checks that they may read the case."""
    if actor is not None:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound(f"no case {case_id}", entity="case", key=case_id)
        authorize(actor, Permission.CASE_READ, case.territory)
    if kind not in ASSESSMENT_PHASE:
        return []
    competences = competences_in_scope(session, case_id, kind)
    if not competences:
        return []
    phase = ASSESSMENT_PHASE[kind]
    results = session.exec(
        select(Assessment, AssessmentResult)
        .join(AssessmentResult, col(AssessmentResult.assessment_id) == col(Assessment.id))
        .where(Assessment.case_id == case_id, Assessment.phase == phase.value)
        .order_by(col(Assessment.held_on), col(Assessment.id))
    ).all()
    lines: dict[int, list[AssessmentLine]] = {}
    for a, r in results:
        lines.setdefault(r.competence_id, []).append(
            AssessmentLine(a.id or 0, a.assessor, a.method, a.held_on, r.outcome, r.notes, a.notes)
        )
    decided = session.exec(
        select(Decision).where(Decision.case_id == case_id, Decision.kind == kind.value).order_by(col(Decision.id))
    ).all()
    in_force: dict[int, DecisionLine] = {}
    revoked: dict[int, list[RevokedLine]] = {}
    for d in decided:
        if d.competence_id is None:
            continue
        if d.revoked_at is None:
            in_force[d.competence_id] = DecisionLine(d.id or 0, d.outcome, d.decided_by, d.decided_at, d.comment)
        else:
            revoked.setdefault(d.competence_id, []).append(
                RevokedLine(
                    d.id or 0, d.outcome, d.decided_by, d.decided_at, d.revoked_by, d.revoked_at, d.revocation_reason
                )
            )
    return [
        SheetRow(
            competence_id=c.id or 0,
            code=c.code,
            title=c.title,
            assessments=tuple(lines.get(c.id or 0, ())),
            decision=in_force.get(c.id or 0),
            revoked=tuple(revoked.get(c.id or 0, ())),
        )
        for c in competences
    ]
