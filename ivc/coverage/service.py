"""Coverage of each competence of a case's target qualification(s) by the evidence gathered, and
what would close the gap: the cheapest next proof, or the training (as job matching explains it)
where there is no experience to prove.

Evidence supports a competence when it is linked to the competence's claim, or to an experience
the claim rests on; positive practical tests and direct observations by an assessor count as
observed practical tests. Weak bases (testimony, self-declaration only) are labelled, never hidden.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from ivc.assessment.models import Assessment, AssessmentMethod, AssessmentResult, ResultOutcome
from ivc.auth.roles import Actor
from ivc.case.service import get_case, target_qualifications
from ivc.claim.models import ClaimStatus, CompetenceClaim
from ivc.evidence.models import EvidenceItem, EvidenceLink, EvidenceType
from ivc.evidence.strength import StrengthRules, assess
from ivc.framework.models import Competence, text_in
from ivc.matching.service import gap_action
from ivc.reference import evidence_strength

OBSERVED = (AssessmentMethod.PRACTICAL_TEST.value, AssessmentMethod.OBSERVATION.value)
DOCUMENTARY = frozenset(
    {
        EvidenceType.DOCUMENT.value,
        EvidenceType.FOREIGN_TITLE.value,
        EvidenceType.FOREIGN_TITLE_TRANSLATED.value,
        EvidenceType.EMPLOYER_STATEMENT.value,
    }
)
_NOT_HELD = frozenset({ClaimStatus.REJECTED.value, ClaimStatus.NOT_VALIDATED.value, ClaimStatus.SUGGESTED.value})


def rules() -> StrengthRules:
    return StrengthRules.from_data(evidence_strength())


@dataclass
class CompetenceCoverage:
    competence_id: int
    code: str
    title: str
    qualification: str
    claimed: bool
    score: float
    status: str  # sufficient | partial | insufficient | none
    evidence: dict[str, int]  # kind -> pieces
    contributions: dict[str, float]
    weak_basis: str | None  # "testimony_only", "self_declaration_only", "declarations_only"
    weak_basis_label: str | None
    next_proof: dict[str, Any] | None  # {"kind", "cost", "label"}: the cheapest proof to gather
    next_proofs: list[dict[str, Any]] = field(default_factory=list)
    training: str | None = None  # when there is no experience to prove: the training that closes it


@dataclass
class CaseCoverage:
    case_id: int
    rules_version: str
    competences: list[CompetenceCoverage]
    documentary_evidence: bool  # any document, title or employer statement in the dossier
    no_papers: bool  # claims rest on no documentary evidence at all: the no-papers path

    @property
    def sufficient(self) -> int:
        return sum(1 for c in self.competences if c.status == "sufficient")


def _counts(session: Session, case_id: int) -> dict[int, Counter[str]]:
    """competence id -> pieces of evidence per kind, for the case's held claims."""
    claims = [
        c
        for c in session.exec(select(CompetenceClaim).where(CompetenceClaim.case_id == case_id))
        if c.status not in _NOT_HELD
    ]
    items = {e.id: e for e in session.exec(select(EvidenceItem).where(EvidenceItem.case_id == case_id))}
    links = session.exec(select(EvidenceLink).where(col(EvidenceLink.evidence_id).in_(list(items)))).all()
    by_claim: dict[int, set[int]] = {}
    by_experience: dict[int, set[int]] = {}
    for link in links:
        if link.claim_id is not None:
            by_claim.setdefault(link.claim_id, set()).add(link.evidence_id)
        if link.experience_id is not None:
            by_experience.setdefault(link.experience_id, set()).add(link.evidence_id)
    out: dict[int, Counter[str]] = {}
    for claim in claims:
        ids = set(by_claim.get(claim.id or 0, set()))
        for exp in claim.experience_ids:
            ids |= by_experience.get(exp, set())
        out[claim.competence_id] = Counter(items[i].evidence_type for i in ids if i in items)
    observed = session.exec(
        select(AssessmentResult.competence_id)
        .join(Assessment, col(Assessment.id) == col(AssessmentResult.assessment_id))
        .where(
            Assessment.case_id == case_id,
            col(Assessment.method).in_(OBSERVED),
            AssessmentResult.outcome == ResultOutcome.POSITIVE.value,
        )
    ).all()
    for competence_id in observed:
        if competence_id in out:
            out[competence_id][EvidenceType.PRACTICAL_TEST.value] += 1
    return out


def case_coverage(session: Session, case_id: int, actor: Actor, lang: str = "it") -> CaseCoverage:
    """Coverage of every competence of the case's targets, with the next step for each gap."""
    case = get_case(session, case_id, actor)
    r = rules()
    proofs = {p.kind: p for p in r.proofs}
    counts = _counts(session, case_id)
    result = []
    for qual in target_qualifications(session, case_id):
        comps = session.exec(
            select(Competence).where(Competence.qualification_id == qual.id).order_by(col(Competence.code))
        ).all()
        for comp in comps:
            claimed = (comp.id or 0) in counts
            pieces = dict(counts.get(comp.id or 0, Counter()))
            s = assess(pieces, r)
            plan = [
                {"kind": k, "cost": proofs[k].cost, "label": proofs[k].labels.get(lang) or proofs[k].labels.get("it")}
                for k in s.next_proofs
            ]
            result.append(
                CompetenceCoverage(
                    comp.id or 0,
                    comp.code,
                    text_in(comp.title, lang),
                    qual.code,
                    claimed,
                    s.score,
                    s.status,
                    pieces,
                    s.contributions,
                    s.weak_basis,
                    (r.weak_labels.get(s.weak_basis, {}).get(lang) or r.weak_labels.get(s.weak_basis, {}).get("it"))
                    if s.weak_basis
                    else None,
                    plan[0] if claimed and plan else None,
                    plan if claimed else [],
                    None if claimed else gap_action(session, comp.code),
                )
            )
    kinds = {k for c in counts.values() for k, n in c.items() if n > 0}
    items = session.exec(select(EvidenceItem.evidence_type).where(EvidenceItem.case_id == case.id)).all()
    documentary = bool(DOCUMENTARY & (kinds | set(items)))
    return CaseCoverage(case_id, r.version, result, documentary, bool(counts) and not documentary)
