"""A referral between two services of the network, with the minimum data set a receiving service
needs to decide (who, why, what is asked, how urgent, on which basis data are shared, whom to call)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field

from ivc.database.base import Tracked
from ivc.database.types import UTCDateTime
from ivc.person.models import ReferralSource


class Service(StrEnum):
    """Services that send and receive referrals: the IVC service plus the referral sources."""

    IVC = "ivc"
    SOCIAL_SERVICES = ReferralSource.SOCIAL_SERVICES.value
    CPI = ReferralSource.CPI.value
    CPIA = ReferralSource.CPIA.value
    PENAL_SERVICES = ReferralSource.PENAL_SERVICES.value
    HEALTH_SERVICES = ReferralSource.HEALTH_SERVICES.value
    PREFETTURA = ReferralSource.PREFETTURA.value
    RECEPTION_CENTRE = ReferralSource.RECEPTION_CENTRE.value


class Urgency(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class ConsentBasis(StrEnum):
    """Why the person's data may travel with the referral (GDPR art. 6)."""

    PUBLIC_TASK = "public_task"  # art. 6(1)(e): the service's institutional task
    CONSENT = "consent"  # art. 6(1)(a): the person agreed to this referral
    LEGAL_OBLIGATION = "legal_obligation"  # art. 6(1)(c), e.g. a court order


class ReferralStatus(StrEnum):
    SENT = "sent"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


# Which status each response leads from: everything else is refused.
TRANSITIONS: dict[str, tuple[frozenset[ReferralStatus], ReferralStatus]] = {
    "accept": (frozenset({ReferralStatus.SENT}), ReferralStatus.ACCEPTED),
    "refuse": (frozenset({ReferralStatus.SENT}), ReferralStatus.REFUSED),
    "complete": (frozenset({ReferralStatus.ACCEPTED}), ReferralStatus.COMPLETED),
    "withdraw": (frozenset({ReferralStatus.SENT, ReferralStatus.ACCEPTED}), ReferralStatus.WITHDRAWN),
}


class Referral(Tracked, table=True):
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    from_service: str = Field(max_length=32, index=True)
    to_service: str = Field(max_length=32, index=True)
    reason: str = Field(max_length=2000)
    request: str = Field(max_length=2000)  # what the receiving service is asked to do
    urgency: str = Field(default=Urgency.NORMAL.value, max_length=12)
    consent_basis: str = Field(max_length=24)
    consent_record_id: int | None = Field(default=None, foreign_key="consentrecord.id")
    contact_operator: str = Field(max_length=200)  # name or username to call at the sending service
    contact_details: str | None = Field(default=None, max_length=200)
    status: str = Field(default=ReferralStatus.SENT.value, max_length=12, index=True)
    sent_at: datetime = Field(sa_type=UTCDateTime)
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    responded_by: str | None = Field(default=None, max_length=64)
    refusal_reason: str | None = Field(default=None, max_length=2000)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # completed or withdrawn
    closed_by: str | None = Field(default=None, max_length=64)
    closing_note: str | None = Field(default=None, max_length=2000)
