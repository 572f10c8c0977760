"""A claim links a case to a framework competence and carries its status through the path."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Column, Field

from ivc.database.base import Tracked
from ivc.database.types import JSONType, UTCDateTime


class ClaimStatus(StrEnum):
    SUGGESTED = "suggested"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    VALIDATED = "validated"
    NOT_VALIDATED = "not_validated"
    CERTIFIED = "certified"
    NOT_CERTIFIED = "not_certified"


class ClaimSource(StrEnum):
    OPERATOR = "operator"
    NLP = "nlp"


class CompetenceClaim(Tracked, table=True):
    __table_args__ = (UniqueConstraint("case_id", "competence_id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    competence_id: int = Field(foreign_key="competence.id", index=True)
    framework_id: int = Field(foreign_key="framework.id")
    status: str = Field(default=ClaimStatus.SUGGESTED.value, max_length=20, index=True)
    source: str = Field(max_length=20)
    score: float | None = None
    # [{"experience_id": 1, "start": 0, "end": 10, "text": "...", "field": "text_it"}]
    rationale: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    experience_ids: list[int] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    reviewed_by: str | None = Field(default=None, max_length=64)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
