"""Prepare and sign the service agreement ("patto di servizio")."""

from __future__ import annotations

from sqlmodel import Session, select

from ivc.agreement.models import ServiceAgreement
from ivc.audit import service as audit
from ivc.auth.policy import Permission, authorize
from ivc.auth.roles import Actor
from ivc.case.models import Case
from ivc.database.core import utcnow
from ivc.errors import DomainError

AGREEMENT_TEXT_VERSION = "2024.1"


def prepare(session: Session, case: Case, language: str, actor: Actor) -> ServiceAgreement:
    agreement = session.exec(select(ServiceAgreement).where(ServiceAgreement.case_id == case.id)).first()
    if agreement is not None:
        return agreement
    agreement = ServiceAgreement(
        case_id=case.id or 0,
        text_version=AGREEMENT_TEXT_VERSION,
        language=language,
        created_by=actor.username,
        territory=case.territory,
    )
    session.add(agreement)
    session.flush()
    audit.record(
        session,
        actor,
        "agreement.prepared",
        entity="agreement",
        entity_id=agreement.id,
        case_id=case.id,
        territory=case.territory,
        after={"text_version": AGREEMENT_TEXT_VERSION},
    )
    return agreement


def sign(
    session: Session,
    case: Case,
    actor: Actor,
    *,
    how: str,
    declaration_of_truth: bool,
    informed_of_sample_checks: bool,
    calendar: str | None = None,
    scan_evidence_id: int | None = None,
) -> ServiceAgreement:
    """Record the person's signature (by click, or on paper with the scan as evidence)."""
    authorize(actor, Permission.CONSENT_RECORD, case.territory)
    if how not in ("click", "paper"):
        raise DomainError("signed 'click' or 'paper'")
    if how == "paper" and scan_evidence_id is None:
        raise DomainError("a paper signature needs the scanned agreement as evidence")
    if not declaration_of_truth:
        raise DomainError("the person must declare that what they state is true (D.I. 30/6/2015)")
    agreement = prepare(session, case, case.interview_language, actor)
    if agreement.signed_at is not None:
        return agreement
    agreement.signed_at = utcnow()
    agreement.signed_how = how
    agreement.declaration_of_truth = True
    agreement.informed_of_sample_checks = informed_of_sample_checks
    agreement.calendar = calendar
    agreement.scan_evidence_id = scan_evidence_id
    agreement.recorded_by = actor.username
    session.add(agreement)
    audit.record(
        session,
        actor,
        "agreement.signed",
        entity="agreement",
        entity_id=agreement.id,
        case_id=case.id,
        territory=case.territory,
        after={"how": how},
    )
    session.flush()
    return agreement
