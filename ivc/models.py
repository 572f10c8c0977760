"""Imports every table model so that ``SQLModel.metadata`` is complete (migrations, tests)."""

from ivc.agreement.models import ServiceAgreement
from ivc.assessment.models import Assessment, AssessmentResult, ExamSession
from ivc.audit.models import AuditEvent
from ivc.auth.models import User
from ivc.case.models import Case, CaseStateEntry, CaseStep, CaseTarget
from ivc.claim.models import CompetenceClaim
from ivc.consent.models import ConsentRecord, DossierAccess
from ivc.decision.models import Decision
from ivc.document.models import IssuedDocument, RegisterCounter
from ivc.evidence.models import EvidenceItem, EvidenceLink
from ivc.experience.models import Experience
from ivc.framework.models import (
    Competence,
    EscoConcept,
    EscoRelation,
    Framework,
    FrameworkLabel,
    ImportRecord,
    Qualification,
)
from ivc.mapping.models import EscoSuggestion, LearnedPhrase
from ivc.matching.models import Vacancy, VacancySkill
from ivc.person.models import Person, Vulnerability
from ivc.reminder.models import ArchiveContest, Notification
from ivc.samplecheck.models import SampleCheck, SampleCheckItem
from ivc.territory.models import Territory

__all__ = [
    "ArchiveContest",
    "Assessment",
    "AssessmentResult",
    "AuditEvent",
    "Case",
    "CaseStateEntry",
    "CaseStep",
    "CaseTarget",
    "Competence",
    "CompetenceClaim",
    "ConsentRecord",
    "Decision",
    "DossierAccess",
    "EscoConcept",
    "EscoRelation",
    "EscoSuggestion",
    "EvidenceItem",
    "EvidenceLink",
    "ExamSession",
    "Experience",
    "Framework",
    "FrameworkLabel",
    "ImportRecord",
    "IssuedDocument",
    "LearnedPhrase",
    "Notification",
    "Person",
    "Qualification",
    "RegisterCounter",
    "SampleCheck",
    "SampleCheckItem",
    "ServiceAgreement",
    "Territory",
    "User",
    "Vacancy",
    "VacancySkill",
    "Vulnerability",
]
