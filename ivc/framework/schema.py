"""The schema of repertory files in ``frameworks/<name>/`` (YAML), validated on load.

Layout: ``framework.yaml`` (code, name, publisher, version, sectors…) and one file per
qualification in ``qualifications/<CODE>.yaml``. Every multilingual text is a map of language
code to text and must hold Italian.
"""

from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_ESCO_SKILL = re.compile(r"^http://data\.europa\.eu/esco/skill/[0-9a-f-]{36}$")
_ESCO_OCC = re.compile(r"^http://data\.europa\.eu/esco/occupation/[0-9a-f-]{36}$")


def _needs_italian(value: dict[str, str]) -> dict[str, str]:
    if not value.get("it", "").strip():
        raise ValueError("an Italian text ('it') is required")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SectorSpec(Strict):
    code: str
    name: dict[str, str]


class FrameworkSpec(Strict):
    code: str = Field(min_length=1, max_length=40)
    name: dict[str, str]
    publisher: str
    version: str = Field(min_length=1, max_length=40)
    valid_from: date | None = None
    valid_to: date | None = None
    languages: list[str] = Field(default_factory=lambda: ["it"])
    source: str | None = None
    esco_version: str | None = None
    sectors: list[SectorSpec] = Field(default_factory=list)

    _it = field_validator("name")(_needs_italian)


class CompetenceSpec(Strict):
    code: str = Field(min_length=1, max_length=60)
    title: dict[str, str]
    description: dict[str, str] = Field(default_factory=dict)
    performance_indicators: list[dict[str, str]] = Field(default_factory=list)
    abilities: list[dict[str, str]] = Field(default_factory=list)
    knowledge: list[dict[str, str]] = Field(default_factory=list)
    ada: list[str] = Field(default_factory=list)
    esco_skills: list[str] = Field(default_factory=list)
    keywords: dict[str, list[str]] = Field(default_factory=dict)

    _it = field_validator("title")(_needs_italian)

    @field_validator("esco_skills")
    @classmethod
    def _skills(cls, value: list[str]) -> list[str]:
        for uri in value:
            if not _ESCO_SKILL.match(uri):
                raise ValueError(f"not an ESCO skill URI: {uri}")
        return value


class QualificationSpec(Strict):
    code: str = Field(min_length=1, max_length=40)
    title: dict[str, str]
    description: dict[str, str] = Field(default_factory=dict)
    eqf_level: int = Field(ge=1, le=8)
    sector: str | None = None
    ada: list[str] = Field(default_factory=list)
    cp_istat: list[str] = Field(default_factory=list)
    ateco: list[str] = Field(default_factory=list)
    regulated_profession: bool = False
    min_training_hours: int | None = Field(default=None, ge=0)
    esco_occupations: list[str] = Field(default_factory=list)
    competences: list[CompetenceSpec] = Field(min_length=1)

    _it = field_validator("title")(_needs_italian)

    @field_validator("esco_occupations")
    @classmethod
    def _occupations(cls, value: list[str]) -> list[str]:
        for uri in value:
            if not _ESCO_OCC.match(uri):
                raise ValueError(f"not an ESCO occupation URI: {uri}")
        return value

    @model_validator(mode="after")
    def _codes(self) -> QualificationSpec:
        seen: set[str] = set()
        for comp in self.competences:
            if comp.code in seen:
                raise ValueError(f"competence code {comp.code} appears twice")
            seen.add(comp.code)
        return self
