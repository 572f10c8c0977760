"""Retention rules (GDPR art. 5(1)(e), storage limitation) and the pass that applies them.

Rules, with periods from settings (0 turns a rule off):

* ``closed_without_certificate``: a closed case that issued no certificate, N years after closing,
  is erased (the register minimum of any document it issued stays);
* ``withdrawn``: a withdrawn case, M years after closing, is erased;
* ``refused_evidence``: the evidence of a case not admitted, K months after closing, is erased.

When the last case of a person with data left is erased, the person's record is emptied too.
Cases already erased are never selected again, so a second run does nothing. ``dry_run`` reports
what would be erased and changes nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, exists, select
from sqlmodel import Session, col

from ivc.auth.roles import Actor
from ivc.case.models import Case
from ivc.case.states import CaseState, DocumentType, Outcome
from ivc.config import Settings, get_settings
from ivc.database.core import utcnow
from ivc.document.models import IssuedDocument
from ivc.evidence.models import EvidenceItem
from ivc.privacy import erasure


@dataclass(frozen=True)
class DueErasure:
    rule: str
    action: str  # erase_case | erase_evidence
    case_id: int
    person_id: int
    closed_at: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _years_before(now: datetime, years: int) -> datetime:
    return now - timedelta(days=round(365.25 * years))


def due(session: Session, now: datetime | None = None, settings: Settings | None = None) -> list[DueErasure]:
    """What the rules say must be erased now, oldest first."""
    now = now or utcnow()
    settings = settings or get_settings()
    closed = (
        (col(Case.state) == CaseState.CLOSED.value) & col(Case.erased_at).is_(None) & col(Case.closed_at).is_not(None)
    )
    found: dict[int, DueErasure] = {}

    def add(rule: str, action: str, cutoff: datetime, *conditions: ColumnElement[bool]) -> None:
        stmt = select(Case).where(closed, col(Case.closed_at) < cutoff, *conditions).order_by(col(Case.closed_at))
        for case in session.scalars(stmt):
            if case.id not in found:
                found[case.id or 0] = DueErasure(
                    rule, action, case.id or 0, case.person_id, case.closed_at.isoformat() if case.closed_at else ""
                )

    if settings.retention_withdrawn_years > 0:
        add(
            "withdrawn",
            "erase_case",
            _years_before(now, settings.retention_withdrawn_years),
            col(Case.outcome) == Outcome.WITHDRAWN.value,
        )
    if settings.retention_closed_without_certificate_years > 0:
        certificate = exists().where(
            col(IssuedDocument.case_id) == col(Case.id), col(IssuedDocument.doc_type) == DocumentType.CERTIFICATE.value
        )
        add(
            "closed_without_certificate",
            "erase_case",
            _years_before(now, settings.retention_closed_without_certificate_years),
            ~certificate,
        )
    if settings.retention_refused_evidence_months > 0:
        evidence = exists().where(col(EvidenceItem.case_id) == col(Case.id))
        add(
            "refused_evidence",
            "erase_evidence",
            now - timedelta(days=round(30.44 * settings.retention_refused_evidence_months)),
            col(Case.outcome) == Outcome.NOT_ADMITTED.value,
            evidence,
        )
    return sorted(found.values(), key=lambda d: (d.closed_at, d.case_id))


def apply(session: Session, actor: Actor, *, dry_run: bool = False, now: datetime | None = None) -> list[DueErasure]:
    """Erase what is due, one case per transaction (a crash keeps what committed). Blob
    deletion is the caller's step after this returns (``erasure.delete_pending_blobs``)."""
    todo = due(session, now)
    if dry_run:
        return todo
    done = []
    for item in todo:
        if item.action == "erase_case":
            erasure.erase_case(session, item.case_id, actor, reason=f"retention:{item.rule}")
        else:
            erasure.erase_case_evidence(session, item.case_id, actor, reason=f"retention:{item.rule}")
        session.commit()
        done.append(item)
    return done
