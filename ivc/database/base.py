"""Shared fields: every record says when it was made, by whom, and which territory it belongs to."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ivc.database.core import utcnow
from ivc.database.types import UTCDateTime


class Tracked(SQLModel):
    """Mixin for records that carry provenance (who, when, which ASL district)."""

    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(max_length=64, index=True)
    territory: str = Field(max_length=16, index=True)
