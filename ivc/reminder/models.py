"""The outbox of reminders (one row per kind, case and period: sent once) and the person's
contest against archiving."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ivc.database.base import Tracked
from ivc.database.core import utcnow
from ivc.database.types import UTCDateTime


class ReminderKind(StrEnum):
    INACTIVITY_WARNING = "inactivity_warning"
    ARCHIVED = "archived"
    LATE_RESULTS = "late_results"
    MISSING_EVIDENCE = "missing_evidence"


class Notification(SQLModel, table=True):
    """A message waiting in (or sent from) the outbox. The unique key makes every reminder a
    natural key: the job that finds it due again inserts nothing."""

    __table_args__ = (UniqueConstraint("kind", "case_id", "period", "recipient"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40, index=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    period: str = Field(max_length=40)  # which occurrence: e.g. "since:2026-01-10", "due:2026-03-01"
    # A staff username, a role queue ("role:assessor") or the person ("person", resolved by the
    # sender from the case at sending time, so no address is stored here).
    recipient: str = Field(max_length=80)
    subject: str = Field(max_length=200)
    body: str = Field(max_length=2000)
    link: str = Field(max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)


class ContestStatus(StrEnum):
    PENDING = "pending"
    UPHELD = "upheld"  # the case stays open: the inactivity clock starts again
    REJECTED = "rejected"


class ArchiveContest(Tracked, table=True):
    """The person objects to archiving (or to the warning): archiving stops until reviewed."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    reason: str = Field(max_length=2000)
    status: str = Field(default=ContestStatus.PENDING.value, max_length=12, index=True)
    reviewed_by: str | None = Field(default=None, max_length=64)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    review_note: str | None = Field(default=None, max_length=2000)
