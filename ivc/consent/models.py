"""Consent given by a person for one purpose and one recipient, and the log of every view of a
dossier with the consent or the legal basis that allowed it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from ivc.database.base import Tracked
from ivc.database.core import utcnow
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
    # Who may use the data under this consent: an organisation ("cpi", "alfa", "cpia", "employers")
    # optionally narrowed after a colon ("cpi:3" = the job centre of district 3,
    # "employers:ristorazione" = employers of one sector). "cpi" covers every "cpi:…".
    recipient: str = Field(default="rete_ivc", max_length=80, index=True)
    language: str = Field(max_length=12)
    explained_by: str | None = Field(default=None, max_length=64)  # mediator who explained it
    text_version: str = Field(default="1", max_length=20)
    given_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_by: str | None = Field(default=None, max_length=64)
    withdrawal_reason: str | None = Field(default=None, max_length=500)


class DossierAccess(SQLModel, table=True):
    """One view of a person's dossier (or part of it) by someone outside the person's own use:
    who, for which organisation and district, what, and on what basis. Never updated."""

    __table_args__ = (
        CheckConstraint("consent_id IS NOT NULL OR legal_basis IS NOT NULL", name="ck_dossieraccess_basis"),
        Index("ix_dossieraccess_person_at", "person_id", "viewed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    viewed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str = Field(max_length=64, index=True)
    role: str = Field(max_length=32)
    organisation: str = Field(max_length=80)
    district: str | None = Field(default=None, max_length=16)
    person_id: int = Field(foreign_key="person.id")
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    purpose: str = Field(max_length=40)
    what: str = Field(max_length=200)  # e.g. "matching:vacancy VAC-1", "document 12"
    consent_id: int | None = Field(default=None, foreign_key="consentrecord.id", index=True)
    legal_basis: str | None = Field(default=None, max_length=200)
