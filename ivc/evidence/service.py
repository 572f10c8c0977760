"""Add evidence to a case (idempotent by content) and link it to experiences and claims."""

from __future__ import annotations

import io
from typing import BinaryIO

from sqlmodel import Session, col, select

from ivc.audit import service as audit
from ivc.auth.policy import Permission, authorize
from ivc.auth.roles import Actor
from ivc.case.models import Case
from ivc.case.states import CaseState
from ivc.config import get_settings
from ivc.errors import DomainError, ValidationFailed
from ivc.evidence.models import EvidenceItem, EvidenceKind, EvidenceLink, EvidenceType
from ivc.evidence.safety import check_upload, clean_title, read_upload
from ivc.evidence.safety import display_name as _display_name
from ivc.evidence.storage import EvidenceStore, get_store
from ivc.experience.models import Experience


def evidence_open(case: Case) -> bool:
    """Evidence is added while the case is open (the assessors may ask for more during validation
    and certification); a closed case's documents rest on what it held when they were issued."""
    return case.state != CaseState.CLOSED.value


def add_evidence(
    session: Session,
    case: Case,
    data: bytes | BinaryIO,
    *,
    title: str,
    evidence_type: EvidenceType,
    media_type: str,
    actor: Actor,
    kind: EvidenceKind = EvidenceKind.FILE,
    filename: str | None = None,
    experience_ids: list[int] | None = None,
    store: EvidenceStore | None = None,
) -> EvidenceItem:
    """Check the content (``ivc.evidence.safety``: type by content, limits, bombs), store it and
    record it on the case under the detected media type. The same content added twice to a case
    is the same evidence item (and the links are merged). ``data`` may be a stream: it is read
    only up to the size limit."""
    authorize(actor, Permission.EVIDENCE_ADD, case.territory)
    if not evidence_open(case):
        raise DomainError(f"case {case.id} is closed: no evidence is added to it", code="case_closed", state=case.state)
    title = clean_title(title)
    if not title:
        raise ValidationFailed("the evidence needs a title", field="title", code="upload_no_title")
    data = read_upload(data)
    checked = check_upload(data, media_type)
    if experience_ids:
        ours = set(
            session.exec(
                select(Experience.id).where(Experience.case_id == case.id, col(Experience.id).in_(experience_ids))
            ).all()
        )
        if stray := sorted(set(experience_ids) - ours):
            raise ValidationFailed(
                f"experiences {stray} are not part of case {case.id}", field="experience_ids", experience_ids=stray
            )
    store = store or get_store()
    blob = store.put(io.BytesIO(data), max_bytes=get_settings().max_upload_bytes)
    item = session.exec(
        select(EvidenceItem).where(EvidenceItem.case_id == case.id, EvidenceItem.sha256 == blob.key)
    ).first()
    if item is None:
        item = EvidenceItem(
            case_id=case.id or 0,
            kind=kind.value,
            evidence_type=evidence_type.value,
            title=title,
            sha256=blob.key,
            size=blob.size,
            media_type=checked.media_type,
            storage_key=blob.key,
            display_name=_display_name(filename),
            created_by=actor.username,
            territory=case.territory,
        )
        session.add(item)
        session.flush()
        audit.record(
            session,
            actor,
            "evidence.added",
            entity="evidence",
            entity_id=item.id,
            case_id=case.id,
            territory=case.territory,
            after={
                "sha256": blob.key,
                "size": blob.size,
                "type": evidence_type.value,
                "media_type": checked.media_type,
                # what the uploader claimed, kept when it disagreed with the content
                **({"declared_media_type": media_type[:100]} if checked.declared_mismatch else {}),
            },
        )
    for experience_id in experience_ids or []:
        link_evidence(session, item, experience_id=experience_id)
    return item


def link_evidence(
    session: Session, item: EvidenceItem, *, experience_id: int | None = None, claim_id: int | None = None
) -> None:
    """Link an evidence item to an experience or a claim of the same case (never across cases:
    one person's document must not support another's competence)."""
    from ivc.claim.models import CompetenceClaim  # the claim service imports evidence

    owners = {
        "experience_id": session.exec(select(Experience.case_id).where(Experience.id == experience_id)).first()
        if experience_id is not None
        else item.case_id,
        "claim_id": session.exec(select(CompetenceClaim.case_id).where(CompetenceClaim.id == claim_id)).first()
        if claim_id is not None
        else item.case_id,
    }
    for field, owner in owners.items():
        if owner != item.case_id:
            raise ValidationFailed(
                f"{field.removesuffix('_id')} {experience_id if field == 'experience_id' else claim_id} "
                f"is not part of case {item.case_id}",
                field=field,
                code="evidence_link_other_case",
                case_id=item.case_id,
            )
    exists = session.exec(
        select(EvidenceLink).where(
            EvidenceLink.evidence_id == item.id,
            EvidenceLink.experience_id == experience_id,
            EvidenceLink.claim_id == claim_id,
        )
    ).first()
    if exists is None:
        session.add(EvidenceLink(evidence_id=item.id or 0, experience_id=experience_id, claim_id=claim_id))
        session.flush()


def evidence_for_case(session: Session, case_id: int) -> list[EvidenceItem]:
    return list(session.exec(select(EvidenceItem).where(EvidenceItem.case_id == case_id).order_by(EvidenceItem.id)))  # type: ignore[arg-type]


def links_for_case(session: Session, case_id: int) -> list[EvidenceLink]:
    return list(session.exec(select(EvidenceLink).join(EvidenceItem).where(EvidenceItem.case_id == case_id)))
