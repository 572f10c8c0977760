"""Suggest, confirm and reject competence claims."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from ivc.audit import service as audit
from ivc.auth.policy import Permission, authorize
from ivc.auth.roles import Actor
from ivc.case.models import Case
from ivc.case.states import CaseState
from ivc.claim.models import ClaimSource, ClaimStatus, CompetenceClaim
from ivc.database.core import utcnow
from ivc.errors import DomainError, NotFound
from ivc.framework.models import Competence
from ivc.mapping.learning import learn_from_claim

_REVIEWABLE = (ClaimStatus.SUGGESTED.value, ClaimStatus.CONFIRMED.value, ClaimStatus.REJECTED.value)


def claims_for_case(session: Session, case_id: int) -> list[CompetenceClaim]:
    return list(
        session.exec(
            select(CompetenceClaim).where(CompetenceClaim.case_id == case_id).order_by(col(CompetenceClaim.id))
        )
    )


def suggest(
    session: Session,
    case: Case,
    competence: Competence,
    *,
    score: float,
    rationale: list[dict[str, Any]],
    experience_ids: list[int],
    actor: Actor,
) -> tuple[CompetenceClaim, bool]:
    """Store an NLP suggestion; an existing claim for the competence keeps its status and only
    gains the new supporting spans. Returns (claim, created)."""
    claim = session.exec(
        select(CompetenceClaim).where(
            CompetenceClaim.case_id == case.id, CompetenceClaim.competence_id == competence.id
        )
    ).first()
    if claim is not None:
        merged = {(r.get("experience_id"), r.get("start"), r.get("end")): r for r in claim.rationale}
        for r in rationale:
            merged.setdefault((r.get("experience_id"), r.get("start"), r.get("end")), r)
        claim.rationale = list(merged.values())
        claim.experience_ids = sorted(set(claim.experience_ids) | set(experience_ids))
        claim.score = max(claim.score or 0.0, score)
        session.add(claim)
        return claim, False
    claim = CompetenceClaim(
        case_id=case.id or 0,
        competence_id=competence.id or 0,
        framework_id=competence.framework_id,
        status=ClaimStatus.SUGGESTED.value,
        source=ClaimSource.NLP.value,
        score=round(score, 4),
        rationale=rationale,
        experience_ids=sorted(set(experience_ids)),
        created_by=actor.username,
        territory=case.territory,
    )
    session.add(claim)
    session.flush()
    audit.record(
        session,
        actor,
        "claim.suggested",
        entity="claim",
        entity_id=claim.id,
        case_id=case.id,
        territory=case.territory,
        after={"competence": competence.code, "score": claim.score},
    )
    return claim, True


def claims_reviewable(case: Case) -> bool:
    """Whether the case's claims may be confirmed, rejected or added now: during identification
    only (later phases assess and decide on what identification confirmed). Interfaces call it to
    offer the review buttons; the service applies the same predicate."""
    return case.state == CaseState.IDENTIFICATION.value


def _require_operator(case: Case, actor: Actor) -> None:
    authorize(actor, Permission.MAPPING_REVIEW, case.territory)
    if not claims_reviewable(case):
        raise DomainError(
            f"claims are reviewed during identification, not in '{case.state}'",
            code="claims_not_reviewable",
            state=case.state,
        )


def add_by_operator(
    session: Session, case: Case, competence: Competence, actor: Actor, experience_ids: list[int] | None = None
) -> CompetenceClaim:
    """The operator names a competence by hand (after searching the framework): confirmed."""
    _require_operator(case, actor)
    if competence.framework_id != case.framework_id:
        raise DomainError("the competence belongs to another framework version than the case cites")
    claim = session.exec(
        select(CompetenceClaim).where(
            CompetenceClaim.case_id == case.id, CompetenceClaim.competence_id == competence.id
        )
    ).first()
    if claim is None:
        claim = CompetenceClaim(
            case_id=case.id or 0,
            competence_id=competence.id or 0,
            framework_id=competence.framework_id,
            status=ClaimStatus.SUGGESTED.value,
            source=ClaimSource.OPERATOR.value,
            experience_ids=sorted(set(experience_ids or [])),
            created_by=actor.username,
            territory=case.territory,
        )
        session.add(claim)
        session.flush()
    return review(session, claim, case, ClaimStatus.CONFIRMED, actor)


def review(session: Session, claim: CompetenceClaim, case: Case, status: ClaimStatus, actor: Actor) -> CompetenceClaim:
    """Confirm, reject, or undo (back to suggested) a claim during identification."""
    _require_operator(case, actor)
    if status.value not in _REVIEWABLE or claim.status not in _REVIEWABLE:
        raise DomainError(f"a claim in status '{claim.status}' cannot become '{status.value}' here")
    before = claim.status
    if before == status.value:
        return claim
    claim.status = status.value
    claim.reviewed_by = actor.username if status is not ClaimStatus.SUGGESTED else None
    claim.reviewed_at = utcnow() if status is not ClaimStatus.SUGGESTED else None
    session.add(claim)
    audit.record(
        session,
        actor,
        f"claim.{status.value}",
        entity="claim",
        entity_id=claim.id,
        case_id=case.id,
        territory=case.territory,
        before={"status": before},
        after={"status": status.value},
    )
    learn_from_claim(session, claim, actor)
    session.flush()
    return claim


def get_claim(session: Session, claim_id: int) -> CompetenceClaim:
    claim = session.get(CompetenceClaim, claim_id)
    if claim is None:
        raise NotFound(f"no claim {claim_id}", entity="claim", key=claim_id)
    return claim
