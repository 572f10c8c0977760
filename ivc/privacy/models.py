"""The record of each erasure: what was removed (counts), what was kept and why. It holds no
erased data, so it can be shown to the person and to the data protection officer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Column, Field, SQLModel

from ivc.database.core import utcnow
from ivc.database.types import JSONType, UTCDateTime


class ErasureRecord(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(index=True)  # the emptied person row; no foreign key on purpose
    case_id: int | None = Field(default=None, index=True)  # set when one case was erased
    scope: str = Field(max_length=20)  # person | case | evidence
    reason: str = Field(max_length=80)  # request | retention:<rule>
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str = Field(max_length=64)
    removed: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    # [{"what": "...", "why": "..."}]
    kept: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    # Blob keys to delete once the erasure committed (a crash in between leaves them here for the
    # next run); emptied when done.
    pending_blobs: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
