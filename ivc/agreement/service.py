"""Prepare and sign the service agreement ("patto di servizio").

The text comes from versioned data (``ivc.agreement.texts``): preparing picks the version valid
today in the person's language when it exists (Italian otherwise) and records its hash; signing
records the declaration of truthfulness, the agreed calendar as dates, and how it was signed (a
click, or on paper with the scan kept as evidence of the case).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session, select

from ivc.agreement import texts
from ivc.agreement.models import ServiceAgreement
from ivc.audit import service as audit
from ivc.auth.policy import Permission, authorize
from ivc.auth.roles import Actor
from ivc.case.models import Case
from ivc.database.core import utcnow
from ivc.errors import DomainError, ValidationFailed
from ivc.evidence.models import EvidenceItem


class CalendarEntry(BaseModel):
    """One agreed appointment."""

    date: dt.date
    time: dt.time | None = None
    what: str = Field(min_length=1, max_length=200)
    where: str | None = Field(default=None, max_length=200)

    def stored(self) -> dict[str, Any]:
        out: dict[str, Any] = {"date": self.date.isoformat(), "what": self.what.strip()}
        if self.time is not None:
            out["time"] = self.time.strftime("%H:%M")
        if self.where:
            out["where"] = self.where.strip()
        return out


def _calendar(entries: list[CalendarEntry | dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for i, raw in enumerate(entries):
        try:
            entry = raw if isinstance(raw, CalendarEntry) else CalendarEntry.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ValidationFailed(f"calendar entry {i + 1}: {first['msg']}", field="calendar_dates") from exc
        out.append(entry.stored())
    return sorted(out, key=lambda e: (e["date"], e.get("time", "")))


def prepare(session: Session, case: Case, language: str, actor: Actor) -> ServiceAgreement:
    agreement = session.exec(select(ServiceAgreement).where(ServiceAgreement.case_id == case.id)).first()
    if agreement is not None:
        return agreement
    version = texts.current_version()
    shown = texts.pick_language(version, language)
    agreement = ServiceAgreement(
        case_id=case.id or 0,
        text_version=version,
        language=shown,
        text_sha256=texts.digest(texts.text(version, shown)),
        created_by=actor.username,
        territory=case.territory,
    )
    session.add(agreement)
    session.flush()
    audit.record(
        session,
        actor,
        "agreement.prepared",
        entity="agreement",
        entity_id=agreement.id,
        case_id=case.id,
        territory=case.territory,
        after={"text_version": version, "language": shown},
    )
    return agreement


def sign(
    session: Session,
    case: Case,
    actor: Actor,
    *,
    how: str,
    declaration_of_truth: bool,
    informed_of_sample_checks: bool,
    calendar: str | None = None,
    scan_evidence_id: int | None = None,
    calendar_dates: list[CalendarEntry | dict[str, Any]] | None = None,
    language: str | None = None,
) -> ServiceAgreement:
    """Record the person's signature (by click, or on paper with the scan as evidence).
    ``language`` is the language of the text the person was shown, when not the prepared one."""
    authorize(actor, Permission.CONSENT_RECORD, case.territory)
    if how not in ("click", "paper"):
        raise DomainError("signed 'click' or 'paper'")
    if how == "paper" and scan_evidence_id is None:
        raise DomainError("a paper signature needs the scanned agreement as evidence")
    if scan_evidence_id is not None:
        scan = session.get(EvidenceItem, scan_evidence_id)
        if scan is None or scan.case_id != case.id:
            raise ValidationFailed(f"evidence {scan_evidence_id} is not of case {case.id}", field="scan_evidence_id")
    if not declaration_of_truth:
        raise DomainError("the person must declare that what they state is true (D.I. 30/6/2015)")
    dates = _calendar(calendar_dates) if calendar_dates else None
    agreement = prepare(session, case, language or case.interview_language, actor)
    if agreement.signed_at is not None:
        return agreement
    if language is not None and language != agreement.language:
        if language not in texts.languages(agreement.text_version):
            raise ValidationFailed(f"the agreement {agreement.text_version} has no {language!r} text", field="language")
        agreement.language = language
        agreement.text_sha256 = texts.digest(texts.text(agreement.text_version, language))
    agreement.signed_at = utcnow()
    agreement.signed_how = how
    agreement.declaration_of_truth = True
    agreement.informed_of_sample_checks = informed_of_sample_checks
    agreement.calendar = calendar
    agreement.calendar_dates = dates
    agreement.scan_evidence_id = scan_evidence_id
    agreement.recorded_by = actor.username
    session.add(agreement)
    audit.record(
        session,
        actor,
        "agreement.signed",
        entity="agreement",
        entity_id=agreement.id,
        case_id=case.id,
        territory=case.territory,
        after={
            "how": how,
            "text_version": agreement.text_version,
            "language": agreement.language,
            "appointments": len(dates or []),
        },
    )
    session.flush()
    return agreement


def agreement_text(agreement: ServiceAgreement) -> str:
    """The exact text the person was shown (refused if the stored file no longer matches)."""
    return texts.signed_text(agreement.text_version, agreement.language, agreement.text_sha256)
