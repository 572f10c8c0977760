"""Build the machine-readable twin of a document from the database (schema ``ivc.document/1``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from ivc.assessment import service as assessments
from ivc.auth.models import User
from ivc.case import service as cases
from ivc.case.models import Case
from ivc.case.states import DocumentType
from ivc.claim.models import ClaimStatus
from ivc.claim.service import claims_for_case
from ivc.database.core import utcnow
from ivc.document.elements import missing_elements
from ivc.evidence.service import evidence_for_case, links_for_case
from ivc.experience.service import experiences_for_case
from ivc.framework.models import Competence, Framework, FrameworkLabel, Qualification
from ivc.person.service import get_person
from ivc.reference import issuers

SCHEMA_ID = "ivc.document/1"

_STATUSES: dict[DocumentType, frozenset[str]] = {
    DocumentType.TRANSPARENCY: cases.CONFIRMED_OR_LATER,
    DocumentType.VALIDATION: frozenset(
        {ClaimStatus.VALIDATED.value, ClaimStatus.CERTIFIED.value, ClaimStatus.NOT_CERTIFIED.value}
    ),
    DocumentType.CERTIFICATE: frozenset({ClaimStatus.CERTIFIED.value}),
}


def _month(d: Any) -> str | None:
    return d.strftime("%Y-%m") if d else None


def _person_of(session: Session, username: str, role: str | None = None) -> dict[str, Any]:
    """A staff member as a document names them: full name and role (the username kept for the
    register); someone who is not a user (an external president) is named as written."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        return {"name": username, "role": role, "username": None}
    return {"name": user.full_name, "role": role or user.role, "username": user.username}


def esco_labels(session: Session, uris: list[str], langs: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """Preferred ESCO labels of ``uris`` in ``langs`` ({uri: {lang: label}}), so that a document can
    name a competence in the person's language where ESCO has it (ESCO is published in Arabic and
    Ukrainian too); the newest import wins."""
    if not uris:
        return {}
    rows = session.exec(
        select(FrameworkLabel)
        .where(
            col(FrameworkLabel.entity_key).in_(set(uris)),
            FrameworkLabel.kind == "preferred",
            col(FrameworkLabel.lang).in_(langs),
        )
        .order_by(col(FrameworkLabel.framework_id))
    ).all()
    out: dict[str, dict[str, str]] = {}
    for row in rows:
        out.setdefault(row.entity_key, {})[row.lang] = row.text
    return out


def build_payload(
    session: Session,
    case: Case,
    doc_type: DocumentType,
    *,
    number: str,
    issued_at: datetime,
    verification_code: str,
    issued_by: str,
) -> dict[str, Any]:
    person = get_person(session, case.person_id)
    framework = session.get(Framework, case.framework_id)
    assert framework is not None
    ref = issuers()
    experiences = experiences_for_case(session, case.id or 0)
    exp_by_id = {e.id: e for e in experiences}
    claims = [c for c in claims_for_case(session, case.id or 0) if c.status in _STATUSES[doc_type]]
    all_assessments = assessments.assessments_for_case(session, case.id or 0)
    targets = cases.target_qualifications(session, case.id or 0)
    qual_by_id = {q.id: q for q in targets}

    langs = tuple(dict.fromkeys(("it", "en", person.preferred_language)))
    competences = []
    for claim in claims:
        comp = session.get(Competence, claim.competence_id)
        assert comp is not None
        qual = qual_by_id.get(comp.qualification_id) or session.get(Qualification, comp.qualification_id)
        assert qual is not None
        learned = [
            {
                "experience_id": e.id,
                "kind": e.kind,
                "learning_context": e.learning_context,
                "what": e.title,
                "where": e.place,
                "country": e.country,
                "from": _month(e.started_on),
                "to": _month(e.ended_on),
            }
            for eid in claim.experience_ids
            if (e := exp_by_id.get(eid)) is not None
        ]
        assessed = [
            {"method": a.method, "date": a.held_on.isoformat(), "phase": a.phase, "outcome": r.outcome}
            for a, results in all_assessments
            for r in results
            if r.competence_id == comp.id
        ]
        if doc_type is DocumentType.TRANSPARENCY:
            assessed = [{"method": "analisi_dossier", "phase": "individuazione", "outcome": "identificata"}]
        competences.append(
            {
                "code": comp.code,
                "title": comp.title,
                "repertory": f"{framework.code} {framework.version}",
                "qualification": qual.code,
                "ada": comp.ada,
                "esco_skills": comp.esco_skills,
                "esco_labels": esco_labels(session, comp.esco_skills, langs),
                "status": claim.status,
                "source": claim.source,
                "learned": learned,
                "assessed": assessed,
            }
        )
    qualifications = [
        {
            "code": q.code,
            "title": q.title,
            "description": q.description,
            "eqf_level": q.eqf_level,
            "sector": q.sector,
            "ada": q.ada,
            "cp_istat": q.cp_istat or None,
            "ateco": q.ateco or None,
            "esco_occupations": q.esco_occupations,
            "esco_labels": esco_labels(session, q.esco_occupations, langs),
            "competences_total": len(cases.target_competence_ids(session, case.id or 0)),
        }
        for q in targets
    ]
    links = links_for_case(session, case.id or 0)
    evidence = [
        {
            "id": item.id,
            "title": item.title,
            "type": item.evidence_type,
            "sha256": item.sha256,
            "media_type": item.media_type,
            "supports_experiences": sorted(
                {lnk.experience_id for lnk in links if lnk.evidence_id == item.id and lnk.experience_id}
            ),
        }
        for item in evidence_for_case(session, case.id or 0)
    ]
    in_scope = len(cases.target_competence_ids(session, case.id or 0))
    payload: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "type": doc_type.value,
        "number": number,
        "issued_at": issued_at.isoformat(),
        "place": ref.get("place_of_issue"),
        "verification_code": verification_code,
        "issued_by": issued_by,
        "case": {"id": case.id, "territory": case.territory, "operator": case.operator},
        "holder": {
            "given_name": person.given_name,
            "family_name": person.family_name,
            "name_native": person.name_native,
            "birth_date": person.birth_date.isoformat() if person.birth_date else None,
            "birth_place": person.birth_place,
            "codice_fiscale": person.codice_fiscale,
            "citizenship": person.citizenship,
            "language": person.preferred_language,
        },
        "ente_titolare": ref["ente_titolare"],
        "ente_titolato": {
            "name": ref["ente_titolato"]["name"],
            "authorisation_act": {
                "number": ref["ente_titolato"]["authorisation_act"]["number"],
                "date": str(ref["ente_titolato"]["authorisation_act"]["date"]),
            },
        },
        "framework": {"code": framework.code, "version": framework.version, "name": framework.name},
        "qualifications": qualifications,
        "competences": competences,
        "experiences": [
            {
                "id": e.id,
                "kind": e.kind,
                "learning_context": e.learning_context,
                "title": e.title,
                "place": e.place,
                "country": e.country,
                "from": _month(e.started_on),
                "to": _month(e.ended_on),
                "language": e.language,
                "text_it": e.text_it,
                "text_original": e.text_original if e.language != "it" else None,
            }
            for e in experiences
        ],
        "evidence": evidence,
        "completeness": "full" if competences and len(competences) >= in_scope else "partial",
        # Who signs for the issuing body (the operator for the transparency document, the ALFA
        # reviewer for the public deeds).
        "signatory": _person_of(session, issued_by),
    }
    if doc_type is DocumentType.CERTIFICATE:
        exam = assessments.exam_for_case(session, case.id or 0)
        if exam is not None:
            payload["commission"] = {
                "president": exam.president,
                "method_expert": exam.method_expert,
                "sector_expert": exam.sector_expert,
                "members": [
                    _person_of(session, exam.president, "president"),
                    _person_of(session, exam.method_expert, "method_expert"),
                    _person_of(session, exam.sector_expert, "sector_expert"),
                ],
            }
            payload["exam_date"] = exam.scheduled_for.isoformat()
    return payload


def missing_for(session: Session, case: Case, doc_type: DocumentType, *, issued_by: str = "") -> list[str]:
    """The minimum elements the document would lack if it were issued now (empty: it can be).
    Checked when a person asks for the document, so the request is refused then, with what to
    complete, rather than failing once approved; issuing checks the same again."""
    payload = build_payload(
        session,
        case,
        doc_type,
        number="-",
        issued_at=utcnow().replace(microsecond=0),
        verification_code="-",
        issued_by=issued_by or "-",
    )
    return missing_elements(doc_type, payload)
