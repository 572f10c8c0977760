"""Assessment sessions with their per-competence results, and certification exam sessions."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ivc.crypto.fields import EncryptedText
from ivc.database.base import Tracked


class AssessmentMethod(StrEnum):
    DOSSIER_REVIEW = "analisi_dossier"
    TECHNICAL_INTERVIEW = "colloquio_tecnico"
    PRACTICAL_TEST = "prova_prestazionale"
    OBSERVATION = "osservazione_diretta"


class AssessmentPhase(StrEnum):
    VALIDATION = "validazione"
    CERTIFICATION = "certificazione"


class ResultOutcome(StrEnum):
    POSITIVE = "positivo"
    NEGATIVE = "negativo"


class Assessment(Tracked, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    phase: str = Field(max_length=20)
    method: str = Field(max_length=30)
    assessor: str = Field(max_length=64, index=True)
    held_on: date
    notes: str | None = Field(default=None, sa_type=EncryptedText("assessment.notes"))
    idempotency_key: str = Field(max_length=120, unique=True)


class AssessmentResult(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("assessment_id", "competence_id"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    competence_id: int = Field(foreign_key="competence.id")
    outcome: str = Field(max_length=20)
    notes: str | None = Field(default=None, sa_type=EncryptedText("assessmentresult.notes"))


class ExamSession(Tracked, table=True):
    """The certification exam with its commission (president, method and sector experts)."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", unique=True)
    scheduled_for: date
    place: str = Field(max_length=200)
    president: str = Field(max_length=200)
    method_expert: str = Field(max_length=64)
    sector_expert: str = Field(max_length=64)
