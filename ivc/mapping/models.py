"""What mapping stores: ESCO suggestions for a case (identification aids, never validated) and
phrasings operators accepted, which become synonyms of the concept for later rankings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from ivc.database.base import Tracked
from ivc.database.core import utcnow
from ivc.database.types import JSONType, UTCDateTime


class EscoSuggestion(Tracked, table=True):
    __table_args__ = (UniqueConstraint("case_id", "uri"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    uri: str = Field(max_length=200)
    entity: str = Field(max_length=20)  # skill | occupation
    label: str = Field(max_length=500)
    score: float
    status: str = Field(default="suggested", max_length=20)  # suggested | accepted | rejected
    rationale: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    experience_ids: list[int] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))


class LearnedPhrase(SQLModel, table=True):
    """A phrasing accepted by an operator for a concept (competence code or ESCO URI), with its
    lemmas computed when it was accepted: a new process loads them without building the
    language's analysers."""

    __table_args__ = (UniqueConstraint("concept_key", "lang", "phrase"),)

    id: int | None = Field(default=None, primary_key=True)
    concept_key: str = Field(max_length=200, index=True)
    lang: str = Field(max_length=12)
    phrase: str = Field(max_length=300)
    source: str = Field(max_length=80)  # e.g. "claim:12"
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    active: bool = True
    lemmas: list[str] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
