"""Register people and their vulnerabilities, validating what an intake must hold."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlmodel import Session, select

from ivc.audit import service as audit
from ivc.auth.policy import Permission, authorize
from ivc.auth.roles import Actor
from ivc.errors import NotFound, ValidationFailed
from ivc.person.models import CEFR_LEVELS, Gender, Person, ReferralSource, Vulnerability, VulnerabilityKind
from ivc.territory.service import require_territory
from ivc.text import LANGUAGE_CODE, forbidden_char

_CF = re.compile(r"^[A-Z0-9]{16}$")
_LANG = LANGUAGE_CODE


class LanguageSpoken(BaseModel):
    code: str
    level: str = "native"

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        value = value.strip().lower()
        if not _LANG.match(value):
            raise ValueError(f"not a language code: {value!r}")
        return value

    @field_validator("level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value not in CEFR_LEVELS:
            raise ValueError(f"level must be one of {', '.join(CEFR_LEVELS)}")
        return value


def _refuse_hidden(value: str, allow: str = "") -> str:
    """NUL, other control characters, lone surrogates and bidi overrides are refused, not
    silently dropped: the operator sees the field and can retype it."""
    bad = forbidden_char(value, allow)
    if bad is not None:
        raise ValueError(f"holds an invisible control character (U+{ord(bad):04X})")
    return value


class VulnerabilityIn(BaseModel):
    kind: VulnerabilityKind
    note: str | None = Field(default=None, max_length=2000)

    @field_validator("note")
    @classmethod
    def _note(cls, value: str | None) -> str | None:
        return _refuse_hidden(value, "\n\t") if value is not None else None


class PersonIn(BaseModel):
    """What an intake records about a person (validated before anything is stored)."""

    given_name: str = Field(min_length=1, max_length=200)
    family_name: str = Field(min_length=1, max_length=200)
    name_native: str | None = Field(default=None, max_length=400)
    birth_date: date | None = None
    birth_place: str | None = Field(default=None, max_length=200)
    gender: Gender
    citizenship: str = Field(min_length=2, max_length=2)
    languages: list[LanguageSpoken] = Field(default_factory=list)
    italian_level: str = "none"
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    codice_fiscale: str | None = None
    referral_source: ReferralSource
    district: str
    preferred_language: str = "it"
    guardian_name: str | None = Field(default=None, max_length=200)
    guardian_appointed_by: str | None = Field(default=None, max_length=200)
    vulnerabilities: list[VulnerabilityIn] = Field(default_factory=list)

    @field_validator("given_name", "family_name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = " ".join(_refuse_hidden(value, " \t\n\r").split())
        if not value:
            raise ValueError("name is empty")
        return value

    @field_validator("name_native", "birth_place", "phone", "email", "guardian_name", "guardian_appointed_by")
    @classmethod
    def _line(cls, value: str | None) -> str | None:
        """One line of text: whitespace collapsed, blank is absent."""
        if value is None:
            return None
        return " ".join(_refuse_hidden(value, " \t\n\r").split()) or None

    @field_validator("citizenship")
    @classmethod
    def _citizenship(cls, value: str) -> str:
        value = value.strip().upper()
        if not value.isalpha() or len(value) != 2:
            raise ValueError("citizenship must be an ISO 3166-1 alpha-2 code")
        return value

    @field_validator("italian_level")
    @classmethod
    def _italian(cls, value: str) -> str:
        if value not in CEFR_LEVELS:
            raise ValueError(f"Italian level must be one of {', '.join(CEFR_LEVELS)}")
        return value

    @field_validator("codice_fiscale")
    @classmethod
    def _cf(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().upper()
        # Provisional codes of 11 digits are issued at first access to some people.
        if not (_CF.match(value) or (value.isdigit() and len(value) == 11)):
            raise ValueError("codice fiscale must have 16 characters (or 11 digits if provisional)")
        return value

    @field_validator("birth_date")
    @classmethod
    def _birth(cls, value: date | None) -> date | None:
        if value is None:
            return None
        today = date.today()
        if value > today or value.year < today.year - 110:
            raise ValueError("birth date is in the future or implausibly old")
        return value

    def age_on(self, on: date) -> int | None:
        if self.birth_date is None:
            return None
        b = self.birth_date
        return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


def register_person(session: Session, data: PersonIn, actor: Actor) -> Person:
    authorize(actor, Permission.INTAKE, data.district)
    require_territory(session, data.district)
    if data.codice_fiscale:
        # One person, one record: a second intake with the same code is the same person (found
        # by any district: the code is national); say so instead of splitting their history.
        other = session.exec(select(Person.id).where(Person.codice_fiscale == data.codice_fiscale)).first()
        if other is not None:
            raise ValidationFailed(
                "a person with this codice fiscale is already registered",
                code="person_duplicate",
                field="codice_fiscale",
                person_id=other,
            )
    age = data.age_on(date.today())
    is_minor = age is not None and age < 18
    if is_minor and not data.guardian_name:
        raise ValidationFailed("a minor needs a guardian (tutore) on record", field="guardian_name")
    fields: dict[str, Any] = data.model_dump(exclude={"vulnerabilities", "district", "languages"})
    fields["gender"] = data.gender.value
    fields["referral_source"] = data.referral_source.value
    person = Person(
        **fields,
        languages=[lang.model_dump() for lang in data.languages],
        territory=data.district,
        created_by=actor.username,
    )
    session.add(person)
    session.flush()
    assert person.id is not None
    for vuln in data.vulnerabilities:
        session.add(
            Vulnerability(
                person_id=person.id,
                kind=vuln.kind.value,
                note=vuln.note,
                territory=data.district,
                created_by=actor.username,
            )
        )
    audit.record(
        session,
        actor,
        "person.registered",
        entity="person",
        entity_id=person.id,
        territory=data.district,
        after={"citizenship": person.citizenship, "referral_source": person.referral_source},
    )
    session.flush()
    return person


def get_person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}", entity="person", key=person_id)
    return person


def vulnerabilities(session: Session, person_id: int, actor: Actor) -> list[Vulnerability]:
    """A person's vulnerabilities (special-category data) for display: only to someone who works
    in the person's district, and every look is in the audit log (the fields, not the values)."""
    person = get_person(session, person_id)
    authorize(actor, Permission.CASE_READ, person.territory)
    found = list(session.exec(select(Vulnerability).where(Vulnerability.person_id == person_id)))
    audit.record_read(
        session,
        actor,
        entity="person",
        entity_id=person_id,
        territory=person.territory,
        fields=["vulnerability.kind", "vulnerability.note"],
        count=len(found),
    )
    return found
