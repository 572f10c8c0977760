"""Imports every table model so that ``SQLModel.metadata`` is complete (migrations, tests)."""

from ivc.agreement.models import ServiceAgreement
from ivc.assessment.models import Assessment, AssessmentResult, ExamSession
from ivc.audit import sealing as _audit_sealing  # noqa: F401  (chains audit events at commit)
from ivc.audit.models import AuditEvent, AuditHead
from ivc.auth.models import User, WebSession, WebSessionTicket
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
from ivc.mediation.models import InterviewSession, MediatorBooking, MediatorNote, MediatorProfile, Statement
from ivc.participation.models import IntegrationFeedback, LanguageLevel, SupportActivity
from ivc.person.models import Person, Vulnerability
from ivc.personspace.models import PersonAccessCode, PersonRequest
from ivc.privacy.models import ErasureRecord
from ivc.referral.models import Referral
from ivc.reminder.models import ArchiveContest, Notification
from ivc.samplecheck.models import SampleCheck, SampleCheckItem
from ivc.submission.models import FormSubmission
from ivc.territory.models import Territory

__all__ = [
    "ArchiveContest",
    "Assessment",
    "AssessmentResult",
    "AuditEvent",
    "AuditHead",
    "Case",
    "CaseStateEntry",
    "CaseStep",
    "CaseTarget",
    "Competence",
    "CompetenceClaim",
    "ConsentRecord",
    "Decision",
    "DossierAccess",
    "ErasureRecord",
    "EscoConcept",
    "EscoRelation",
    "EscoSuggestion",
    "EvidenceItem",
    "EvidenceLink",
    "ExamSession",
    "Experience",
    "FormSubmission",
    "Framework",
    "FrameworkLabel",
    "ImportRecord",
    "IntegrationFeedback",
    "InterviewSession",
    "IssuedDocument",
    "LanguageLevel",
    "LearnedPhrase",
    "MediatorBooking",
    "MediatorNote",
    "MediatorProfile",
    "Notification",
    "Person",
    "PersonAccessCode",
    "PersonRequest",
    "Qualification",
    "Referral",
    "RegisterCounter",
    "SampleCheck",
    "SampleCheckItem",
    "ServiceAgreement",
    "Statement",
    "SupportActivity",
    "Territory",
    "User",
    "Vacancy",
    "VacancySkill",
    "Vulnerability",
    "WebSession",
    "WebSessionTicket",
]
