"""Evidence items and what they support (experiences and claims)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ivc.database.base import Tracked


class EvidenceKind(StrEnum):
    FILE = "file"
    NOTE = "note"


class EvidenceType(StrEnum):
    DOCUMENT = "document"
    FOREIGN_TITLE = "foreign_title"
    FOREIGN_TITLE_TRANSLATED = "foreign_title_translated"
    EMPLOYER_STATEMENT = "employer_statement"
    TESTIMONY = "testimony"
    SELF_DECLARATION = "self_declaration"
    PHOTO_OR_VIDEO = "photo_or_video"
    PRACTICAL_TEST = "practical_test"
    INTERVIEW_NOTE = "interview_note"
    SIGNED_FORM = "signed_form"


class EvidenceItem(Tracked, table=True):
    __table_args__ = (UniqueConstraint("case_id", "sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    kind: str = Field(max_length=10)
    evidence_type: str = Field(max_length=40)
    title: str = Field(max_length=300)
    sha256: str = Field(max_length=64, index=True)  # "where else is this file?" (integrity, duplicates)
    size: int
    media_type: str = Field(max_length=100)
    storage_key: str = Field(max_length=200)
    display_name: str | None = Field(default=None, max_length=255)  # never used as a path


class EvidenceLink(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("evidence_id", "experience_id", "claim_id"),)

    id: int | None = Field(default=None, primary_key=True)
    evidence_id: int = Field(foreign_key="evidenceitem.id", index=True)
    experience_id: int | None = Field(default=None, foreign_key="experience.id")
    claim_id: int | None = Field(default=None, foreign_key="competenceclaim.id")
