"""Which competences each phase works on: one definition, read by assessment recording, the
decisions, the case facts (guards) and the interfaces.

* validation: the confirmed claims (confirmed or decided since) on competences of the case's
  target qualifications; a claim on a competence of another qualification is outside the path;
* certification: those among them validated (a validation decision 'validata' in force).

A decision on a competence is *backed* when an assessment of that phase recorded a result for it.
Only records are read here (no services), so every service can use it without import cycles.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from ivc.assessment.models import Assessment, AssessmentPhase, AssessmentResult
from ivc.case.models import CaseTarget
from ivc.claim.models import ClaimStatus, CompetenceClaim
from ivc.decision.models import Decision, DecisionKind
from ivc.framework.models import Competence

CONFIRMED_OR_LATER = frozenset(
    {
        ClaimStatus.CONFIRMED.value,
        ClaimStatus.VALIDATED.value,
        ClaimStatus.NOT_VALIDATED.value,
        ClaimStatus.CERTIFIED.value,
        ClaimStatus.NOT_CERTIFIED.value,
    }
)

# The assessment phase whose results back the decisions of each kind.
ASSESSMENT_PHASE: dict[DecisionKind, AssessmentPhase] = {
    DecisionKind.VALIDATION: AssessmentPhase.VALIDATION,
    DecisionKind.CERTIFICATION: AssessmentPhase.CERTIFICATION,
}
DECISION_KIND: dict[AssessmentPhase, DecisionKind] = {phase: kind for kind, phase in ASSESSMENT_PHASE.items()}


@dataclass(frozen=True)
class PhaseScopes:
    """Competence ids in scope of validation and of certification (a subset of the first)."""

    validation: frozenset[int]
    certification: frozenset[int]

    def of(self, kind: DecisionKind) -> frozenset[int]:
        if kind is DecisionKind.VALIDATION:
            return self.validation
        if kind is DecisionKind.CERTIFICATION:
            return self.certification
        return frozenset()  # admissibility is decided per case, on no competence


def target_competence_ids(session: Session, case_id: int) -> set[int]:
    """Every competence of the case's target qualifications, claimed or not."""
    rows = session.exec(
        select(Competence.id)
        .join(CaseTarget, col(CaseTarget.qualification_id) == col(Competence.qualification_id))
        .where(CaseTarget.case_id == case_id)
    ).all()
    return {r for r in rows if r is not None}


def phase_scopes(session: Session, case_id: int) -> PhaseScopes:
    """The competences each phase works on (see the module docstring): two queries."""
    claimed = session.exec(
        select(CompetenceClaim.competence_id)
        .join(Competence, col(Competence.id) == col(CompetenceClaim.competence_id))
        .join(CaseTarget, col(CaseTarget.qualification_id) == col(Competence.qualification_id))
        .where(
            CompetenceClaim.case_id == case_id,
            CaseTarget.case_id == case_id,
            col(CompetenceClaim.status).in_(sorted(CONFIRMED_OR_LATER)),
        )
    ).all()
    validation = frozenset(claimed)
    validated = session.exec(
        select(Decision.competence_id).where(
            Decision.case_id == case_id,
            Decision.kind == DecisionKind.VALIDATION.value,
            Decision.outcome == "validata",
            col(Decision.revoked_at).is_(None),
        )
    ).all()
    return PhaseScopes(validation, validation & {c for c in validated if c is not None})


def competences_in_scope(session: Session, case_id: int, kind: DecisionKind) -> list[Competence]:
    """The competences a ``kind`` phase assesses and decides, ordered by code: what an assessor
    may assess, what ALFA decides and what the guards count."""
    ids = phase_scopes(session, case_id).of(kind)
    if not ids:
        return []
    return list(
        session.exec(select(Competence).where(col(Competence.id).in_(sorted(ids))).order_by(col(Competence.code)))
    )


def assessed_competence_ids(session: Session, case_id: int, phase: AssessmentPhase) -> set[int]:
    """Competences with at least one recorded assessment result of this phase (any outcome)."""
    rows = session.exec(
        select(AssessmentResult.competence_id)
        .join(Assessment, col(Assessment.id) == col(AssessmentResult.assessment_id))
        .where(Assessment.case_id == case_id, Assessment.phase == phase.value)
    ).all()
    return set(rows)
