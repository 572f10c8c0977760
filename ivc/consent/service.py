"""Record, query and withdraw consent per purpose and recipient; decide and log every view of a
dossier. Withdrawal takes effect at once: every read path asks the ledger at the time of reading.

A view is allowed by exactly one of two things, both recorded with the view: a legal basis that
covers the viewer's role for that purpose (the IVC service is a public-interest task, GDPR art.
6(1)(e)), or an active consent of the person for that purpose to the viewer's organisation.
Purposes, bases and organisations are data (``reference/data_access.yaml``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from ivc.audit import service as audit
from ivc.auth.policy import Permission, authorize
from ivc.auth.roles import Actor, Role
from ivc.consent.models import ConsentPurpose, ConsentRecord, DossierAccess
from ivc.database.core import utcnow
from ivc.errors import NotFound, PermissionDenied, ValidationFailed
from ivc.person.models import CEFR_LEVELS, Person
from ivc.reference import data_access
from ivc.text import LANGUAGE_CODE, forbidden_char

_LANG = LANGUAGE_CODE

# Italian at A2 or above is enough to follow a notice read and explained in Italian.
_ITALIAN_UNDERSTOOD = frozenset(CEFR_LEVELS[CEFR_LEVELS.index("A2") :])


def understood_languages(person: Person) -> set[str]:
    """Languages in which information can be given to this person."""
    langs = {person.preferred_language} | {str(x.get("code")) for x in person.languages if x.get("code")}
    if person.italian_level in _ITALIAN_UNDERSTOOD:
        langs.add("it")
    return {x.lower() for x in langs if x}


def default_recipient(purpose: ConsentPurpose) -> str:
    return str(data_access().get("default_recipient", {}).get(purpose.value, "rete_ivc"))


def covers(granted: str, wanted: str) -> bool:
    """A consent to "cpi" covers "cpi:3"; a consent to "cpi:3" does not cover "cpi:1"."""
    return granted == wanted or wanted.startswith(granted + ":")


def organisations(actor: Actor) -> list[str]:
    """The organisation keys an actor works for: its role's organisation, narrowed by district."""
    found = data_access().get("organisations", {}).get(actor.role.value, actor.role.value)
    orgs = [str(o) for o in (found if isinstance(found, list) else [found])]
    if actor.region_wide or not actor.districts:
        return orgs
    return [f"{org}:{d}" for org in orgs for d in sorted(actor.districts)]


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


def _authorize_record(actor: Actor, person: Person) -> None:
    """An operator of the person's district records consent; the person gives or withdraws their
    own from their space (``ivc.personspace``), never anyone else's."""
    if actor.role is Role.PERSON:
        if actor.person_id is None or actor.person_id != person.id:
            raise PermissionDenied("a person records only their own consent", code="not_yours")
        return
    authorize(actor, Permission.CONSENT_RECORD, person.territory)


def give_consent(
    session: Session,
    person: Person,
    purpose: ConsentPurpose,
    language: str,
    actor: Actor,
    explained_by: str | None = None,
    expires_at: datetime | None = None,
    text_version: str = "1",
    recipient: str | None = None,
) -> ConsentRecord:
    """Record consent for one purpose to one recipient, explained in ``language`` (which the
    person must understand) by ``explained_by`` (the mediator), on notice text ``text_version``.
    Giving the same consent again while it is active returns the active record."""
    _authorize_record(actor, person)
    language = language.strip().lower()
    if not _LANG.match(language):
        raise ValidationFailed(f"not a language code: {language[:20]!r}", field="language")
    if language not in understood_languages(person):
        raise ValidationFailed(
            f"consent must be explained in a language the person understands "
            f"({', '.join(sorted(understood_languages(person)))}), not {language!r}",
            field="language",
        )
    explained_by = _line(explained_by, "explained_by", 64)
    if expires_at is not None:
        if expires_at.tzinfo is None:  # a local or UTC time? Ambiguous for a legal deadline: ask.
            raise ValidationFailed("the expiry needs a time zone", field="expires_at")
        if expires_at <= utcnow():
            raise ValidationFailed("the consent would already be expired", field="expires_at")
    recipient = (recipient or default_recipient(purpose)).strip().lower()
    if not recipient or len(recipient) > 80:
        raise ValidationFailed("the consent needs a recipient (an organisation)", field="recipient")
    for existing in active_consents(session, person.id or 0, purpose):
        if existing.recipient == recipient:
            return existing
    record = ConsentRecord(
        person_id=person.id or 0,
        purpose=purpose.value,
        recipient=recipient,
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
        after={
            "purpose": purpose.value,
            "recipient": recipient,
            "language": language,
            "explained_by": explained_by,
            "text_version": text_version,
            "expires_at": expires_at,
        },
    )
    return record


def active_consents(
    session: Session, person_id: int, purpose: ConsentPurpose, at: datetime | None = None
) -> list[ConsentRecord]:
    at = at or utcnow()
    rows = session.exec(
        select(ConsentRecord)
        .where(ConsentRecord.person_id == person_id, ConsentRecord.purpose == purpose.value)
        .where(col(ConsentRecord.withdrawn_at).is_(None))
        .order_by(col(ConsentRecord.given_at).desc(), col(ConsentRecord.id).desc())
    ).all()
    return [r for r in rows if r.expires_at is None or r.expires_at > at]


def active_consent(
    session: Session,
    person_id: int,
    purpose: ConsentPurpose,
    at: datetime | None = None,
    recipients: Iterable[str] | None = None,
) -> ConsentRecord | None:
    """The newest active consent for ``purpose``; with ``recipients``, one covering any of them."""
    wanted = list(recipients) if recipients is not None else None
    for row in active_consents(session, person_id, purpose, at):
        if wanted is None or any(covers(row.recipient, w) for w in wanted):
            return row
    return None


def _granting(recipients: Iterable[str]) -> list[str]:
    """Every recipient a consent may name to cover one of ``recipients`` ("cpi:3" is covered by a
    consent to "cpi:3" or to "cpi"), so that the ledger can be asked in SQL (see ``covers``)."""
    out: set[str] = set()
    for wanted in recipients:
        parts = wanted.split(":")
        out.update(":".join(parts[:n]) for n in range(1, len(parts) + 1))
    return sorted(out)


def _active(purpose: ConsentPurpose, recipients: Iterable[str] | None, at: datetime) -> Any:
    stmt = (
        select(ConsentRecord.id, ConsentRecord.person_id)
        .where(ConsentRecord.purpose == purpose.value, col(ConsentRecord.withdrawn_at).is_(None))
        .where(col(ConsentRecord.expires_at).is_(None) | (col(ConsentRecord.expires_at) > at))
    )
    if recipients is not None:
        stmt = stmt.where(col(ConsentRecord.recipient).in_(_granting(recipients)))
    return stmt


def consenting(purpose: ConsentPurpose, recipients: Iterable[str] | None = None, at: datetime | None = None) -> Any:
    """A subquery of the ids of everyone with an active consent for ``purpose`` (covering one of
    ``recipients``): for read paths that filter many dossiers in the database, not in Python."""
    return _active(purpose, recipients, at or utcnow()).with_only_columns(col(ConsentRecord.person_id))


def consented_people(
    session: Session,
    purpose: ConsentPurpose,
    recipients: Iterable[str] | None = None,
    at: datetime | None = None,
    person_ids: Iterable[int] | None = None,
) -> dict[int, int]:
    """person id -> consent id of everyone (of ``person_ids`` when given) with an active consent
    for ``purpose`` (covering one of ``recipients``), read in a query per 5,000 people for the read
    paths that scan many dossiers."""
    stmt = _active(purpose, recipients, at or utcnow()).order_by(col(ConsentRecord.id))
    rows: list[tuple[int | None, int]] = []
    if person_ids is None:
        rows = list(session.exec(stmt))
    else:
        ids = sorted(set(person_ids))
        for start in range(0, len(ids), 5000):
            rows += session.exec(stmt.where(col(ConsentRecord.person_id).in_(ids[start : start + 5000])))
        rows.sort(key=lambda r: r[0] or 0)
    # The latest consent answers for a person, as the ledger is read in order.
    return {person_id: consent_id or 0 for consent_id, person_id in rows}


def withdraw_consent(
    session: Session,
    person: Person,
    purpose: ConsentPurpose,
    actor: Actor,
    reason: str | None = None,
    recipient: str | None = None,
) -> ConsentRecord:
    """Withdraw the active consent(s) for ``purpose`` (all recipients, or only ``recipient``).
    Effective immediately: the next read of any dossier asks the ledger again."""
    _authorize_record(actor, person)
    reason = _line(reason, "reason", 500)
    records = [
        r for r in active_consents(session, person.id or 0, purpose) if recipient is None or r.recipient == recipient
    ]
    if not records:
        raise NotFound(f"no active consent for {purpose.value}", entity="consent")
    now = utcnow()
    for record in records:
        record.withdrawn_at = now
        record.withdrawn_by = actor.username
        record.withdrawal_reason = reason[:500] if reason else None
        session.add(record)
        audit.record(
            session,
            actor,
            "consent.withdrawn",
            entity="consent",
            entity_id=record.id,
            territory=person.territory,
            before={"withdrawn_at": None},
            after={"purpose": purpose.value, "recipient": record.recipient, "reason": reason},
        )
    session.flush()
    return records[0]


# ---------------------------------------------------------------------------- views of a dossier


@dataclass(frozen=True)
class AccessBasis:
    """Why a view is allowed: a consent record or a legal basis (exactly one)."""

    purpose: str
    organisation: str
    consent_id: int | None = None
    legal_basis: str | None = None


def default_purpose(actor: Actor) -> str:
    return str(data_access().get("default_purpose", {}).get(actor.role.value, "ivc_service"))


def authorise_view(session: Session, actor: Actor, person_id: int, purpose: str | None = None) -> AccessBasis:
    """The basis on which ``actor`` may view the person's dossier for ``purpose``, or
    ``PermissionDenied`` when there is none (no consent, no legal basis, wrong role or district)."""
    purpose = purpose or default_purpose(actor)
    rules: dict[str, Any] = data_access().get("purposes", {}).get(purpose) or {}
    if not rules:
        raise PermissionDenied(f"unknown purpose {purpose!r} for viewing a dossier", code="access_denied")
    if actor.role.value not in rules.get("roles", []):
        raise PermissionDenied(
            f"role {actor.role.value} may not view dossiers for {purpose}", code="access_denied", purpose=purpose
        )
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}", entity="person", key=person_id)
    orgs = organisations(actor)
    if rules.get("basis"):
        if not actor.can_work_in(person.territory):
            raise PermissionDenied(
                f"{actor.username} cannot view dossiers of district {person.territory}", code="access_denied"
            )
        basis = str(data_access().get("legal_bases", {}).get(rules["basis"], rules["basis"]))
        return AccessBasis(purpose, orgs[0], legal_basis=basis)
    consent = active_consent(session, person_id, ConsentPurpose(rules["consent"]), recipients=orgs)
    if consent is None:
        raise PermissionDenied(
            f"no active consent of this person for {purpose} to {', '.join(orgs)}, and no legal basis",
            code="access_denied",
            purpose=purpose,
        )
    org = next(o for o in orgs if covers(consent.recipient, o))
    return AccessBasis(purpose, org, consent_id=consent.id)


def log_view(
    session: Session, actor: Actor, basis: AccessBasis, person_id: int, what: str, case_id: int | None = None
) -> DossierAccess:
    """Write one line of the access log, in the caller's transaction."""
    district = next(iter(sorted(actor.districts)), None) if not actor.region_wide else None
    row = DossierAccess(
        actor=actor.username,
        role=actor.role.value,
        organisation=basis.organisation,
        district=district,
        person_id=person_id,
        case_id=case_id,
        purpose=basis.purpose,
        what=what[:200],
        consent_id=basis.consent_id,
        legal_basis=basis.legal_basis,
    )
    session.add(row)
    session.flush()
    return row


def view(
    session: Session, actor: Actor, person_id: int, what: str, case_id: int | None = None, purpose: str | None = None
) -> AccessBasis:
    """Authorise and log one view (the two calls every read path makes)."""
    basis = authorise_view(session, actor, person_id, purpose)
    log_view(session, actor, basis, person_id, what, case_id)
    return basis


def access_log(session: Session, person_id: int) -> list[DossierAccess]:
    return list(
        session.exec(
            select(DossierAccess)
            .where(DossierAccess.person_id == person_id)
            .order_by(col(DossierAccess.viewed_at), col(DossierAccess.id))
        )
    )


# ---------------------------------------------------------------------------- the person's view


@dataclass
class ConsentEntry:
    consent_id: int
    purpose: str
    recipient: str
    status: str  # active | expired | withdrawn
    language: str
    text_version: str
    explained_by: str | None
    recorded_by: str
    given_at: datetime
    expires_at: datetime | None
    withdrawn_at: datetime | None
    views: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ConsentHistory:
    person_id: int
    consents: list[ConsentEntry]
    views_on_legal_basis: list[dict[str, Any]]


def _view_row(v: DossierAccess) -> dict[str, Any]:
    return {
        "viewed_at": v.viewed_at,
        "by": v.actor,
        "role": v.role,
        "organisation": v.organisation,
        "district": v.district,
        "what": v.what,
        "purpose": v.purpose,
        "legal_basis": v.legal_basis,
    }


def consent_history(session: Session, person_id: int) -> ConsentHistory:
    """What the person consented to, to whom, when, who explained it, and who viewed the dossier
    under each consent (and on which legal basis otherwise): what the person is entitled to see."""
    now = utcnow()
    views = access_log(session, person_id)
    by_consent: dict[int, list[dict[str, Any]]] = {}
    for v in views:
        if v.consent_id is not None:
            by_consent.setdefault(v.consent_id, []).append(_view_row(v))
    entries = []
    for r in session.exec(
        select(ConsentRecord).where(ConsentRecord.person_id == person_id).order_by(col(ConsentRecord.given_at))
    ):
        status = (
            "withdrawn"
            if r.withdrawn_at is not None
            else "expired"
            if r.expires_at is not None and r.expires_at <= now
            else "active"
        )
        entries.append(
            ConsentEntry(
                r.id or 0,
                r.purpose,
                r.recipient,
                status,
                r.language,
                r.text_version,
                r.explained_by,
                r.created_by,
                r.given_at,
                r.expires_at,
                r.withdrawn_at,
                by_consent.get(r.id or 0, []),
            )
        )
    return ConsentHistory(person_id, entries, [_view_row(v) for v in views if v.consent_id is None])
