"""Consent given by a person for one purpose."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field

from ivc.database.base import Tracked
from ivc.database.types import UTCDateTime


class ConsentPurpose(StrEnum):
    # The IVC service itself rests on a public-interest task (GDPR 6(1)(e)); this records that the
    # information notice was given and understood, which the path requires before identification.
    IVC_SERVICE = "ivc_service"
    JOB_MATCHING = "job_matching"
    TRAINING_OFFERS = "training_offers"
    EMPLOYER_CONTACT = "employer_contact"
    MONITORING_FOLLOW_UP = "monitoring_follow_up"


class ConsentRecord(Tracked, table=True):
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    purpose: str = Field(max_length=40, index=True)
    language: str = Field(max_length=12)
    explained_by: str | None = Field(default=None, max_length=64)  # mediator who explained it
    text_version: str = Field(default="1", max_length=20)
    given_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_by: str | None = Field(default=None, max_length=64)
    withdrawal_reason: str | None = Field(default=None, max_length=500)
