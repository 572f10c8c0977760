"""A sample check: the population, the rate and the seed it was drawn with, and per drawn
dossier the outcome of the check."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from ivc.database.base import Tracked
from ivc.database.types import JSONType, UTCDateTime


class CheckOutcome(StrEnum):
    PENDING = "pending"
    COMPLIANT = "compliant"  # the dossier supports what was issued
    IRREGULAR = "irregular"  # something must be corrected (a note says what)
    FALSE_DECLARATION = "false_declaration"  # a declaration proved untrue (DPR 445/2000 art. 75-76)


class SampleCheck(Tracked, table=True):
    id: int | None = Field(default=None, primary_key=True)
    period_start: date
    period_end: date  # exclusive
    document_types: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    rate: float
    seed: int
    population_size: int
    # The case ids of the population, sorted: with the seed, anyone can redraw the same sample.
    population: list[int] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))


class SampleCheckItem(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("check_id", "case_id"),)

    id: int | None = Field(default=None, primary_key=True)
    check_id: int = Field(foreign_key="samplecheck.id", index=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    outcome: str = Field(default=CheckOutcome.PENDING.value, max_length=20)
    notes: str | None = Field(default=None, max_length=2000)
    checked_by: str | None = Field(default=None, max_length=64)
    checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
