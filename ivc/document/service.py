"""Issue documents: number them, check their minimum elements, render, store, register.

Everything happens in the caller's transaction: if anything fails, the register number is given
back and no row exists. The rendered file goes to the content store first (content-addressed,
so a retry after a crash never duplicates anything).
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from ivc.audit import service as audit
from ivc.auth.roles import Actor
from ivc.case.models import Case
from ivc.case.states import DocumentType
from ivc.database.core import utcnow
from ivc.document.elements import missing_elements
from ivc.document.models import IssuedDocument
from ivc.document.payload import build_payload
from ivc.document.register import new_verification_code, next_number
from ivc.document.render import render_pdf, second_language
from ivc.errors import DomainError, NotFound
from ivc.evidence.storage import EvidenceStore, get_store
from ivc.person.service import get_person


def existing_document(session: Session, case_id: int, doc_type: DocumentType) -> IssuedDocument | None:
    return session.exec(
        select(IssuedDocument).where(
            IssuedDocument.case_id == case_id,
            IssuedDocument.doc_type == doc_type.value,
            col(IssuedDocument.revoked_at).is_(None),
        )
    ).first()


def issue(
    session: Session, case: Case, doc_type: DocumentType, actor: Actor, *, store: EvidenceStore | None = None
) -> IssuedDocument:
    """Issue (once) the document of this type for the case; returns the existing one if issued."""
    existing = existing_document(session, case.id or 0, doc_type)
    if existing is not None:
        return existing
    issued_at = utcnow()
    seq, number = next_number(session, doc_type, issued_at.year)
    code = new_verification_code()
    payload = build_payload(
        session,
        case,
        doc_type,
        number=number,
        issued_at=issued_at,
        verification_code=code,
        issued_by=actor.username,
    )
    missing = missing_elements(doc_type, payload)
    if missing:
        raise DomainError(
            f"the {doc_type.value} cannot be issued: missing {', '.join(missing)}",
            code="document_incomplete",
            missing=missing,
        )
    person = get_person(session, case.person_id)
    lang = second_language(person.preferred_language)
    pdf = render_pdf(payload, lang)
    blob = (store or get_store()).put_bytes(pdf)
    revision = 1 + len(
        session.exec(
            select(IssuedDocument).where(IssuedDocument.case_id == case.id, IssuedDocument.doc_type == doc_type.value)
        ).all()
    )
    document = IssuedDocument(
        case_id=case.id or 0,
        doc_type=doc_type.value,
        revision=revision,
        number=number,
        register_year=issued_at.year,
        register_seq=seq,
        issued_at=issued_at,
        issued_by=actor.username,
        languages=["it", lang],
        verification_code=code,
        sha256=blob.key,
        size=blob.size,
        storage_key=blob.key,
        payload=payload,
        created_by=actor.username,
        territory=case.territory,
    )
    session.add(document)
    session.flush()
    audit.record(
        session,
        actor,
        "document.issued",
        entity="document",
        entity_id=document.id,
        case_id=case.id,
        territory=case.territory,
        after={"type": doc_type.value, "number": number, "sha256": blob.key},
    )
    return document


def get_document(session: Session, document_id: int) -> IssuedDocument:
    doc = session.get(IssuedDocument, document_id)
    if doc is None:
        raise NotFound(f"no document {document_id}", entity="document", key=document_id)
    return doc
