"""Export of everything held about one person (GDPR art. 15 access, art. 20 portability): a zip
with ``summary.html`` in the person's language (Italian when there is no translation),
``data.json`` with every record, and the evidence files and issued documents themselves.

Records are gathered by following the person's own keys (person → cases → case records), never
by searching, so nothing about anyone else can enter the archive.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlmodel import Session, SQLModel, col

from ivc.agreement.models import ServiceAgreement
from ivc.assessment.models import Assessment, AssessmentResult, ExamSession
from ivc.audit import service as audit
from ivc.audit.models import AuditEvent
from ivc.auth.roles import Actor, Role
from ivc.case.models import Case, CaseStateEntry, CaseTarget
from ivc.claim.models import CompetenceClaim
from ivc.consent.models import ConsentRecord
from ivc.database.core import utcnow
from ivc.decision.models import Decision
from ivc.document.models import IssuedDocument
from ivc.document.recognition import recognition
from ivc.errors import DomainError, NotFound, PermissionDenied
from ivc.evidence.models import EvidenceItem, EvidenceLink
from ivc.evidence.storage import EvidenceStore
from ivc.experience.models import Experience
from ivc.framework.models import Competence, text_in
from ivc.i18n import is_rtl, t
from ivc.mapping.models import EscoSuggestion
from ivc.mediation.models import InterviewSession, MediatorBooking, Statement
from ivc.participation.models import IntegrationFeedback, LanguageLevel, SupportActivity
from ivc.person.models import Person, Vulnerability
from ivc.referral.models import Referral

EXPORTERS = frozenset({Role.OPERATOR, Role.ALFA_REVIEWER, Role.ADMIN})


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _row(record: SQLModel) -> dict[str, Any]:
    return {k: _plain(v) for k, v in record.model_dump().items()}


def _rows(session: Session, stmt: Any) -> list[dict[str, Any]]:
    return [_row(r) for r in session.scalars(stmt)]


def recognised_competences(session: Session, case_ids: list[int]) -> list[dict[str, Any]]:
    """The competences the documents in force recognise, per case: identified (transparency
    document), validated (validation document) or certified (certificate), with the document's
    number. Claims carry the working status of the review; this is what counts outside it."""
    held = recognition(session, case_ids)
    ids = sorted({cid for per_case in held.values() for cid in per_case})
    comps = {c.id: c for c in session.scalars(select(Competence).where(col(Competence.id).in_(ids)))} if ids else {}
    return [
        {
            "case_id": case_id,
            "competence": comps[cid].code,
            "title": text_in(comps[cid].title, "it"),
            "recognised_as": rec.level.value,
            "document": rec.document_number,
        }
        for case_id in sorted(held)
        for cid, rec in sorted(held[case_id].items())
        if cid in comps
    ]


def collect(session: Session, person_id: int) -> dict[str, Any]:
    """Every record held about the person, as plain JSON-ready dicts."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}", entity="person", key=person_id)
    cases = list(session.scalars(select(Case).where(col(Case.person_id) == person_id).order_by(col(Case.id))))
    case_ids = [c.id for c in cases]
    vulnerabilities = list(session.scalars(select(Vulnerability).where(col(Vulnerability.person_id) == person_id)))
    consents = list(session.scalars(select(ConsentRecord).where(col(ConsentRecord.person_id) == person_id)))
    evidence = list(session.scalars(select(EvidenceItem).where(col(EvidenceItem.case_id).in_(case_ids))))
    evidence_ids = [e.id for e in evidence]
    assessments = list(session.scalars(select(Assessment).where(col(Assessment.case_id).in_(case_ids))))
    audit_filter = or_(
        col(AuditEvent.case_id).in_(case_ids),
        and_(col(AuditEvent.entity) == "person", col(AuditEvent.entity_id) == str(person_id)),
        and_(col(AuditEvent.entity) == "consent", col(AuditEvent.entity_id).in_([str(c.id) for c in consents])),
    )
    return {
        "exported_at": utcnow().isoformat(),
        "person": _row(person),
        "vulnerabilities": [_row(v) for v in vulnerabilities],
        "consents": [_row(c) for c in consents],
        "cases": [_row(c) for c in cases],
        "case_targets": _rows(session, select(CaseTarget).where(col(CaseTarget.case_id).in_(case_ids))),
        "case_history": _rows(session, select(CaseStateEntry).where(col(CaseStateEntry.case_id).in_(case_ids))),
        "service_agreements": _rows(
            session, select(ServiceAgreement).where(col(ServiceAgreement.case_id).in_(case_ids))
        ),
        "experiences": _rows(session, select(Experience).where(col(Experience.case_id).in_(case_ids))),
        # How the interview was obtained: sessions, statements in the person's words, bookings, and
        # referrals between services. Mediators' cultural notes are working material and stay out.
        "interview_sessions": _rows(
            session, select(InterviewSession).where(col(InterviewSession.case_id).in_(case_ids))
        ),
        "statements": _rows(session, select(Statement).where(col(Statement.case_id).in_(case_ids))),
        "mediator_bookings": _rows(session, select(MediatorBooking).where(col(MediatorBooking.case_id).in_(case_ids))),
        "referrals": _rows(session, select(Referral).where(col(Referral.person_id) == person_id)),
        # Courses, Italian levels and the person's own answers about their integration.
        "support_activities": _rows(
            session, select(SupportActivity).where(col(SupportActivity.person_id) == person_id)
        ),
        "language_levels": _rows(session, select(LanguageLevel).where(col(LanguageLevel.person_id) == person_id)),
        "integration_feedback": _rows(
            session, select(IntegrationFeedback).where(col(IntegrationFeedback.person_id) == person_id)
        ),
        "evidence": [_row(e) for e in evidence],
        "evidence_links": _rows(session, select(EvidenceLink).where(col(EvidenceLink.evidence_id).in_(evidence_ids))),
        "recognised_competences": recognised_competences(session, [c.id for c in cases if c.id is not None]),
        "claims": _rows(session, select(CompetenceClaim).where(col(CompetenceClaim.case_id).in_(case_ids))),
        "esco_suggestions": _rows(session, select(EscoSuggestion).where(col(EscoSuggestion.case_id).in_(case_ids))),
        "assessments": [_row(a) for a in assessments],
        "assessment_results": _rows(
            session,
            select(AssessmentResult).where(col(AssessmentResult.assessment_id).in_([a.id for a in assessments])),
        ),
        "exam_sessions": _rows(session, select(ExamSession).where(col(ExamSession.case_id).in_(case_ids))),
        "decisions": _rows(session, select(Decision).where(col(Decision.case_id).in_(case_ids))),
        "documents": _rows(session, select(IssuedDocument).where(col(IssuedDocument.case_id).in_(case_ids))),
        "audit_events": _rows(session, select(AuditEvent).where(audit_filter).order_by(col(AuditEvent.id))),
    }


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _safe_name(name: str) -> str:
    return _UNSAFE.sub("_", name).strip("._")[:80] or "file"


SECTIONS = (
    "vulnerabilities",
    "consents",
    "cases",
    "experiences",
    "statements",
    "referrals",
    "support_activities",
    "language_levels",
    "integration_feedback",
    "evidence",
    "recognised_competences",
    "claims",
    "assessments",
    "decisions",
    "documents",
    "audit_events",
)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _table(rows: list[dict[str, Any]], lang: str) -> str:
    if not rows:
        return f"<p>{html.escape(t('privacy.export.none', lang))}</p>"
    out = []
    for row in rows:
        cells = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(_cell(v))}</td></tr>"
            for k, v in row.items()
            if k not in ("payload", "credentials")
        )
        out.append(f"<table>{cells}</table>")
    return "\n".join(out)


def summary_html(data: dict[str, Any], lang: str) -> str:
    """A readable page in ``lang`` (texts from the translation files, Italian fallback)."""
    key = {"audit_events": "audit"}
    body = [
        f"<h1>{html.escape(t('privacy.export.title', lang))}</h1>",
        f"<p>{html.escape(t('privacy.export.intro', lang, date=data['exported_at'][:10]))}</p>",
        f"<p>{html.escape(t('privacy.export.legal_basis', lang))}</p>",
        f"<h2>{html.escape(t('privacy.export.person', lang))}</h2>",
        _table([data["person"]], lang),
    ]
    for section in SECTIONS:
        body.append(f"<h2>{html.escape(t(f'privacy.export.{key.get(section, section)}', lang))}</h2>")
        body.append(_table(data[section], lang))
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:auto}table{border-collapse:collapse;margin:.5em 0}"
        "th,td{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}"
    )
    direction = "rtl" if is_rtl(lang) else "ltr"
    return (
        f'<!doctype html><html lang="{html.escape(lang)}" dir="{direction}"><head><meta charset="utf-8">'
        f"<title>{html.escape(t('privacy.export.title', lang))}</title><style>{style}</style></head><body>"
        + "\n".join(body)
        + "</body></html>"
    )


def export_person(session: Session, person_id: int, actor: Actor, store: EvidenceStore) -> bytes:
    """The zip for a person's access request; the export itself is audited (without content)."""
    if actor.role not in EXPORTERS:
        raise PermissionDenied(f"role {actor.role.value} may not export personal data")
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}", entity="person", key=person_id)
    if not actor.can_work_in(person.territory):
        raise PermissionDenied(f"{actor.username} does not work in district {person.territory}")
    return archive(session, person, actor, store)


def archive(session: Session, person: Person, actor: Actor, store: EvidenceStore, lang: str | None = None) -> bytes:
    """The zip itself, once the caller has checked who asks (``export_person`` for staff, the
    person's own space for the person); audited."""
    person_id = person.id or 0
    if person.erased_at is not None:
        raise DomainError(f"person {person_id} was erased on {person.erased_at:%Y-%m-%d}: nothing left to export")
    data = collect(session, person_id)
    lang = lang or person.preferred_language or "it"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("summary.html", summary_html(data, lang))
        zf.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        for item in data["evidence"]:
            name = f"evidence/{item['id']}-{_safe_name(item['display_name'] or item['title'])}"
            zf.writestr(name, store.get(item["storage_key"]))
        for doc in data["documents"]:
            if doc["storage_key"]:
                zf.writestr(f"documents/{_safe_name(doc['number'])}.pdf", store.get(doc["storage_key"]))
    audit.record(
        session,
        actor,
        "person.exported",
        entity="person",
        entity_id=person_id,
        territory=person.territory,
        after={"records": {k: len(v) for k, v in data.items() if isinstance(v, list)}},
    )
    return buffer.getvalue()
