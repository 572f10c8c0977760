"""Person and vulnerability records."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import JSON, Column, Field

from ivc.crypto.fields import EncryptedText
from ivc.database.base import Tracked
from ivc.database.types import UTCDateTime


class Gender(StrEnum):
    FEMALE = "F"
    MALE = "M"
    OTHER = "X"


class ReferralSource(StrEnum):
    SOCIAL_SERVICES = "social_services"
    CPI = "cpi"
    CPIA = "cpia"
    PENAL_SERVICES = "penal_services"
    HEALTH_SERVICES = "health_services"
    PREFETTURA = "prefettura"
    RECEPTION_CENTRE = "reception_centre"
    SELF = "self"


class VulnerabilityKind(StrEnum):
    WOMAN_VICTIM_OF_VIOLENCE = "woman_victim_of_violence"
    UNACCOMPANIED_MINOR = "unaccompanied_minor"
    RECENT_FAMILY_REUNIFICATION = "recent_family_reunification"
    DISABILITY_IN_HOUSEHOLD = "disability_in_household"
    OTHER = "other"


CEFR_LEVELS = ("none", "A1", "A2", "B1", "B2", "C1", "C2", "native")


class Person(Tracked, table=True):
    id: int | None = Field(default=None, primary_key=True)
    given_name: str = Field(max_length=200)
    family_name: str = Field(max_length=200)
    name_native: str | None = Field(default=None, max_length=400)
    birth_date: date | None = None
    birth_place: str | None = Field(default=None, max_length=200)
    gender: str = Field(max_length=1)
    citizenship: str = Field(max_length=2, index=True)
    # [{"code": "ar", "level": "native"}, ...]
    languages: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    italian_level: str = Field(default="none", max_length=8)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    codice_fiscale: str | None = Field(default=None, max_length=16, index=True)
    referral_source: str = Field(max_length=32, index=True)
    preferred_language: str = Field(default="it", max_length=12)
    guardian_name: str | None = Field(default=None, max_length=200)
    guardian_appointed_by: str | None = Field(default=None, max_length=200)
    # Set when the person's data was erased: the row stays, empty, so issued documents and the
    # audit log keep pointing at something (see docs/PRIVACY.md).
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class Vulnerability(Tracked, table=True):
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(max_length=40)
    # Special-category detail (health, violence): encrypted at rest.
    note: str | None = Field(default=None, sa_type=EncryptedText("vulnerability.note"))
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
