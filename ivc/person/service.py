"""Register people and their vulnerabilities, validating what an intake must hold.

Countries and languages are ISO codes (``ivc.person.iso``: pickers and checks); gender has no
default (the operator chooses it); a second intake of someone already registered is refused
(same codice fiscale) or held back for confirmation (same name and birth date).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import ColumnElement
from sqlmodel import Session, col, or_, select

from ivc.audit import service as audit
from ivc.auth.policy import Permission, authorize
from ivc.auth.roles import Actor
from ivc.case.models import Case
from ivc.errors import DomainError, NotFound, ValidationFailed
from ivc.person import taxcode
from ivc.person.iso import country_code, language_code
from ivc.person.models import CEFR_LEVELS, Gender, Person, ReferralSource, Vulnerability, VulnerabilityKind
from ivc.territory.service import require_territory
from ivc.text import forbidden_char

_CF = re.compile(r"^[A-Z0-9]{16}$")


class LanguageSpoken(BaseModel):
    code: str  # ISO 639-1, else 639-3 (``ivc.person.iso.languages`` offers them)
    level: str = "native"

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        return language_code(value, "languages")

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
    gender: Gender  # required: no default, the operator chooses
    citizenship: str  # ISO 3166-1 alpha-2 (``ivc.person.iso.countries`` offers them)
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
        return country_code(value, "citizenship")

    @field_validator("preferred_language")
    @classmethod
    def _preferred(cls, value: str) -> str:
        return language_code(value, "preferred_language")

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
        if len(value) == 16 and (wrong := taxcode.problem(value)):
            raise ValueError(f"codice fiscale {value}: {wrong}")
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


def normalised_name(given: str, family: str) -> str:
    """A name as duplicates are compared: case, accents, apostrophes, hyphens and spacing aside
    ("Ben-Salah  AMÌNA" and "ben salah Amina" are the same; the order of the parts is kept)."""
    text = unicodedata.normalize("NFKD", f"{given} | {family}")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    for mark in "-'\u2019\u2018\u02bc.,":
        text = text.replace(mark, " ")
    return " ".join(text.split())


def likely_duplicates(session: Session, data: PersonIn, actor: Actor) -> list[Person]:
    """People already registered that this intake may be again, among those the actor may see
    (registered in, or with a case in, one of the actor's districts; every district for
    region-wide roles): the same codice fiscale, or the same name (case, accents and spacing
    aside) and the same birth date (both unknown counts as the same). Erased people are left out.
    Oldest first."""
    authorize(actor, Permission.INTAKE, data.district)
    wanted = normalised_name(data.given_name, data.family_name)
    match: ColumnElement[bool] = (
        col(Person.birth_date) == data.birth_date if data.birth_date else col(Person.birth_date).is_(None)
    )
    if data.codice_fiscale:
        match = or_(match, Person.codice_fiscale == data.codice_fiscale)
    stmt = select(Person).where(match, col(Person.erased_at).is_(None))
    if not actor.region_wide:
        districts = sorted(actor.districts)
        in_cases = select(Case.person_id).where(col(Case.territory).in_(districts))
        stmt = stmt.where(or_(col(Person.territory).in_(districts), col(Person.id).in_(in_cases)))
    return [
        p
        for p in session.exec(stmt.order_by(col(Person.id)))
        if (data.codice_fiscale and p.codice_fiscale == data.codice_fiscale)
        or (
            normalised_name(p.given_name, p.family_name) == wanted
            # two different tax codes are two people, whatever their names
            and not (data.codice_fiscale and p.codice_fiscale and p.codice_fiscale != data.codice_fiscale)
        )
    ]


def register_person(session: Session, data: PersonIn, actor: Actor, *, confirmed_new: bool = False) -> Person:
    """Register a person at intake. Refused (``person_duplicate``) when the codice fiscale is
    already registered, in any district: one code, one person. Refused (``possible_duplicate``,
    with the ``ids`` of the people found) when ``likely_duplicates`` finds someone with the same
    name and birth date, unless the operator checked them and confirmed a different person
    (``confirmed_new=True``): homonyms exist, a second click on "save" is not one."""
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
    if not confirmed_new:
        found = likely_duplicates(session, data, actor)
        if found:
            ids = [p.id or 0 for p in found]
            raise DomainError(
                f"possibly already registered: person {', '.join(map(str, ids))} has the same name and birth date; "
                "check, and confirm a different person to register anyway",
                code="possible_duplicate",
                ids=ids,
                count=len(ids),
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
        after={
            "citizenship": person.citizenship,
            "referral_source": person.referral_source,
            **({"confirmed_new": True} if confirmed_new else {}),
        },
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
