"""Issue documents: number them, check their minimum elements, sign, render, store, register.

Everything happens in the caller's transaction: if anything fails, the register number is given
back and no row exists. The rendered file goes to the content store first (content-addressed,
so a retry after a crash never duplicates anything).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import Session, col, select

from ivc.audit import service as audit
from ivc.auth.policy import Permission, authorize
from ivc.auth.roles import Actor
from ivc.case.models import Case
from ivc.case.states import DocumentType
from ivc.consent import service as consents
from ivc.database.core import utcnow
from ivc.document import credentials, pades, status
from ivc.document.elements import missing_elements
from ivc.document.models import IssuedDocument
from ivc.document.payload import build_payload
from ivc.document.register import claim, new_verification_code, next_number, peek_next, register_number
from ivc.document.render import render_pdf, second_language
from ivc.document.signing import issuer_did, sign, sign_jwt
from ivc.errors import DomainError, NotFound, ValidationFailed
from ivc.evidence.storage import EvidenceStore, get_store
from ivc.person.service import get_person

log = logging.getLogger(__name__)

# Optimistic claims of a register number before taking it under the lock (see ``issue``).
CLAIM_ATTEMPTS = 3

SHAREABLE = ("birth_date", "birth_place", "citizenship", "codice_fiscale", "name_native")


def existing_document(session: Session, case_id: int, doc_type: DocumentType) -> IssuedDocument | None:
    return session.exec(
        select(IssuedDocument).where(
            IssuedDocument.case_id == case_id,
            IssuedDocument.doc_type == doc_type.value,
            col(IssuedDocument.revoked_at).is_(None),
        )
    ).first()


def _prepare(payload: dict[str, Any], did: str, lang: str) -> tuple[dict[str, Any], bytes]:
    """Signatures and the PDF of a payload whose number is set (no database work)."""
    created = payload["issued_at"].replace("+00:00", "Z")
    signed: dict[str, Any] = {
        "twin": sign(payload, created),
        "vc": sign(credentials.document_credential(payload, did), created),
    }
    if payload["type"] == DocumentType.CERTIFICATE.value:
        signed["openbadge"] = sign(credentials.openbadge(payload, did), created, proof_list=True)
        europass = credentials.europass(payload, did)
        signed["europass"] = europass
        signed["europass_jwt"] = sign_jwt(europass)
    sealed = pades.enabled()
    pdf = render_pdf(payload, lang, attachment=signed["twin"], sealed=sealed, demo_seal=sealed and pades.is_demo())
    if sealed:
        pdf = pades.seal(pdf)
    return signed, pdf


def issue(
    session: Session, case: Case, doc_type: DocumentType, actor: Actor, *, store: EvidenceStore | None = None
) -> IssuedDocument:
    """Issue (once) the document of this type for the case; returns the existing one if issued."""
    existing = existing_document(session, case.id or 0, doc_type)
    if existing is not None:
        return existing
    # Microseconds dropped: the time is part of what is signed and printed.
    issued_at = utcnow().replace(microsecond=0)
    code = new_verification_code()
    year = issued_at.year
    payload = build_payload(
        session,
        case,
        doc_type,
        number=register_number(doc_type, year, peek_next(session, doc_type, year)),
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
    did = issuer_did()
    payload["issuer"] = {"id": did, "name": payload["ente_titolare"]["name"]}
    lang = second_language(get_person(session, case.person_id).preferred_language)
    # Prepare with the number that looks free, then claim it; if another issuer took it meanwhile,
    # look again and prepare again, with no lock held. Taking the lock before preparing would make
    # every concurrent issuer queue behind each other's rendering: measured with two workers, a
    # lost claim followed by a locked preparation made the other worker lose its own claim while it
    # waited, and nearly every document was prepared twice (860 of about 900). Only after
    # ``CLAIM_ATTEMPTS`` lost claims is the number taken under the lock. SQLite has one writer at a
    # time anyway (and a read snapshot could not be upgraded): there the lock comes first.
    seq = 0  # the number this issue holds, once it holds one
    if session.get_bind().dialect.name != "sqlite":
        for _ in range(CLAIM_ATTEMPTS):
            free = peek_next(session, doc_type, year)
            payload["number"] = register_number(doc_type, year, free)
            signed, pdf = _prepare(payload, did, lang)
            if claim(session, doc_type, year, free):
                seq = free
                break
            log.debug("register number %s taken by another issuer; preparing again", payload["number"])
    if not seq:
        seq, payload["number"] = next_number(session, doc_type, year)
        signed, pdf = _prepare(payload, did, lang)
    number = payload["number"]
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
        register_year=year,
        register_seq=seq,
        issued_at=issued_at,
        issued_by=actor.username,
        languages=["it", lang],
        verification_code=code,
        sha256=blob.key,
        size=blob.size,
        storage_key=blob.key,
        payload=payload,
        credentials=signed,
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
    if not status.published_path(doc_type.value, year).is_file():  # the first document of its list
        status.publish_after_commit(session, doc_type.value, year)
    return document


def revoke(session: Session, document: IssuedDocument, reason: str, actor: Actor) -> IssuedDocument:
    """Revoke an issued document with a reason (ALFA); verification reports it as revoked."""
    authorize(actor, Permission.DOCUMENT_REVOKE)
    if not reason.strip():
        raise ValidationFailed("a revocation needs a reason", field="reason")
    if document.revoked_at is not None:
        raise DomainError(f"document {document.number} is already revoked")
    document.revoked_at = utcnow()
    document.revoked_by = actor.username
    document.revocation_reason = reason.strip()[:2000]
    session.add(document)
    audit.record(
        session,
        actor,
        "document.revoked",
        entity="document",
        entity_id=document.id,
        case_id=document.case_id,
        territory=document.territory,
        after={"reason": document.revocation_reason},
    )
    session.flush()
    status.publish_after_commit(session, document.doc_type, document.register_year)  # what offline verifiers fetch
    return document


def share_fields(session: Session, document: IssuedDocument, fields: list[str], actor: Actor) -> IssuedDocument:
    """The holder (through their operator) chooses which identity fields public verification shows."""
    unknown = set(fields) - set(SHAREABLE)
    if unknown:
        raise ValidationFailed(f"cannot share {sorted(unknown)}; choose among {list(SHAREABLE)}", field="fields")
    authorize(actor, Permission.DOCUMENT_SHARE, document.territory)
    before = list(document.shared_fields)
    document.shared_fields = sorted(set(fields))
    session.add(document)
    audit.record(
        session,
        actor,
        "document.sharing_changed",
        entity="document",
        entity_id=document.id,
        case_id=document.case_id,
        territory=document.territory,
        before={"shared": before},
        after={"shared": document.shared_fields},
    )
    session.flush()
    return document


def get_document(
    session: Session, document_id: int, actor: Actor | None = None, purpose: str | None = None
) -> IssuedDocument:
    """A document by id. With an actor (a person reading someone's dossier), the view must rest on
    a consent or a legal basis, and is logged; without one it is the system's own read."""
    doc = session.get(IssuedDocument, document_id)
    if doc is None:
        raise NotFound(f"no document {document_id}", entity="document", key=document_id)
    if actor is not None:
        case = session.get(Case, doc.case_id)
        assert case is not None
        consents.view(session, actor, case.person_id, f"document {doc.number}", case.id, purpose)
    return doc


def documents_for_case(
    session: Session, case_id: int, actor: Actor, purpose: str | None = None
) -> list[IssuedDocument]:
    """The documents issued for a case, as someone reading the dossier sees them (authorised and
    logged: one line in the access log for the list)."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}", entity="case", key=case_id)
    consents.view(session, actor, case.person_id, "issued documents", case_id, purpose)
    return list(
        session.exec(select(IssuedDocument).where(IssuedDocument.case_id == case_id).order_by(col(IssuedDocument.id)))
    )
