"""Capture experiences told in interviews, keeping the original words and the Italian rendering."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import date

from pydantic import BaseModel, Field, field_validator, model_validator
from sqlmodel import Session, col, select

from ivc.audit import service as audit
from ivc.auth.policy import Permission, authorize
from ivc.auth.roles import Actor
from ivc.case.models import Case
from ivc.case.states import CaseState
from ivc.errors import DomainError
from ivc.experience.models import Experience, ExperienceKind, LearningContext
from ivc.person.iso import country_code, language_code

_CONTEXT = {
    ExperienceKind.WORK: LearningContext.NON_FORMAL,
    ExperienceKind.TRAINING: LearningContext.FORMAL,
    ExperienceKind.VOLUNTEERING: LearningContext.NON_FORMAL,
    ExperienceKind.FAMILY: LearningContext.INFORMAL,
    ExperienceKind.LANGUAGES: LearningContext.INFORMAL,
    ExperienceKind.DIGITAL: LearningContext.INFORMAL,
    ExperienceKind.GOALS: LearningContext.INFORMAL,
}


# Zero-width (non-)joiners are format characters that Persian, Arabic and Indic words need.
_JOINERS = "\u200c\u200d"
_EARLIEST = date(1900, 1, 1)


def clean_text(text: str) -> str:
    """NFC-normalise and drop control and format characters (keeping newlines, tabs and the
    zero-width joiners that words need)."""
    text = unicodedata.normalize("NFC", text)
    return "".join(ch for ch in text if ch in "\n\t" or ch in _JOINERS or unicodedata.category(ch)[0] != "C").strip()


class ExperienceIn(BaseModel):
    kind: ExperienceKind
    title: str = Field(min_length=1, max_length=300)
    place: str | None = Field(default=None, max_length=300)
    country: str | None = None  # ISO 3166-1 alpha-2 (``ivc.person.iso.countries`` offers them)
    started_on: date | None = None
    ended_on: date | None = None
    language: str  # of the original words: ISO 639-1, else 639-3 (``ivc.person.iso.languages``)
    text_original: str = Field(min_length=1, max_length=20000)
    text_it: str | None = Field(default=None, max_length=20000)
    translated_by: str | None = None
    learning_context: LearningContext | None = None

    @field_validator("text_original", "text_it", "title", "place")
    @classmethod
    def _clean(cls, value: str | None) -> str | None:
        return clean_text(value) if value is not None else None

    @field_validator("translated_by")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return " ".join(clean_text(value).split())[:64] or None

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        return language_code(value, "language")

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None  # where it happened is not always known
        return country_code(value, "country")

    @model_validator(mode="after")
    def _dates(self) -> ExperienceIn:
        if self.started_on and self.ended_on and self.ended_on < self.started_on:
            raise ValueError("the experience ends before it starts")
        if self.started_on and self.started_on > date.today():
            raise ValueError("the experience starts in the future")
        latest = date.today().replace(year=date.today().year + 10, day=1)
        if any(d is not None and not _EARLIEST <= d <= latest for d in (self.started_on, self.ended_on)):
            raise ValueError(f"experience dates must fall between {_EARLIEST.year} and {latest.year}")
        if not self.text_original:
            raise ValueError("the text is empty")
        return self


INTERVIEW_STATES = frozenset({CaseState.ACCESS.value, CaseState.IDENTIFICATION.value})


def interview_open(case: Case) -> bool:
    """Experiences are recorded during access and identification only (the interface offers the
    interview form only then; ``add_experience`` refuses otherwise)."""
    return case.state in INTERVIEW_STATES


def add_experience(session: Session, case: Case, data: ExperienceIn, actor: Actor) -> Experience:
    """Record an experience. Recording the same text twice for a case returns the first record."""
    authorize(actor, Permission.INTERVIEW_RECORD, case.territory)
    if not interview_open(case):
        raise DomainError(
            f"experiences are recorded during access and identification, not in '{case.state}'",
            code="interview_closed",
            state=case.state,
        )
    key = hashlib.sha256("\x1f".join([data.kind.value, data.title, data.text_original]).encode("utf-8")).hexdigest()
    existing = session.exec(
        select(Experience).where(Experience.case_id == case.id, Experience.content_key == key)
    ).first()
    if existing is not None:
        return existing
    text_it = data.text_it if data.text_it else (data.text_original if data.language == "it" else None)
    experience = Experience(
        case_id=case.id or 0,
        kind=data.kind.value,
        learning_context=(data.learning_context or _CONTEXT[data.kind]).value,
        title=data.title,
        place=data.place,
        country=data.country,
        started_on=data.started_on,
        ended_on=data.ended_on,
        language=data.language,
        text_original=data.text_original,
        text_it=text_it,
        translated_by=data.translated_by if text_it and data.language != "it" else None,
        content_key=key,
        created_by=actor.username,
        territory=case.territory,
    )
    session.add(experience)
    session.flush()
    audit.record(
        session,
        actor,
        "experience.added",
        entity="experience",
        entity_id=experience.id,
        case_id=case.id,
        territory=case.territory,
        after={"kind": experience.kind, "language": experience.language},
    )
    return experience


def experiences_for_case(session: Session, case_id: int) -> list[Experience]:
    return list(session.exec(select(Experience).where(Experience.case_id == case_id).order_by(col(Experience.id))))
