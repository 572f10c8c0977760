"""Record, query and withdraw consent. Withdrawal takes effect at once."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from ivc.audit import service as audit
from ivc.auth.policy import Permission, authorize
from ivc.auth.roles import Actor
from ivc.consent.models import ConsentPurpose, ConsentRecord
from ivc.database.core import utcnow
from ivc.errors import NotFound
from ivc.person.models import Person


def give_consent(
    session: Session,
    person: Person,
    purpose: ConsentPurpose,
    language: str,
    actor: Actor,
    explained_by: str | None = None,
    expires_at: datetime | None = None,
    text_version: str = "1",
) -> ConsentRecord:
    authorize(actor, Permission.CONSENT_RECORD, person.territory)
    existing = active_consent(session, person.id or 0, purpose)
    if existing is not None:
        return existing
    record = ConsentRecord(
        person_id=person.id or 0,
        purpose=purpose.value,
        language=language,
        explained_by=explained_by,
        text_version=text_version,
        given_at=utcnow(),
        expires_at=expires_at,
        territory=person.territory,
        created_by=actor.username,
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor,
        "consent.given",
        entity="consent",
        entity_id=record.id,
        territory=person.territory,
        after={"purpose": purpose.value, "language": language},
    )
    return record


def active_consent(
    session: Session, person_id: int, purpose: ConsentPurpose, at: datetime | None = None
) -> ConsentRecord | None:
    at = at or utcnow()
    rows = session.exec(
        select(ConsentRecord)
        .where(ConsentRecord.person_id == person_id, ConsentRecord.purpose == purpose.value)
        .where(ConsentRecord.withdrawn_at.is_(None))  # type: ignore[union-attr]
        .order_by(ConsentRecord.given_at.desc())  # type: ignore[attr-defined]
    ).all()
    for row in rows:
        if row.expires_at is None or row.expires_at > at:
            return row
    return None


def withdraw_consent(
    session: Session, person: Person, purpose: ConsentPurpose, actor: Actor, reason: str | None = None
) -> ConsentRecord:
    authorize(actor, Permission.CONSENT_RECORD, person.territory)
    record = active_consent(session, person.id or 0, purpose)
    if record is None:
        raise NotFound(f"no active consent for {purpose.value}", entity="consent")
    record.withdrawn_at = utcnow()
    record.withdrawn_by = actor.username
    record.withdrawal_reason = reason
    session.add(record)
    audit.record(
        session,
        actor,
        "consent.withdrawn",
        entity="consent",
        entity_id=record.id,
        territory=person.territory,
        before={"withdrawn_at": None},
        after={"purpose": purpose.value, "reason": reason},
    )
    session.flush()
    return record
