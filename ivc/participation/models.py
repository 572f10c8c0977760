"""Support activities, language-level assessments and integration feedback of one person.

Each row is one fact recorded by a service of the network, with who recorded it and the
district it belongs to; natural unique keys make a repeated submission (a double click, a retried
import) land once.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from ivc.database.base import Tracked


class ActivityKind(StrEnum):
    LANGUAGE_COURSE = "language_course"  # corso di lingua italiana (CPIA, volunteers, facilitators)
    CIVIC_ORIENTATION = "civic_orientation"  # formazione civica e informazione
    PROFESSIONAL_GUIDANCE = "professional_guidance"  # orientamento professionale personalizzato
    INFORMATION = "information"  # pacchetto informativo / sessione informativa


class CefrLevel(StrEnum):
    """Common European Framework levels, in order; ``pre_a1`` for people not yet at A1
    (alfabetizzazione), which the CPIA courses start from."""

    PRE_A1 = "pre_a1"
    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"
    C1 = "C1"
    C2 = "C2"

    @property
    def rank(self) -> int:
        return list(CefrLevel).index(self)


class LevelSource(StrEnum):
    PLACEMENT_TEST = "placement_test"  # test d'ingresso CPIA
    COURSE_EXAM = "course_exam"  # esame finale di un corso
    CERTIFICATE = "certificate"  # certificazione (CILS, CELI, PLIDA, CERT.IT)
    INTERVIEW = "interview"  # stima dell'operatore durante il colloquio


class Answer(StrEnum):
    HELPED = "helped"
    NOT_HELPED = "not_helped"
    UNSURE = "unsure"
    DECLINED = "declined"  # the person chose not to answer


class SupportActivity(Tracked, table=True):
    """One activity the person took part in (a course, an orientation module, guidance sessions)."""

    __table_args__ = (UniqueConstraint("person_id", "kind", "provider", "started_on", name="uq_activity_natural"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    kind: str = Field(max_length=32, index=True)
    provider: str = Field(max_length=200)  # e.g. "CPIA Genova Centro", "Comune di Savona"
    title: str | None = Field(default=None, max_length=300)
    started_on: date
    ended_on: date | None = None
    hours: float | None = None
    completed: bool | None = None  # None while it is going on
    version: int = Field(default=1)


class LanguageLevel(Tracked, table=True):
    """The person's level in a language (Italian unless said otherwise) on a day, and how it was known."""

    __table_args__ = (
        UniqueConstraint("person_id", "language", "assessed_on", "source", name="uq_languagelevel_natural"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    language: str = Field(default="it", max_length=12)
    level: str = Field(max_length=8)
    assessed_on: date
    source: str = Field(max_length=32)
    activity_id: int | None = Field(default=None, foreign_key="supportactivity.id")


class IntegrationFeedback(Tracked, table=True):
    """The person's answer to "did this path help you settle in Italy?", asked in their language."""

    __table_args__ = (UniqueConstraint("person_id", "asked_on", name="uq_feedback_person_day"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    asked_on: date
    answer: str = Field(max_length=16)
    asked_in: str = Field(max_length=12)  # the language the question was put in
