"""Mediation records: who can mediate which languages, bookings, sessions, statements and notes.

A statement is one thing the person said in an interview, in their words and in Italian, with who
translated it; an ``Experience`` is the summary built from one or more statements, so assessors can
follow each experience back to how it was obtained. Mediator-only notes (cultural context) are a
table of their own that no document, shortlist or export reads.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index
from sqlmodel import Column, Field, SQLModel

from ivc.crypto.fields import EncryptedText
from ivc.database.base import Tracked
from ivc.database.core import utcnow
from ivc.database.types import JSONType, UTCDateTime


class MediatorKind(StrEnum):
    MEDIATOR = "mediator"  # mediatore interculturale
    FACILITATOR = "facilitator"  # facilitatore linguistico


class BookingStatus(StrEnum):
    BOOKED = "booked"
    HELD = "held"  # a session was recorded against it
    CANCELLED = "cancelled"


class MediatorProfile(SQLModel, table=True):
    """What a mediator user can do. Districts stay on ``User`` (one source for territory)."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(foreign_key="user.username", max_length=64, unique=True)
    kind: str = Field(default=MediatorKind.MEDIATOR.value, max_length=16)
    # Directed pairs as "<from>-<to>" codes, e.g. ["ar-it", "ti-it"]; "ar-it" also serves it→ar.
    language_pairs: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    active: bool = True
    # Bumped by every booking of this mediator: the UPDATE takes the row (or, on SQLite, the
    # database) write lock first, so two bookings of one mediator never check overlaps at once.
    bookings_version: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(max_length=64)


class MediatorBooking(Tracked, table=True):
    __table_args__ = (Index("ix_mediatorbooking_mediator_start", "mediator", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    mediator: str = Field(max_length=64)
    language: str = Field(max_length=12)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    purpose: str = Field(default="interview", max_length=40)
    status: str = Field(default=BookingStatus.BOOKED.value, max_length=16, index=True)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_by: str | None = Field(default=None, max_length=64)
    cancel_reason: str | None = Field(default=None, max_length=500)


class InterviewSession(Tracked, table=True):
    """Presence record of one session: who was there, when, for how long, in which languages."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    booking_id: int | None = Field(default=None, foreign_key="mediatorbooking.id", unique=True)
    purpose: str = Field(default="interview", max_length=40)
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime = Field(sa_type=UTCDateTime)
    operator: str = Field(max_length=64)
    mediator: str | None = Field(default=None, max_length=64)
    person_present: bool = True
    # [{"name": "...", "role": "guardian"}]: people without an account (guardian, social worker…).
    others: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))

    @property
    def duration_minutes(self) -> int:
        return int((self.ended_at - self.started_at).total_seconds() // 60)


class TranslationSource(StrEnum):
    MEDIATOR = "mediator"
    SELF = "self"  # the person gave the Italian themselves
    OPERATOR = "operator"
    NONE = "none"  # said in Italian


class Statement(Tracked, table=True):
    """One statement as it was obtained: original words, Italian rendering, translator."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    session_id: int | None = Field(default=None, foreign_key="interviewsession.id", index=True)
    experience_id: int | None = Field(default=None, foreign_key="experience.id", index=True)
    language: str = Field(max_length=12)
    # The person's account of their life, as the interview's own texts: encrypted at rest.
    text_original: str = Field(sa_type=EncryptedText("statement.text_original"))
    text_it: str = Field(sa_type=EncryptedText("statement.text_it"))
    translation_source: str = Field(max_length=16)
    # Mediator's or operator's username, or "self": who produced ``text_it`` (None if said in Italian).
    translated_by: str | None = Field(default=None, max_length=64)


class MediatorNote(Tracked, table=True):
    """Cultural context from a mediator. Working material only: never part of what is issued,
    shared with employers or CPI, or exported."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    session_id: int | None = Field(default=None, foreign_key="interviewsession.id")
    text: str = Field(max_length=5000)
