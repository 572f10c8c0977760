"""User accounts: role, districts, languages, and the local sign-in (argon2 hash, lockout); the
web interface's server-side sessions and their one-time tickets."""

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


class WebSession(SQLModel, table=True):
    """A signed-in browser of the web interface (ivc/auth/websession.py). The browser holds a
    random token in an HttpOnly cookie; only its SHA-256 is stored here."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    username: str = Field(max_length=64, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # signed_out, expired, password_changed, disabled
    end_reason: str | None = Field(default=None, max_length=20)
    user_agent: str | None = Field(default=None, max_length=300)
    ip: str | None = Field(default=None, max_length=64)


class WebSessionTicket(SQLModel, table=True):
    """A one-time ticket, valid for a minute, that the browser exchanges for the session cookie
    right after a password sign-in (the Streamlit script cannot set an HttpOnly cookie itself).
    Only its SHA-256 is stored."""

    id: int | None = Field(default=None, primary_key=True)
    ticket_hash: str = Field(max_length=64, unique=True, index=True)
    username: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
