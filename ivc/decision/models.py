"""A decision is a record, never an overwritten field: a revoked decision stays, with its reason."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field

from ivc.database.base import Tracked
from ivc.database.types import UTCDateTime


class DecisionKind(StrEnum):
    ADMISSIBILITY = "ammissibilita"
    VALIDATION = "validazione"
    CERTIFICATION = "certificazione"


ALLOWED_OUTCOMES: dict[DecisionKind, frozenset[str]] = {
    DecisionKind.ADMISSIBILITY: frozenset({"ammesso", "non_ammesso"}),
    DecisionKind.VALIDATION: frozenset({"validata", "non_validata"}),
    DecisionKind.CERTIFICATION: frozenset({"certificata", "non_certificata"}),
}


class Decision(Tracked, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    kind: str = Field(max_length=20, index=True)
    competence_id: int | None = Field(default=None, foreign_key="competence.id")
    outcome: str = Field(max_length=20)
    comment: str | None = Field(default=None, max_length=5000)
    evidence_id: int | None = Field(default=None, foreign_key="evidenceitem.id")
    decided_by: str = Field(max_length=64)
    decided_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: str | None = Field(default=None, max_length=64)
    revocation_reason: str | None = Field(default=None, max_length=2000)
