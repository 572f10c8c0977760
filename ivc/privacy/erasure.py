"""Erasure of a person's data (GDPR art. 17), of one case (retention), or of a case's evidence.

Rows holding personal data are deleted; the person and case rows stay as empty shells, and each
issued document keeps only its register minimum (``ivc.privacy.rules``). Blobs are content-
addressed and may be shared with another case, so a blob is deleted only when no record still
references it, and only after the erasure committed (``delete_pending_blobs``). Each erasure
writes an ``ErasureRecord`` (counts removed, what was kept and why) and an audit event; neither
holds erased data. Erasure is refused while a case is open: the service the person asked for is
a public-interest task still running (art. 17(3)(b)); they can withdraw first.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select
from sqlmodel import Session, col

from ivc.agreement.models import ServiceAgreement
from ivc.assessment.models import Assessment, AssessmentResult, ExamSession
from ivc.audit import service as audit
from ivc.auth.roles import Actor, Role
from ivc.case.models import Case, CaseStep
from ivc.case.states import CaseState
from ivc.claim.models import CompetenceClaim
from ivc.consent.models import ConsentRecord
from ivc.database.core import utcnow
from ivc.decision.models import Decision
from ivc.document.models import IssuedDocument
from ivc.errors import DomainError, NotFound, PermissionDenied
from ivc.evidence.models import EvidenceItem, EvidenceLink
from ivc.evidence.storage import EvidenceStore
from ivc.experience.models import Experience
from ivc.mapping.models import EscoSuggestion
from ivc.mediation.models import InterviewSession, MediatorBooking, MediatorNote, Statement
from ivc.participation.models import IntegrationFeedback, LanguageLevel, SupportActivity
from ivc.person.models import Person, Vulnerability
from ivc.privacy import rules
from ivc.privacy.models import ErasureRecord
from ivc.referral.models import Referral

ERASERS = frozenset({Role.ADMIN, Role.SYSTEM})


def _check_actor(actor: Actor) -> None:
    if actor.role not in ERASERS:
        raise PermissionDenied(f"role {actor.role.value} may not erase personal data (admin only)")


def _delete(session: Session, stmt: Any) -> int:
    result: Any = session.execute(stmt)
    return int(result.rowcount or 0)


def _erase_evidence_rows(session: Session, case_id: int, removed: dict[str, int]) -> list[str]:
    items = list(
        session.execute(
            select(col(EvidenceItem.id), col(EvidenceItem.storage_key)).where(col(EvidenceItem.case_id) == case_id)
        )
    )
    ids = [i for i, _ in items]
    if ids:
        removed["evidence_links"] = removed.get("evidence_links", 0) + _delete(
            session, delete(EvidenceLink).where(col(EvidenceLink.evidence_id).in_(ids))
        )
        session.execute(
            ServiceAgreement.__table__.update()  # type: ignore[attr-defined]
            .where(col(ServiceAgreement.scan_evidence_id).in_(ids))
            .values(scan_evidence_id=None)
        )
        session.execute(
            Decision.__table__.update().where(col(Decision.evidence_id).in_(ids)).values(evidence_id=None)  # type: ignore[attr-defined]
        )
        removed["evidence_items"] = removed.get("evidence_items", 0) + _delete(
            session, delete(EvidenceItem).where(col(EvidenceItem.id).in_(ids))
        )
    return [key for _, key in items if key]


def _erase_case_rows(session: Session, case: Case, removed: dict[str, int]) -> list[str]:
    case_id = case.id or 0
    blobs = _erase_evidence_rows(session, case_id, removed)
    claim_ids = select(col(CompetenceClaim.id)).where(col(CompetenceClaim.case_id) == case_id)
    exp_ids = select(col(Experience.id)).where(col(Experience.case_id) == case_id)
    _delete(
        session,
        delete(EvidenceLink).where(
            or_(col(EvidenceLink.claim_id).in_(claim_ids), col(EvidenceLink.experience_id).in_(exp_ids))
        ),
    )
    assessment_ids = select(col(Assessment.id)).where(col(Assessment.case_id) == case_id)
    steps: list[tuple[str, Any]] = [
        ("assessment_results", delete(AssessmentResult).where(col(AssessmentResult.assessment_id).in_(assessment_ids))),
        ("assessments", delete(Assessment).where(col(Assessment.case_id) == case_id)),
        ("exam_sessions", delete(ExamSession).where(col(ExamSession.case_id) == case_id)),
        ("decisions", delete(Decision).where(col(Decision.case_id) == case_id)),
        ("service_agreements", delete(ServiceAgreement).where(col(ServiceAgreement.case_id) == case_id)),
        ("esco_suggestions", delete(EscoSuggestion).where(col(EscoSuggestion.case_id) == case_id)),
        # The interview as it was obtained: statements, mediators' notes, sessions, bookings.
        ("statements", delete(Statement).where(col(Statement.case_id) == case_id)),
        ("mediator_notes", delete(MediatorNote).where(col(MediatorNote.case_id) == case_id)),
        ("interview_sessions", delete(InterviewSession).where(col(InterviewSession.case_id) == case_id)),
        ("mediator_bookings", delete(MediatorBooking).where(col(MediatorBooking.case_id) == case_id)),
        ("referrals", delete(Referral).where(col(Referral.case_id) == case_id)),
        ("integration_feedback", delete(IntegrationFeedback).where(col(IntegrationFeedback.case_id) == case_id)),
        (
            "language_levels",
            delete(LanguageLevel).where(
                col(LanguageLevel.activity_id).in_(
                    select(col(SupportActivity.id)).where(col(SupportActivity.case_id) == case_id)
                )
            ),
        ),
        ("support_activities", delete(SupportActivity).where(col(SupportActivity.case_id) == case_id)),
        ("claims", delete(CompetenceClaim).where(col(CompetenceClaim.case_id) == case_id)),
        ("experiences", delete(Experience).where(col(Experience.case_id) == case_id)),
        ("case_steps", delete(CaseStep).where(col(CaseStep.case_id) == case_id)),
    ]
    for name, stmt in steps:
        removed[name] = removed.get(name, 0) + _delete(session, stmt)
    for doc in session.scalars(select(IssuedDocument).where(col(IssuedDocument.case_id) == case_id)):
        if doc.payload.get("erased"):
            continue
        doc.payload = rules.register_minimum(doc.doc_type, doc.payload)
        doc.credentials = {}
        doc.shared_fields = []
        if doc.storage_key:
            blobs.append(doc.storage_key)
        doc.storage_key = ""  # the file (with identity) goes; its sha256 stays to verify the holder's copy
        session.add(doc)
        removed["documents_minimised"] = removed.get("documents_minimised", 0) + 1
    for name in ("withdrawal_reason", "suspension_reason", "attention", "requested_action", "requested_by", "mediator"):
        setattr(case, name, None)
    case.requested_at = None
    case.erased_at = utcnow()
    case.version += 1
    session.add(case)
    return blobs


def _kept_for_cases(session: Session, case_ids: list[int]) -> list[dict[str, Any]]:
    kept = [rules.KEPT_CASE_SHELL]
    types = {
        t
        for (t,) in session.execute(
            select(col(IssuedDocument.doc_type)).where(col(IssuedDocument.case_id).in_(case_ids))
        )
    }
    if types:
        kept.append(rules.KEPT_REGISTER_ENTRY)
    if types & rules.PUBLIC_ACTS:
        kept.append(rules.KEPT_CERTIFIED_CONTENT)
    kept.append(rules.KEPT_AUDIT)
    return kept


def _record(
    session: Session,
    actor: Actor,
    *,
    person_id: int,
    case_id: int | None,
    scope: str,
    reason: str,
    removed: dict[str, int],
    kept: list[dict[str, Any]],
    blobs: list[str],
    territory: str,
) -> ErasureRecord:
    record = ErasureRecord(
        person_id=person_id,
        case_id=case_id,
        scope=scope,
        reason=reason,
        actor=actor.username,
        removed={k: v for k, v in removed.items() if v},
        kept=kept,
        pending_blobs=sorted(set(blobs)),
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor,
        f"{scope}.erased",
        entity=scope if scope != "evidence" else "case",
        entity_id=case_id if case_id is not None else person_id,
        case_id=case_id,
        territory=territory,
        after={"reason": reason, "erasure_id": record.id, "removed": record.removed},
    )
    return record


def _live_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}", entity="case", key=case_id)
    if case.state != CaseState.CLOSED.value:
        raise DomainError(
            f"case {case_id} is open (state '{case.state}'): erasure would stop a service the person asked for "
            "and that is still running (GDPR art. 17(3)(b)); withdraw or close the case first",
            code="erasure_case_open",
            case_id=case_id,
        )
    return case


def erase_person(session: Session, person_id: int, actor: Actor, *, reason: str = "request") -> ErasureRecord:
    """Erase everything held about a person except the register minimum (in the caller's
    transaction; call ``delete_pending_blobs`` after commit)."""
    _check_actor(actor)
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}", entity="person", key=person_id)
    if person.erased_at is not None:
        raise DomainError(f"person {person_id} was already erased on {person.erased_at:%Y-%m-%d}", code="erased")
    cases = list(session.scalars(select(Case).where(col(Case.person_id) == person_id).order_by(col(Case.id))))
    for case in cases:
        _live_case(session, case.id or 0)
    removed: dict[str, int] = {}
    blobs: list[str] = []
    for case in cases:
        if case.erased_at is None:
            blobs += _erase_case_rows(session, case, removed)
    removed["vulnerabilities"] = _delete(
        session, delete(Vulnerability).where(col(Vulnerability.person_id) == person_id)
    )
    removed["consents"] = _delete(session, delete(ConsentRecord).where(col(ConsentRecord.person_id) == person_id))
    removed["referrals"] = removed.get("referrals", 0) + _delete(
        session, delete(Referral).where(col(Referral.person_id) == person_id)
    )
    for name, table in (
        ("integration_feedback", IntegrationFeedback),
        ("language_levels", LanguageLevel),
        ("support_activities", SupportActivity),
    ):
        removed[name] = removed.get(name, 0) + _delete(session, delete(table).where(col(table.person_id) == person_id))
    _empty_person(person)
    session.add(person)
    removed["person_identity"] = 1
    kept = [rules.KEPT_PERSON_SHELL, *_kept_for_cases(session, [c.id or 0 for c in cases])]
    return _record(
        session,
        actor,
        person_id=person_id,
        case_id=None,
        scope="person",
        reason=reason,
        removed=removed,
        kept=kept,
        blobs=blobs,
        territory=person.territory,
    )


def _empty_person(person: Person) -> None:
    person.given_name = ""
    person.family_name = ""
    for name in ("name_native", "birth_date", "birth_place", "phone", "email", "codice_fiscale"):
        setattr(person, name, None)
    for name in ("guardian_name", "guardian_appointed_by"):
        setattr(person, name, None)
    person.gender = ""
    person.citizenship = ""
    person.languages = []
    person.italian_level = "none"
    person.referral_source = ""
    person.preferred_language = "it"
    person.erased_at = utcnow()


def erase_case(session: Session, case_id: int, actor: Actor, *, reason: str) -> ErasureRecord:
    """Erase one closed case (retention). When the person has no other case left with data,
    their own record is emptied too."""
    _check_actor(actor)
    case = _live_case(session, case_id)
    if case.erased_at is not None:
        raise DomainError(f"case {case_id} was already erased", code="erased")
    removed: dict[str, int] = {}
    blobs = _erase_case_rows(session, case, removed)
    kept = _kept_for_cases(session, [case_id])
    others = session.execute(
        select(col(Case.id)).where(
            col(Case.person_id) == case.person_id, col(Case.id) != case_id, col(Case.erased_at).is_(None)
        )
    ).first()
    person = session.get(Person, case.person_id)
    if others is None and person is not None and person.erased_at is None:
        removed["vulnerabilities"] = _delete(
            session, delete(Vulnerability).where(col(Vulnerability.person_id) == person.id)
        )
        removed["consents"] = _delete(session, delete(ConsentRecord).where(col(ConsentRecord.person_id) == person.id))
        _empty_person(person)
        session.add(person)
        removed["person_identity"] = 1
        kept.insert(0, rules.KEPT_PERSON_SHELL)
    return _record(
        session,
        actor,
        person_id=case.person_id,
        case_id=case_id,
        scope="case",
        reason=reason,
        removed=removed,
        kept=kept,
        blobs=blobs,
        territory=case.territory,
    )


def erase_case_evidence(session: Session, case_id: int, actor: Actor, *, reason: str) -> ErasureRecord:
    """Erase only the evidence of a closed case (e.g. a refused request, after its period)."""
    _check_actor(actor)
    case = _live_case(session, case_id)
    removed: dict[str, int] = {}
    blobs = _erase_evidence_rows(session, case_id, removed)
    kept = [{"what": "the case and its other records", "why": "only evidence is due for erasure under this rule"}]
    return _record(
        session,
        actor,
        person_id=case.person_id,
        case_id=case_id,
        scope="evidence",
        reason=reason,
        removed=removed,
        kept=kept,
        blobs=blobs,
        territory=case.territory,
    )


def _referenced(session: Session, key: str) -> bool:
    if session.execute(select(col(EvidenceItem.id)).where(col(EvidenceItem.storage_key) == key).limit(1)).first():
        return True
    return bool(
        session.execute(select(col(IssuedDocument.id)).where(col(IssuedDocument.storage_key) == key).limit(1)).first()
    )


def delete_pending_blobs(session: Session, store: EvidenceStore) -> int:
    """Delete the blobs committed erasures left, unless another record still references them
    (content-addressed: the same file may be evidence on another case). Idempotent."""
    deleted = 0
    for record in list(session.scalars(select(ErasureRecord).order_by(col(ErasureRecord.id)))):
        if not record.pending_blobs:
            continue
        for key in record.pending_blobs:
            if not _referenced(session, key) and store.delete(key):
                deleted += 1
        record.pending_blobs = []
        session.add(record)
        session.commit()
    return deleted
