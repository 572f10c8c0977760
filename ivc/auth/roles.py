"""The roles of the IVC network and what each may see.

The professional functions follow D.Lgs 13/2013 art. 7 and common regional practice: the
accompaniment expert (operator, "EA") guides identification; assessors (method "EV" and sector
"ES" experts) assess; ALFA reviewers run validation and certification queues and issue documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    OPERATOR = "operator"  # tecnico di accompagnamento (EA)
    MEDIATOR = "mediator"  # mediatore interculturale / facilitatore linguistico
    ASSESSOR = "assessor"  # esperto di valutazione (EV) o di settore (ES)
    ALFA_REVIEWER = "alfa_reviewer"
    CPI_ADVISOR = "cpi_advisor"
    MONITORING = "monitoring"
    ADMIN = "admin"
    SYSTEM = "system"  # automated steps run by flows on behalf of a requesting person
    # The person served, signed in to their own space with a personal access code
    # (ivc/personspace): no staff permission, only their own records.
    PERSON = "person"


# Roles whose users work on cases of every district (regional bodies).
REGION_WIDE_ROLES = frozenset({Role.ALFA_REVIEWER, Role.ASSESSOR, Role.ADMIN, Role.SYSTEM})


@dataclass(frozen=True)
class Actor:
    """Who is doing something, as services see it."""

    username: str
    role: Role
    districts: frozenset[str] = field(default_factory=frozenset)

    @property
    def region_wide(self) -> bool:
        return self.role in REGION_WIDE_ROLES

    def can_work_in(self, district: str) -> bool:
        return self.region_wide or district in self.districts

    @property
    def person_id(self) -> int | None:
        """The person this actor is, for a person signed in to their own space; else None."""
        if self.role is not Role.PERSON or not self.username.startswith(PERSON_PREFIX):
            return None
        tail = self.username[len(PERSON_PREFIX) :]
        return int(tail) if tail.isdigit() else None


SYSTEM_ACTOR = Actor("system", Role.SYSTEM)
PERSON_PREFIX = "person:"


def person_actor(person_id: int) -> Actor:
    """The actor of a person in their own space: ``person:<id>``, no districts, no staff role."""
    return Actor(f"{PERSON_PREFIX}{int(person_id)}", Role.PERSON)
