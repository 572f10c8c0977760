"""Audit events. Append-only; hash chaining arrives with the trust issue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Column, Field, SQLModel

from ivc.database.core import utcnow
from ivc.database.types import JSONType, UTCDateTime


class AuditEvent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=64, index=True)
    actor_role: str = Field(max_length=32)
    on_behalf_of: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=80, index=True)
    entity: str = Field(max_length=40)
    entity_id: str | None = Field(default=None, max_length=64)
    case_id: int | None = Field(default=None, index=True)
    territory: str | None = Field(default=None, max_length=16, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
