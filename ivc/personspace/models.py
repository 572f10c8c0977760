"""A person's personal access code (only its hash is kept) and the requests a person sends from
their own space (correction, erasure) to the operators of their district."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field

from ivc.database.base import Tracked
from ivc.database.types import UTCDateTime


class PersonAccessCode(Tracked, table=True):
    """One code handed to a person by an operator. A new code revokes the previous one; a locked
    code refuses every attempt until ``locked_until``, as a staff account does."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    code_hash: str = Field(max_length=64, unique=True, index=True)  # SHA-256 of the normalised code
    failed_sign_ins: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: str | None = Field(default=None, max_length=64)
    # renewed (a new code was issued), revoked (by an operator)
    revoke_reason: str | None = Field(default=None, max_length=20)


class RequestKind(StrEnum):
    CORRECTION = "correction"  # GDPR art. 16
    ERASURE = "erasure"  # GDPR art. 17


class PersonRequest(Tracked, table=True):
    """A person's request about their data, waiting for an operator of their district."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(max_length=20)
    text: str = Field(max_length=2000)
    status: str = Field(default="open", max_length=12, index=True)  # open, closed
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: str | None = Field(default=None, max_length=64)
