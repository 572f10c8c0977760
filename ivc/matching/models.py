"""Vacancies and the skills they ask for (ESCO URIs or repertory competence codes)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ivc.database.base import Tracked


class Vacancy(Tracked, table=True):
    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=60, unique=True)
    title: str = Field(max_length=300)
    employer: str = Field(max_length=300)
    esco_occupation: str | None = Field(default=None, max_length=200)
    italian_level: str = Field(default="A2", max_length=8)  # minimum working level of Italian (CEFR)
    start_date: date | None = None
    description: str | None = Field(default=None, max_length=5000)
    open: bool = True


class VacancySkill(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("vacancy_id", "concept_key"),)

    id: int | None = Field(default=None, primary_key=True)
    vacancy_id: int = Field(foreign_key="vacancy.id", index=True)
    concept_key: str = Field(max_length=200, index=True)  # ESCO URI or repertory competence code
    essential: bool = True
