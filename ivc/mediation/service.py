"""Book mediators by language, record who attended a session, capture statements with their
translation trail, and keep mediator-only notes away from everything that leaves the service."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from ivc.audit import service as audit
from ivc.auth.models import User
from ivc.auth.roles import Actor, Role
from ivc.case.models import Case
from ivc.case.states import CaseState
from ivc.database.core import utcnow
from ivc.errors import ConflictError, DomainError, NotFound, PermissionDenied, ValidationFailed
from ivc.experience.models import Experience
from ivc.experience.service import clean_text
from ivc.mediation.models import (
    BookingStatus,
    InterviewSession,
    MediatorBooking,
    MediatorKind,
    MediatorNote,
    MediatorProfile,
    Statement,
    TranslationSource,
)

_LANG = re.compile(r"^[a-z]{2,3}$")
_PAIR = re.compile(r"^([a-z]{2,3})-([a-z]{2,3})$")
NOTE_READERS = frozenset({Role.OPERATOR, Role.MEDIATOR, Role.ASSESSOR})
OTHER_ROLES = frozenset({"guardian", "social_worker", "cpi_advisor", "trainee", "family", "other"})


def _language(code: str, field: str = "language") -> str:
    code = code.strip().lower()
    if not _LANG.match(code):
        raise ValidationFailed(f"{code!r} is not a language code (ISO 639, e.g. 'ar', 'ti')", field=field)
    return code


def _aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise ValidationFailed("times must carry a time zone", field=field)
    return value


def _staff(actor: Actor, case: Case, roles: Iterable[Role], what: str) -> None:
    if actor.role not in set(roles) or not actor.can_work_in(case.territory):
        raise PermissionDenied(f"{actor.username} cannot {what} in district {case.territory}")


# ---------------------------------------------------------------------------- profiles


def set_profile(
    session: Session, username: str, kind: MediatorKind, language_pairs: Iterable[str], actor: Actor
) -> MediatorProfile:
    """Create or update what a mediator user covers (administrators only)."""
    if actor.role is not Role.ADMIN:
        raise PermissionDenied(f"{actor.username} cannot manage mediator profiles")
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or user.role != Role.MEDIATOR.value:
        raise ValidationFailed(f"{username!r} is not a mediator user", field="username")
    pairs: list[str] = []
    for raw in language_pairs:
        pair = raw.strip().lower()
        match = _PAIR.match(pair)
        if not match or match.group(1) == match.group(2):
            raise ValidationFailed(f"{raw!r} is not a language pair like 'ar-it'", field="language_pairs")
        if pair not in pairs:
            pairs.append(pair)
    if not pairs:
        raise ValidationFailed("a mediator covers at least one language pair", field="language_pairs")
    profile = session.exec(select(MediatorProfile).where(MediatorProfile.username == username)).first()
    before = None if profile is None else {"kind": profile.kind, "pairs": list(profile.language_pairs)}
    if profile is None:
        profile = MediatorProfile(username=username, created_by=actor.username)
    profile.kind = MediatorKind(kind).value
    profile.language_pairs = pairs
    session.add(profile)
    session.flush()
    audit.record(
        session,
        actor,
        "mediator.profile_set",
        entity="mediatorprofile",
        entity_id=profile.id,
        before=before,
        after={"kind": profile.kind, "pairs": pairs},
    )
    return profile


def covers(profile: MediatorProfile, language: str) -> bool:
    """True if the mediator works between ``language`` and Italian (either direction)."""
    for pair in profile.language_pairs:
        a, _, b = pair.partition("-")
        if {a, b} == {language, "it"}:
            return True
    return False


# ---------------------------------------------------------------------------- bookings


def _overlapping(session: Session, mediator: str, starts_at: datetime, ends_at: datetime) -> list[MediatorBooking]:
    return list(
        session.exec(
            select(MediatorBooking).where(
                MediatorBooking.mediator == mediator,
                MediatorBooking.status != BookingStatus.CANCELLED.value,
                col(MediatorBooking.starts_at) < ends_at,
                col(MediatorBooking.ends_at) > starts_at,
            )
        )
    )


def _check_slot(starts_at: datetime, ends_at: datetime) -> None:
    _aware(starts_at, "starts_at")
    _aware(ends_at, "ends_at")
    if ends_at <= starts_at:
        raise ValidationFailed("a booking ends after it starts", field="ends_at")
    if (ends_at - starts_at).total_seconds() > 12 * 3600:
        raise ValidationFailed("a booking lasts at most 12 hours", field="ends_at")


def _suitable(session: Session, case: Case, language: str, kind: MediatorKind | None) -> list[MediatorProfile]:
    rows = session.exec(
        select(MediatorProfile, User)
        .join(User, col(User.username) == col(MediatorProfile.username))
        .where(col(MediatorProfile.active).is_(True), col(User.active).is_(True), User.role == Role.MEDIATOR.value)
        .order_by(col(MediatorProfile.username))
    ).all()
    return [
        profile
        for profile, user in rows
        if case.territory in user.districts
        and covers(profile, language)
        and (kind is None or profile.kind == kind.value)
    ]


def available_mediators(
    session: Session,
    case: Case,
    language: str,
    starts_at: datetime,
    ends_at: datetime,
    actor: Actor,
    *,
    kind: MediatorKind | None = None,
) -> list[MediatorProfile]:
    """Active mediators of the case's district who cover ``language``↔Italian and are free then."""
    _staff(actor, case, (Role.OPERATOR, Role.ADMIN), "book mediators")
    language = _language(language)
    _check_slot(starts_at, ends_at)
    return [
        p for p in _suitable(session, case, language, kind) if not _overlapping(session, p.username, starts_at, ends_at)
    ]


def book(
    session: Session,
    case: Case,
    actor: Actor,
    *,
    language: str,
    starts_at: datetime,
    ends_at: datetime,
    mediator: str | None = None,
    kind: MediatorKind | None = None,
    purpose: str = "interview",
) -> MediatorBooking:
    """Book a mediator for the case (the first free one, or the one named). A mediator is never
    booked twice for overlapping times, even when two operators book at the same moment."""
    _staff(actor, case, (Role.OPERATOR, Role.ADMIN), "book mediators")
    language = _language(language)
    _check_slot(starts_at, ends_at)
    if case.state == CaseState.CLOSED.value:
        raise DomainError(f"case {case.id} is closed")
    suitable = [p.username for p in _suitable(session, case, language, kind)]
    if mediator is None:
        free = [u for u in suitable if not _overlapping(session, u, starts_at, ends_at)]
        if not free:
            raise DomainError(
                f"no mediator for {language}↔it is free in district {case.territory} at that time",
                code="no_mediator",
                language=language,
            )
        mediator = free[0]
    elif mediator not in suitable:
        raise DomainError(
            f"{mediator} does not cover {language}↔it in district {case.territory}",
            code="mediator_unsuitable",
            mediator=mediator,
        )
    # Serialise bookings of this mediator: the UPDATE holds the profile's row lock (PostgreSQL) or
    # the writer lock (SQLite) until commit, so the overlap check below cannot race another booking.
    session.execute(
        update(MediatorProfile)
        .where(col(MediatorProfile.username) == mediator)
        .values(bookings_version=col(MediatorProfile.bookings_version) + 1)
    )
    if _overlapping(session, mediator, starts_at, ends_at):
        raise ConflictError(
            f"{mediator} is already booked between {starts_at:%Y-%m-%d %H:%M} and {ends_at:%H:%M}",
            code="double_booking",
            mediator=mediator,
        )
    booking = MediatorBooking(
        case_id=case.id or 0,
        mediator=mediator,
        language=language,
        starts_at=starts_at,
        ends_at=ends_at,
        purpose=purpose[:40],
        created_by=actor.username,
        territory=case.territory,
    )
    session.add(booking)
    session.flush()
    audit.record(
        session,
        actor,
        "mediator.booked",
        entity="mediatorbooking",
        entity_id=booking.id,
        case_id=case.id,
        territory=case.territory,
        after={"mediator": mediator, "language": language, "starts_at": starts_at, "ends_at": ends_at},
    )
    return booking


def cancel_booking(session: Session, booking_id: int, reason: str, actor: Actor) -> MediatorBooking:
    booking = session.get(MediatorBooking, booking_id)
    if booking is None:
        raise NotFound(f"no booking {booking_id}", entity="mediatorbooking", key=booking_id)
    allowed = actor.role in (Role.OPERATOR, Role.ADMIN) or (
        actor.role is Role.MEDIATOR and actor.username == booking.mediator
    )
    if not allowed or not actor.can_work_in(booking.territory):
        raise PermissionDenied(f"{actor.username} cannot cancel booking {booking_id}")
    if not reason.strip():
        raise ValidationFailed("a cancellation needs a reason", field="reason")
    if booking.status != BookingStatus.BOOKED.value:
        raise DomainError(f"booking {booking_id} is {booking.status}, not booked")
    booking.status = BookingStatus.CANCELLED.value
    booking.cancelled_at = utcnow()
    booking.cancelled_by = actor.username
    booking.cancel_reason = reason.strip()[:500]
    session.add(booking)
    audit.record(
        session,
        actor,
        "mediator.booking_cancelled",
        entity="mediatorbooking",
        entity_id=booking.id,
        case_id=booking.case_id,
        territory=booking.territory,
        after={"reason": booking.cancel_reason},
    )
    session.flush()
    return booking


def bookings_for_case(session: Session, case_id: int) -> list[MediatorBooking]:
    return list(
        session.exec(
            select(MediatorBooking).where(MediatorBooking.case_id == case_id).order_by(col(MediatorBooking.starts_at))
        )
    )


# ---------------------------------------------------------------------------- sessions


def record_session(
    session: Session,
    case: Case,
    actor: Actor,
    *,
    started_at: datetime,
    ended_at: datetime | None = None,
    duration_minutes: int | None = None,
    languages: Iterable[str] = (),
    booking_id: int | None = None,
    mediator: str | None = None,
    person_present: bool = True,
    others: Iterable[dict[str, str]] = (),
    purpose: str = "interview",
) -> InterviewSession:
    """Record who was present at a session (the operator recording it, the mediator, the person,
    others) with its start and end (or duration) and the languages used."""
    _staff(actor, case, (Role.OPERATOR,), "record sessions")
    _aware(started_at, "started_at")
    if ended_at is None:
        if duration_minutes is None or duration_minutes <= 0:
            raise ValidationFailed("give the end time or a positive duration", field="ended_at")
        ended_at = started_at + timedelta(minutes=duration_minutes)
    _aware(ended_at, "ended_at")
    if ended_at <= started_at:
        raise ValidationFailed("a session ends after it starts", field="ended_at")
    if started_at > utcnow():
        raise ValidationFailed("a session is recorded after it happened", field="started_at")
    langs = [_language(x, "languages") for x in languages]
    if not langs:
        raise ValidationFailed("name at least one language used", field="languages")
    booking = None
    if booking_id is not None:
        booking = session.get(MediatorBooking, booking_id)
        if booking is None or booking.case_id != case.id:
            raise ValidationFailed(f"booking {booking_id} is not for case {case.id}", field="booking_id")
        if booking.status != BookingStatus.BOOKED.value:
            raise DomainError(f"booking {booking_id} is {booking.status}")
        if mediator is not None and mediator != booking.mediator:
            raise ValidationFailed(f"booking {booking_id} is for {booking.mediator}", field="mediator")
        mediator = booking.mediator
    if mediator is not None:
        user = session.exec(select(User).where(User.username == mediator)).first()
        if user is None or user.role != Role.MEDIATOR.value:
            raise ValidationFailed(f"{mediator!r} is not a mediator", field="mediator")
    extra = []
    for other in others:
        name, role = str(other.get("name", "")).strip(), str(other.get("role", "other")).strip()
        if not name:
            raise ValidationFailed("each other participant needs a name", field="others")
        if role not in OTHER_ROLES:
            raise ValidationFailed(f"role {role!r}: choose among {sorted(OTHER_ROLES)}", field="others")
        extra.append({"name": name[:200], "role": role})
    record = InterviewSession(
        case_id=case.id or 0,
        booking_id=booking_id,
        purpose=purpose[:40],
        started_at=started_at,
        ended_at=ended_at,
        operator=actor.username,
        mediator=mediator,
        person_present=person_present,
        others=extra,
        languages=langs,
        created_by=actor.username,
        territory=case.territory,
    )
    session.add(record)
    if booking is not None:
        booking.status = BookingStatus.HELD.value
        session.add(booking)
    session.flush()
    audit.record(
        session,
        actor,
        "session.recorded",
        entity="interviewsession",
        entity_id=record.id,
        case_id=case.id,
        territory=case.territory,
        after={"mediator": mediator, "minutes": record.duration_minutes, "languages": langs, "others": len(extra)},
    )
    return record


def sessions_for_case(session: Session, case_id: int) -> list[InterviewSession]:
    return list(
        session.exec(
            select(InterviewSession)
            .where(InterviewSession.case_id == case_id)
            .order_by(col(InterviewSession.started_at))
        )
    )


# ---------------------------------------------------------------------------- statements


def record_statement(
    session: Session,
    case: Case,
    actor: Actor,
    *,
    language: str,
    text_original: str,
    text_it: str | None = None,
    translated_by: str | None = None,
    session_id: int | None = None,
    experience_id: int | None = None,
) -> Statement:
    """Keep a statement as obtained. ``translated_by`` is a mediator's username, ``"self"`` (the
    person gave the Italian) or ``"operator"`` (the recording operator translated)."""
    _staff(actor, case, (Role.OPERATOR, Role.MEDIATOR), "record statements")
    if case.state == CaseState.CLOSED.value:
        raise DomainError(f"case {case.id} is closed")
    language = _language(language)
    original = clean_text(text_original)
    if not original:
        raise ValidationFailed("the statement is empty", field="text_original")
    rendering = clean_text(text_it) if text_it else ""
    interview = None
    if session_id is not None:
        interview = session.get(InterviewSession, session_id)
        if interview is None or interview.case_id != case.id:
            raise ValidationFailed(f"session {session_id} is not of case {case.id}", field="session_id")
    if experience_id is not None:
        experience = session.get(Experience, experience_id)
        if experience is None or experience.case_id != case.id:
            raise ValidationFailed(f"experience {experience_id} is not of case {case.id}", field="experience_id")
    if language == "it":
        source, translator, rendering = TranslationSource.NONE, None, rendering or original
    else:
        if not rendering:
            raise ValidationFailed("a statement not in Italian needs its Italian rendering", field="text_it")
        if not translated_by:
            raise ValidationFailed("say who translated it: a mediator, 'self' or 'operator'", field="translated_by")
        if translated_by == "self":
            source, translator = TranslationSource.SELF, "self"
        elif translated_by == "operator":
            if actor.role is not Role.OPERATOR:
                raise ValidationFailed("only an operator records their own translation", field="translated_by")
            source, translator = TranslationSource.OPERATOR, actor.username
        else:
            user = session.exec(select(User).where(User.username == translated_by)).first()
            if user is None or user.role != Role.MEDIATOR.value:
                raise ValidationFailed(f"{translated_by!r} is not a mediator", field="translated_by")
            if interview is not None and interview.mediator != translated_by:
                raise ValidationFailed(
                    f"{translated_by} was not the mediator present at session {session_id}", field="translated_by"
                )
            source, translator = TranslationSource.MEDIATOR, translated_by
    statement = Statement(
        case_id=case.id or 0,
        session_id=session_id,
        experience_id=experience_id,
        language=language,
        text_original=original,
        text_it=rendering,
        translation_source=source.value,
        translated_by=translator,
        created_by=actor.username,
        territory=case.territory,
    )
    session.add(statement)
    session.flush()
    audit.record(
        session,
        actor,
        "statement.recorded",
        entity="statement",
        entity_id=statement.id,
        case_id=case.id,
        territory=case.territory,
        after={"language": language, "translation": source.value, "translated_by": translator},
    )
    return statement


def link_statements(
    session: Session, experience: Experience, statement_ids: Iterable[int], actor: Actor
) -> list[Statement]:
    """Attach statements to the experience they support (both of the same case)."""
    if actor.role not in (Role.OPERATOR, Role.MEDIATOR) or not actor.can_work_in(experience.territory):
        raise PermissionDenied(f"{actor.username} cannot edit experiences in district {experience.territory}")
    linked = []
    for sid in statement_ids:
        statement = session.get(Statement, sid)
        if statement is None or statement.case_id != experience.case_id:
            raise ValidationFailed(f"statement {sid} is not of case {experience.case_id}", field="statement_ids")
        statement.experience_id = experience.id
        session.add(statement)
        linked.append(statement)
    session.flush()
    return linked


def statements_for_case(session: Session, case_id: int, experience_id: int | None = None) -> list[Statement]:
    stmt = select(Statement).where(Statement.case_id == case_id)
    if experience_id is not None:
        stmt = stmt.where(Statement.experience_id == experience_id)
    return list(session.exec(stmt.order_by(col(Statement.id))))


# ---------------------------------------------------------------------------- mediator-only notes


def add_note(session: Session, case: Case, text: str, actor: Actor, *, session_id: int | None = None) -> MediatorNote:
    """A mediator's note on cultural context. The audit log keeps that it was written, not what."""
    _staff(actor, case, (Role.MEDIATOR,), "write mediator notes")
    body = clean_text(text)
    if not body:
        raise ValidationFailed("the note is empty", field="text")
    if len(body) > 5000:
        raise ValidationFailed("a note is at most 5000 characters", field="text")
    if session_id is not None:
        interview = session.get(InterviewSession, session_id)
        if interview is None or interview.case_id != case.id:
            raise ValidationFailed(f"session {session_id} is not of case {case.id}", field="session_id")
    note = MediatorNote(
        case_id=case.id or 0,
        session_id=session_id,
        text=body,
        created_by=actor.username,
        territory=case.territory,
    )
    session.add(note)
    session.flush()
    audit.record(
        session,
        actor,
        "mediator_note.added",
        entity="mediatornote",
        entity_id=note.id,
        case_id=case.id,
        territory=case.territory,
        after={"chars": len(body)},
    )
    return note


def notes_for_case(session: Session, case: Case, actor: Actor) -> list[MediatorNote]:
    """Operators, mediators and assessors who work in the case's district; each read is logged."""
    _staff(actor, case, NOTE_READERS, "read mediator notes")
    notes = list(
        session.exec(select(MediatorNote).where(MediatorNote.case_id == case.id).order_by(col(MediatorNote.id)))
    )
    audit.record(
        session,
        actor,
        "mediator_note.read",
        entity="mediatornote",
        case_id=case.id,
        territory=case.territory,
        after={"count": len(notes)},
    )
    return notes
