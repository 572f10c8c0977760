"""A service agreement: versioned text, the person's declaration of truthfulness, the calendar."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from ivc.database.base import Tracked
from ivc.database.types import UTCDateTime


class ServiceAgreement(Tracked, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", unique=True)
    text_version: str = Field(max_length=20)
    language: str = Field(max_length=12)
    calendar: str | None = Field(default=None, max_length=2000)
    declaration_of_truth: bool = False
    informed_of_sample_checks: bool = False
    signed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    signed_how: str | None = Field(default=None, max_length=20)  # click | paper
    scan_evidence_id: int | None = Field(default=None, foreign_key="evidenceitem.id")
    recorded_by: str | None = Field(default=None, max_length=64)
