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


class EscoConcept(SQLModel, table=True):
    """An ESCO skill or occupation of one imported ESCO version. Labels live in ``FrameworkLabel``."""

    __table_args__ = (UniqueConstraint("framework_id", "uri"),)

    id: int | None = Field(default=None, primary_key=True)
    framework_id: int = Field(foreign_key="framework.id", index=True)
    uri: str = Field(max_length=200, index=True)
    concept_type: str = Field(max_length=20, index=True)  # skill | occupation
    skill_type: str | None = Field(default=None, max_length=40)
    reuse_level: str | None = Field(default=None, max_length=40)
    isco_group: str | None = Field(default=None, max_length=10)
    code: str | None = Field(default=None, max_length=40, index=True)
    status: str | None = Field(default=None, max_length=20)
    modified: str | None = Field(default=None, max_length=40)
    descriptions: Texts = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))


class EscoRelation(SQLModel, table=True):
    """Occupation–skill relation (essential or optional) of one ESCO version."""

    __table_args__ = (UniqueConstraint("framework_id", "occupation_uri", "skill_uri"),)

    id: int | None = Field(default=None, primary_key=True)
    framework_id: int = Field(foreign_key="framework.id", index=True)
    occupation_uri: str = Field(max_length=200, index=True)
    skill_uri: str = Field(max_length=200, index=True)
    relation_type: str = Field(max_length=20)
    skill_type: str | None = Field(default=None, max_length=40)


class FrameworkLabel(SQLModel, table=True):
    """Every label of every framework concept, per language, with its folded form for
    accent- and case-insensitive search (the same on SQLite and PostgreSQL)."""

    id: int | None = Field(default=None, primary_key=True)
    framework_id: int = Field(foreign_key="framework.id", index=True)
    entity: str = Field(max_length=20)  # qualification | competence | skill | occupation
    entity_key: str = Field(max_length=200, index=True)  # code, or ESCO URI
    lang: str = Field(max_length=12)
    kind: str = Field(max_length=10)  # preferred | alt | hidden
    text: str = Field(max_length=1000)
    folded: str = Field(max_length=1000, index=True)


class ImportRecord(SQLModel, table=True):
    """One imported file: re-importing the same content is a no-op; other content under the
    same version and language is refused."""

    __table_args__ = (UniqueConstraint("framework_id", "kind", "lang"),)

    id: int | None = Field(default=None, primary_key=True)
    framework_id: int = Field(foreign_key="framework.id", index=True)
    kind: str = Field(max_length=40)  # skills | occupations | relations
    lang: str = Field(max_length=12)
    file_name: str = Field(max_length=300)
    sha256: str = Field(max_length=64)
    rows: int
    imported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
