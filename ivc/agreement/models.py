"""A service agreement: versioned text, the person's declaration of truthfulness, the calendar."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Column, Field

from ivc.database.base import Tracked
from ivc.database.types import JSONType, UTCDateTime


class ServiceAgreement(Tracked, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", unique=True)
    # Which text the person was shown: version and language in reference/agreements, and its hash.
    text_version: str = Field(max_length=20)
    language: str = Field(max_length=12)
    text_sha256: str | None = Field(default=None, max_length=64)
    calendar: str | None = Field(default=None, max_length=2000)  # free notes on the calendar
    # [{"date": "2026-12-01", "time": "10:00", "what": "colloquio", "where": "Genova"}]
    calendar_dates: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    declaration_of_truth: bool = False
    informed_of_sample_checks: bool = False
    signed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    signed_how: str | None = Field(default=None, max_length=20)  # click | paper
    scan_evidence_id: int | None = Field(default=None, foreign_key="evidenceitem.id")
    recorded_by: str | None = Field(default=None, max_length=64)
