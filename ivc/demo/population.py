"""Read the synthetic population file into validated service inputs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from ivc.experience.service import ExperienceIn
from ivc.person.service import PersonIn

POPULATION = Path(__file__).with_name("population.yaml")

# Where each scripted journey ends: (state, outcome).
JOURNEY_END: dict[str, tuple[str, str | None]] = {
    "in_access": ("accoglienza", None),
    "not_admitted": ("chiuso", "non_ammesso"),
    "withdrawn": ("chiuso", "ritirato"),
    "in_identification": ("individuazione", None),
    "transparency_issued": ("trasparenza_rilasciata", None),
    "transparency_only": ("chiuso", "solo_trasparenza"),
    "in_validation": ("validazione", None),
    "validation_issued": ("validazione_rilasciata", None),
    "validated_partial_stop": ("chiuso", "validazione_parziale"),
    "validated_full_stop": ("chiuso", "validazione_completa"),
    "certification_queue": ("coda_certificazione", None),
    "in_exam": ("esame", None),
    "certified_partial": ("chiuso", "certificazione_parziale"),
    "certified_full": ("chiuso", "certificazione_completa"),
}
JOURNEYS = tuple(JOURNEY_END)
_BEFORE_TRANSPARENCY = frozenset({"in_access", "not_admitted", "withdrawn", "in_identification"})
_VALIDATION_ISSUED = frozenset(
    {
        "validation_issued",
        "validated_partial_stop",
        "validated_full_stop",
        "certification_queue",
        "in_exam",
        "certified_partial",
        "certified_full",
    }
)


def documents_at_end(journey: str) -> frozenset[str]:
    """The document types a person on ``journey`` holds at its end (what a run is checked against)."""
    docs = set()
    if journey not in _BEFORE_TRANSPARENCY:
        docs.add("documento_trasparenza")
    if journey in _VALIDATION_ISSUED:
        docs.add("documento_validazione")
    if journey in ("certified_partial", "certified_full"):
        docs.add("certificato")
    return frozenset(docs)


@dataclass(frozen=True)
class DemoPerson:
    key: str
    person: PersonIn
    target: str
    journey: str
    interview_language: str
    consent_language: str
    experiences: list[ExperienceIn]


def _month(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    year, month = str(value).split("-")[:2]
    return date(int(year), int(month), 1)


def load_population(path: Path = POPULATION) -> list[DemoPerson]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    people = []
    for row in data["people"]:
        guardian = row.get("guardian") or {}
        person = PersonIn(
            given_name=row["given_name"],
            family_name=row["family_name"],
            name_native=row.get("name_native"),
            birth_date=row.get("birth_date"),
            birth_place=row.get("birth_place"),
            gender=row["gender"],
            citizenship=row["citizenship"],
            languages=row.get("languages", []),
            italian_level=row.get("italian_level", "none"),
            phone=row.get("phone"),
            email=row.get("email"),
            codice_fiscale=row.get("codice_fiscale"),
            referral_source=row["referral_source"],
            district=str(row["district"]),
            preferred_language=row.get("consent_language", "it"),
            guardian_name=guardian.get("name"),
            guardian_appointed_by=guardian.get("appointed_by"),
            vulnerabilities=row.get("vulnerabilities", []),
        )
        experiences = [
            ExperienceIn(
                kind=e["kind"],
                title=e["title"],
                place=e.get("where"),
                country=e.get("country"),
                started_on=_month(e.get("start")),
                ended_on=_month(e.get("end")),
                language=e["language"],
                text_original=e["text_original"],
                text_it=e.get("text_it"),
            )
            for e in row["experiences"]
        ]
        if row["journey"] not in JOURNEYS:
            raise ValueError(f"{path}: person {row['key']}: unknown journey {row['journey']!r}")
        people.append(
            DemoPerson(
                key=row["key"],
                person=person,
                target=row["target_qualification"],
                journey=row["journey"],
                interview_language=row.get("interview_language", "it"),
                consent_language=row.get("consent_language", "it"),
                experiences=experiences,
            )
        )
    return people
