"""Case, its state history, its target qualifications and its ledger of automated steps."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from ivc.case.states import Activity, CaseState
from ivc.crypto.fields import EncryptedText
from ivc.database.base import Tracked
from ivc.database.core import utcnow
from ivc.database.types import JSONType, UTCDateTime


class Case(Tracked, table=True):
    # The work queues list cases of some states by time in state, per district.
    __table_args__ = (
        Index("ix_case_state_entered", "state", "state_entered_at"),
        Index("ix_case_territory_state_entered", "territory", "state", "state_entered_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    framework_id: int = Field(foreign_key="framework.id")  # the repertory version the case cites
    state: str = Field(default=CaseState.ACCESS.value, max_length=40, index=True)
    state_entered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    outcome: str | None = Field(default=None, max_length=40, index=True)
    operator: str = Field(max_length=64, index=True)  # accompanying expert (EA)
    mediator: str | None = Field(default=None, max_length=64)
    interview_language: str = Field(default="it", max_length=12)
    # Facet: activity, and what the case waits for (a human step) and on which role.
    activity: str = Field(default=Activity.ACTIVE.value, max_length=16, index=True)
    waiting_for: str | None = Field(default=None, max_length=60)
    waiting_role: str | None = Field(default=None, max_length=32)
    # A person's request that a flow carries out (e.g. issue a document).
    requested_action: str | None = Field(default=None, max_length=40)
    requested_by: str | None = Field(default=None, max_length=64)
    requested_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Four eyes: the second reviewer who approved the pending request.
    approved_by: str | None = Field(default=None, max_length=64)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Who in the ALFA queue has taken the case in hand.
    assignee: str | None = Field(default=None, max_length=64, index=True)
    attention: str | None = Field(default=None, max_length=1000)  # why a request could not be done
    # Facet: withdrawal.
    # Reasons may tell health or judicial facts: encrypted at rest.
    withdrawal_reason: str | None = Field(default=None, sa_type=EncryptedText("case.withdrawal_reason"))
    withdrawal_requested_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawal_confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawal_confirmed_by: str | None = Field(default=None, max_length=64)
    # Facet: suspension.
    suspension_reason: str | None = Field(default=None, sa_type=EncryptedText("case.suspension_reason"))
    suspended_until: date | None = None
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # personal data erased
    version: int = Field(default=1)


class CaseTarget(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("case_id", "qualification_id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    qualification_id: int = Field(foreign_key="qualification.id")
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    added_by: str = Field(max_length=64)


class CaseStateEntry(SQLModel, table=True):
    """One row per state a case entered: time-in-state is ``left_at - entered_at``."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    state: str = Field(max_length=40, index=True)
    entered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    left_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    action: str | None = Field(default=None, max_length=40)
    actor: str = Field(max_length=64)


class CaseStep(SQLModel, table=True):
    """Ledger of automated steps done for a case: unique per step, written in the same
    transaction as the step's effects, so a rerun skips what is done."""

    __table_args__ = (UniqueConstraint("case_id", "step"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    step: str = Field(max_length=120)
    done_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
