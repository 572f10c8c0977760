"""User accounts: role, districts, languages, and the local sign-in (argon2 hash, lockout)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import JSON, Column, Field, SQLModel

from ivc.database.core import utcnow
from ivc.database.types import UTCDateTime


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    full_name: str = Field(max_length=200)
    role: str = Field(max_length=32, index=True)
    districts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    email: str | None = Field(default=None, max_length=200, unique=True, index=True)  # matched to an OIDC sign-in
    password_hash: str | None = Field(default=None, max_length=200)
    failed_sign_ins: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
