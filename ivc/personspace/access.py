"""Personal access codes: issued by an operator, printed once, kept only as a hash, renewed (the
previous code revoked) or revoked; a person signs in with the code and their date of birth.

Failures lock the code for a while exactly as they lock a staff account
(``IVC_SIGN_IN_ATTEMPTS`` failures, ``IVC_SIGN_IN_LOCK_MINUTES`` minutes; codes that do not exist
lock the same way, so the answers tell nobody which codes exist: ``ivc.auth.service``). Every
sign-in, failed or not, is an audit event.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta

from sqlmodel import Session, col, select

from ivc.audit import service as audit
from ivc.auth import service as staff_sign_in
from ivc.auth.policy import Permission, authorize
from ivc.auth.roles import SYSTEM_ACTOR, Actor, person_actor
from ivc.config import get_settings
from ivc.database.core import utcnow
from ivc.errors import NotFound, PermissionDenied
from ivc.person.models import Person
from ivc.personspace.models import PersonAccessCode

# No 0/O, 1/I/L: read aloud and typed from paper without mistakes. 12 characters of 32 = 60 bits.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12


def normalise(code: str) -> str:
    """The code as stored: capitals, without spaces or dashes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_hash(code: str) -> str:
    return hashlib.sha256(f"ivc-person-code:{normalise(code)}".encode()).hexdigest()


def _printable(raw: str) -> str:
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def _as_person(refusal: PermissionDenied) -> PermissionDenied:
    """The staff sign-in's refusal (the same counting and locking), worded for a code."""
    code = "code_sign_in_locked" if refusal.code == "sign_in_locked" else "code_sign_in_failed"
    return PermissionDenied("wrong access code or date of birth" if code.endswith("failed") else str(refusal),
                            code=code, **refusal.params)  # fmt: skip


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None or person.erased_at is not None:
        raise NotFound(f"no person {person_id}", entity="person", key=person_id)
    return person


def live_code(session: Session, person_id: int) -> PersonAccessCode | None:
    """The person's code in force (not revoked), if any."""
    return session.exec(
        select(PersonAccessCode)
        .where(PersonAccessCode.person_id == person_id, col(PersonAccessCode.revoked_at).is_(None))
        .order_by(col(PersonAccessCode.id).desc())
    ).first()


def _revoke_all(session: Session, person_id: int, actor: Actor, reason: str) -> int:
    rows = list(
        session.exec(
            select(PersonAccessCode).where(
                PersonAccessCode.person_id == person_id, col(PersonAccessCode.revoked_at).is_(None)
            )
        )
    )
    now = utcnow()
    for row in rows:
        row.revoked_at = now
        row.revoked_by = actor.username
        row.revoke_reason = reason
        session.add(row)
    if rows:
        # Whoever was signed in with the old code is signed out.
        from ivc.auth.websession import revoke_user_sessions

        revoke_user_sessions(session, person_actor(person_id).username, reason, actor)
    return len(rows)


def issue_code(session: Session, person_id: int, actor: Actor) -> str:
    """A new code for the person (an operator of their district, or an admin). The previous code
    is revoked. Returns the code to print: it is never shown again."""
    person = _person(session, person_id)
    authorize(actor, Permission.INTAKE, person.territory)
    if person.birth_date is None:
        raise PermissionDenied(
            "a personal access code needs the person's date of birth on record", code="access_code_birth_date"
        )
    renewed = _revoke_all(session, person_id, actor, "renewed")
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    row = PersonAccessCode(
        person_id=person_id, code_hash=code_hash(raw), created_by=actor.username, territory=person.territory
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "person.access_code_issued",
        entity="person",
        entity_id=person_id,
        territory=person.territory,
        after={"code": row.id, "previous_revoked": renewed},  # never the code itself
    )
    session.flush()
    return _printable(raw)


def revoke_code(session: Session, person_id: int, actor: Actor) -> int:
    """Revoke the person's code (lost, stolen): sign-in refused until a new one is issued."""
    person = _person(session, person_id)
    authorize(actor, Permission.INTAKE, person.territory)
    count = _revoke_all(session, person_id, actor, "revoked")
    if not count:
        raise NotFound(f"person {person_id} has no access code in force", entity="access_code", key=person_id)
    audit.record(
        session, actor, "person.access_code_revoked", entity="person", entity_id=person_id, territory=person.territory
    )
    session.flush()
    return count


def sign_in(session: Session, code: str, birth_date: date | None) -> Actor:
    """The person's actor for a code in force and the date of birth on record. A wrong pair, an
    unknown or revoked code answer alike (``sign_in_failed``: how many failures lock, for how
    long); a locked code answers ``sign_in_locked`` with the minutes left."""
    settings = get_settings()
    attempts, lock_minutes = settings.sign_in_attempts, settings.sign_in_lock_minutes
    now = utcnow()
    key = code_hash(code)
    row = session.exec(select(PersonAccessCode).where(PersonAccessCode.code_hash == key)).first()
    person = session.get(Person, row.person_id) if row is not None else None
    if row is None or row.revoked_at is not None or person is None or person.erased_at is not None:
        audit.record(
            session,
            SYSTEM_ACTOR,
            "person.sign_in_failed",
            entity="access_code",
            entity_id=row.id if row is not None else None,
            after={"reason": "revoked" if row is not None else "unknown"},
        )
        session.flush()
        raise _as_person(staff_sign_in._ghost_attempt(f"code:{key}", now, attempts, lock_minutes))
    if row.locked_until is not None and row.locked_until > now:
        audit.record(
            session, SYSTEM_ACTOR, "person.sign_in_failed", entity="access_code", entity_id=row.id,
            territory=row.territory, after={"reason": "locked"},
        )  # fmt: skip
        session.flush()
        raise _as_person(staff_sign_in._locked(row.locked_until, now))
    if birth_date is None or person.birth_date != birth_date:
        row.failed_sign_ins += 1
        locked = row.failed_sign_ins >= attempts
        if locked:
            row.locked_until = now + timedelta(minutes=lock_minutes)
            row.failed_sign_ins = 0
        session.add(row)
        audit.record(
            session, SYSTEM_ACTOR, "person.sign_in_failed", entity="access_code", entity_id=row.id,
            territory=row.territory, after={"reason": "birth_date", "locked": locked},
        )  # fmt: skip
        session.flush()
        if locked and row.locked_until is not None:
            raise _as_person(staff_sign_in._locked(row.locked_until, now))
        raise _as_person(staff_sign_in._refused(attempts, lock_minutes))
    row.failed_sign_ins = 0
    row.locked_until = None
    row.last_used_at = now
    session.add(row)
    actor = person_actor(row.person_id)
    audit.record(
        session, actor, "person.signed_in", entity="person", entity_id=row.person_id, territory=row.territory,
        after={"code": row.id},
    )  # fmt: skip
    session.flush()
    return actor


def session_state(session: Session, person_id: int) -> str:
    """Whether the person may hold a web session now: ``ok``; ``locked`` (their code is locked for
    a while after failed sign-ins); ``gone`` (erased, or no code in force: revoked or renewed)."""
    person = session.get(Person, person_id)
    row = live_code(session, person_id)
    if person is None or person.erased_at is not None or row is None:
        return "gone"
    return "ok" if row.locked_until is None or row.locked_until <= utcnow() else "locked"
