"""Audit events, append-only and hash-chained (``ivc.audit.chain``), and the chain's head row.

``seq``, ``prev_hash`` and ``hash`` are empty while the writing transaction is open and are set at
its commit (``ivc.audit.sealing``), so chain positions follow commit order and a rollback leaves
no gap. ``audithead`` holds the last position: the row every committing writer locks last."""

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
    seq: int | None = Field(default=None, unique=True, index=True)
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64)


class AuditHead(SQLModel, table=True):
    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(max_length=64)
