"""Record, query and withdraw consent. Withdrawal takes effect at once."""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session, select

from ivc.audit import service as audit
from ivc.auth.policy import Permission, authorize
from ivc.auth.roles import Actor
from ivc.consent.models import ConsentPurpose, ConsentRecord
from ivc.database.core import utcnow
from ivc.errors import NotFound, ValidationFailed
from ivc.person.models import Person
from ivc.text import forbidden_char

_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


def _line(value: str | None, field: str, limit: int) -> str | None:
    """A short text of the consent record: one line, no hidden characters, within its column."""
    if value is None:
        return None
    if forbidden_char(value, " \t\n\r") is not None:
        raise ValidationFailed(f"{field} holds an invisible control character", field=field)
    value = " ".join(value.split())
    if len(value) > limit:
        raise ValidationFailed(f"{field} is longer than {limit} characters", field=field, limit=limit)
    return value or None


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
    if not _LANG.match(language):
        raise ValidationFailed(f"not a language code: {language[:20]!r}", field="language")
    explained_by = _line(explained_by, "explained_by", 64)
    if expires_at is not None:
        if expires_at.tzinfo is None:  # a local or UTC time? Ambiguous for a legal deadline: ask.
            raise ValidationFailed("the expiry needs a time zone", field="expires_at")
        if expires_at <= utcnow():
            raise ValidationFailed("the consent would expire before it is given", field="expires_at")
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
    reason = _line(reason, "reason", 500)
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
