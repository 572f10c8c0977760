"""An experience keeps the person's own words and their Italian rendering."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlmodel import Field

from ivc.crypto.fields import EncryptedText
from ivc.database.base import Tracked


class ExperienceKind(StrEnum):
    WORK = "work"
    TRAINING = "training"
    VOLUNTEERING = "volunteering"
    FAMILY = "family"  # family and informal
    LANGUAGES = "languages"  # languages spoken, read, written, and how they were learnt
    DIGITAL = "digital"  # use of phone and computer
    GOALS = "goals"  # the person's own goals: recorded, never mapped to competences


# Steps of the guided interview, in order, and the kind of record each produces.
INTERVIEW_STEPS: tuple[tuple[str, ExperienceKind], ...] = (
    ("work", ExperienceKind.WORK),
    ("training", ExperienceKind.TRAINING),
    ("informal", ExperienceKind.FAMILY),
    ("languages", ExperienceKind.LANGUAGES),
    ("digital", ExperienceKind.DIGITAL),
    ("goals", ExperienceKind.GOALS),
)


class LearningContext(StrEnum):
    FORMAL = "formale"
    NON_FORMAL = "non_formale"
    INFORMAL = "informale"


class Experience(Tracked, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    kind: str = Field(max_length=20)
    learning_context: str = Field(max_length=20)
    title: str = Field(max_length=300)
    place: str | None = Field(default=None, max_length=300)
    country: str | None = Field(default=None, max_length=2)
    started_on: date | None = None
    ended_on: date | None = None
    language: str = Field(max_length=12)
    # The person's story, which often tells health, family or judicial facts: encrypted at rest.
    text_original: str = Field(sa_type=EncryptedText("experience.text_original"))
    text_it: str | None = Field(default=None, sa_type=EncryptedText("experience.text_it"))
    translated_by: str | None = Field(default=None, max_length=64)
    content_key: str = Field(max_length=64, index=True)  # hash used to make capture idempotent
