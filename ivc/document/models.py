"""Issued documents and the per-year register counters that number them without gaps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from ivc.database.base import Tracked
from ivc.database.types import JSONType, UTCDateTime


class RegisterCounter(SQLModel, table=True):
    doc_type: str = Field(primary_key=True, max_length=40)
    year: int = Field(primary_key=True)
    last: int = 0


class IssuedDocument(Tracked, table=True):
    __table_args__ = (
        UniqueConstraint("case_id", "doc_type", "revision"),
        UniqueConstraint("doc_type", "register_year", "register_seq"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    doc_type: str = Field(max_length=40, index=True)
    revision: int = 1
    number: str = Field(max_length=40, index=True)
    register_year: int
    register_seq: int
    issued_at: datetime = Field(sa_type=UTCDateTime)
    issued_by: str = Field(max_length=64)
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    verification_code: str = Field(max_length=32, unique=True)
    sha256: str = Field(max_length=64)
    size: int
    storage_key: str = Field(max_length=200)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    # Signed shapes: {"twin": …, "vc": …} for every document; "openbadge" and "europass" for certificates.
    credentials: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    # Identity fields beyond the name that the holder chose to show on public verification.
    shared_fields: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: str | None = Field(default=None, max_length=64)
    revocation_reason: str | None = Field(default=None, max_length=2000)
