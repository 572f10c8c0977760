"""Frameworks, qualifications and competence units, versioned.

A framework version is immutable once imported: a new version is a new ``Framework`` row, so a
case that cites a competence of version 1 keeps citing exactly that text.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from ivc.database.core import utcnow
from ivc.database.types import JSONType, UTCDateTime

Texts = dict[str, str]  # language code -> text


class Framework(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, index=True)
    version: str = Field(max_length=40)
    name: Texts = Field(sa_column=Column(JSONType, nullable=False))
    publisher: str = Field(max_length=200)
    kind: str = Field(default="repertory", max_length=20)  # repertory | esco
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    source: str | None = Field(default=None, max_length=1000)
    valid_from: date | None = None
    valid_to: date | None = None
    content_sha256: str = Field(max_length=64)
    imported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))


class Qualification(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("framework_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    framework_id: int = Field(foreign_key="framework.id", index=True)
    code: str = Field(max_length=40, index=True)
    title: Texts = Field(sa_column=Column(JSONType, nullable=False))
    description: Texts = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    eqf_level: int
    sector: str | None = Field(default=None, max_length=20)
    ada: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    cp_istat: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    ateco: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    esco_occupations: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    regulated_profession: bool = False
    min_training_hours: int | None = None


class Competence(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("framework_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    framework_id: int = Field(foreign_key="framework.id", index=True)
    qualification_id: int = Field(foreign_key="qualification.id", index=True)
    code: str = Field(max_length=60, index=True)
    title: Texts = Field(sa_column=Column(JSONType, nullable=False))
    description: Texts = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    performance_indicators: list[Texts] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    abilities: list[Texts] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    knowledge: list[Texts] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    ada: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    esco_skills: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    keywords: dict[str, list[str]] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))


def text_in(texts: Texts, lang: str, fallback: str = "it") -> str:
    """The text in ``lang``, else Italian, else any."""
    return texts.get(lang) or texts.get(fallback) or next(iter(texts.values()), "")
