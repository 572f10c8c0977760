"""Send a referral to another service and record its answer: accepted, or refused with a reason,
then completed; the sender may withdraw it. Every step is checked and audit logged.

Services with accounts in ivc act for themselves (IVC operators for ``ivc``, CPI advisors for
``cpi``). Services without accounts (social and health services, CPIA, Prefettura…) are recorded
by an IVC operator of the district on their behalf, which the audit log says.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator
from sqlalchemy import update
from sqlmodel import Session, col, select

from ivc.audit import service as audit
from ivc.auth.roles import Actor, Role
from ivc.case.models import Case
from ivc.consent.models import ConsentRecord
from ivc.database.core import utcnow
from ivc.errors import ConflictError, DomainError, NotFound, PermissionDenied, ValidationFailed
from ivc.experience.service import clean_text
from ivc.person.models import Person
from ivc.referral.models import TRANSITIONS, ConsentBasis, Referral, ReferralStatus, Service, Urgency

# Services whose staff have accounts, and the roles that act for them.
SERVICE_ROLES: dict[Service, frozenset[Role]] = {
    Service.IVC: frozenset({Role.OPERATOR}),
    Service.CPI: frozenset({Role.CPI_ADVISOR}),
}
READERS = frozenset({Role.OPERATOR, Role.MEDIATOR, Role.CPI_ADVISOR, Role.ALFA_REVIEWER, Role.ADMIN})


class ReferralIn(BaseModel):
    """The minimum data set of a referral."""

    from_service: Service
    to_service: Service
    reason: str = Field(min_length=1, max_length=2000)
    request: str = Field(min_length=1, max_length=2000)
    urgency: Urgency = Urgency.NORMAL
    consent_basis: ConsentBasis
    consent_record_id: int | None = None
    contact_operator: str = Field(min_length=1, max_length=200)
    contact_details: str | None = Field(default=None, max_length=200)
    case_id: int | None = None

    @field_validator("reason", "request", "contact_operator", "contact_details")
    @classmethod
    def _clean(cls, value: str | None) -> str | None:
        return clean_text(value) if value is not None else None

    @model_validator(mode="after")
    def _check(self) -> ReferralIn:
        if self.from_service == self.to_service:
            raise ValueError("a referral goes to another service")
        if not self.reason or not self.request or not self.contact_operator:
            raise ValueError("reason, request and contact operator are required")
        if self.consent_basis is ConsentBasis.CONSENT and self.consent_record_id is None:
            raise ValueError("a referral based on consent names the consent record")
        return self


def acts_for(actor: Actor, service: Service) -> str | None:
    """Whether ``actor`` may act for ``service``: returns ``on_behalf_of`` ("" when acting as
    themselves), or None when not allowed."""
    if actor.role is Role.ADMIN:
        return "" if service in SERVICE_ROLES else service.value
    roles = SERVICE_ROLES.get(service)
    if roles is not None:
        return "" if actor.role in roles else None
    return service.value if actor.role is Role.OPERATOR else None


def _require(actor: Actor, service: Service, territory: str, what: str) -> str | None:
    on_behalf = acts_for(actor, service)
    if on_behalf is None or not actor.can_work_in(territory):
        raise PermissionDenied(f"{actor.username} cannot {what} for {service.value} in district {territory}")
    return on_behalf or None


def send(session: Session, person: Person, data: ReferralIn, actor: Actor) -> Referral:
    on_behalf = _require(actor, data.from_service, person.territory, "send referrals")
    if data.case_id is not None:
        case = session.get(Case, data.case_id)
        if case is None or case.person_id != person.id:
            raise ValidationFailed(f"case {data.case_id} is not of this person", field="case_id")
    if data.consent_basis is ConsentBasis.CONSENT:
        consent = session.get(ConsentRecord, data.consent_record_id)
        if consent is None or consent.person_id != person.id or consent.withdrawn_at is not None:
            raise ValidationFailed(
                "the consent named is not an active consent of this person", field="consent_record_id"
            )
    referral = Referral(
        person_id=person.id or 0,
        case_id=data.case_id,
        from_service=data.from_service.value,
        to_service=data.to_service.value,
        reason=data.reason,
        request=data.request,
        urgency=data.urgency.value,
        consent_basis=data.consent_basis.value,
        consent_record_id=data.consent_record_id,
        contact_operator=data.contact_operator,
        contact_details=data.contact_details,
        sent_at=utcnow(),
        created_by=actor.username,
        territory=person.territory,
    )
    session.add(referral)
    session.flush()
    audit.record(
        session,
        actor,
        "referral.sent",
        entity="referral",
        entity_id=referral.id,
        case_id=referral.case_id,
        territory=referral.territory,
        on_behalf_of=on_behalf,
        after={"from": referral.from_service, "to": referral.to_service, "urgency": referral.urgency},
    )
    return referral


def get_referral(session: Session, referral_id: int, actor: Actor | None = None) -> Referral:
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise NotFound(f"no referral {referral_id}", entity="referral", key=referral_id)
    if actor is not None and (actor.role not in READERS or not actor.can_work_in(referral.territory)):
        raise PermissionDenied(f"{actor.username} cannot see referrals of district {referral.territory}")
    return referral


def _move(
    session: Session, referral_id: int, step: str, actor: Actor, values: dict[str, Any], note: str | None = None
) -> Referral:
    referral = get_referral(session, referral_id)
    sources, target = TRANSITIONS[step]
    side = Service(referral.from_service if step == "withdraw" else referral.to_service)
    on_behalf = _require(actor, side, referral.territory, f"{step} referrals")
    current = ReferralStatus(referral.status)
    if current not in sources:
        allowed = ", ".join(sorted(s.value for s in sources))
        raise DomainError(
            f"cannot {step} referral {referral_id}: it is {current.value} (allowed from {allowed})",
            code="referral_transition",
            step=step,
            status=current.value,
        )
    result = session.execute(
        update(Referral)
        .where(col(Referral.id) == referral_id, col(Referral.status) == current.value)
        .values(status=target.value, **values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError(f"referral {referral_id} was changed by someone else; reload it", referral_id=referral_id)
    session.refresh(referral)
    audit.record(
        session,
        actor,
        f"referral.{target.value}",
        entity="referral",
        entity_id=referral.id,
        case_id=referral.case_id,
        territory=referral.territory,
        on_behalf_of=on_behalf,
        before={"status": current.value},
        after={"status": target.value, **({"note": note} if note else {})},
    )
    return referral


def _text(value: str | None, field: str, required: bool) -> str | None:
    cleaned = clean_text(value or "")[:2000]
    if required and not cleaned:
        raise ValidationFailed(f"a {field} is required", field=field)
    return cleaned or None


def accept(session: Session, referral_id: int, actor: Actor, note: str | None = None) -> Referral:
    now = utcnow()
    text = _text(note, "note", False)
    return _move(session, referral_id, "accept", actor, {"responded_at": now, "responded_by": actor.username}, text)


def refuse(session: Session, referral_id: int, reason: str, actor: Actor) -> Referral:
    text = _text(reason, "reason", True)
    values = {"responded_at": utcnow(), "responded_by": actor.username, "refusal_reason": text}
    return _move(session, referral_id, "refuse", actor, values, text)


def complete(session: Session, referral_id: int, actor: Actor, note: str | None = None) -> Referral:
    text = _text(note, "note", False)
    values = {"closed_at": utcnow(), "closed_by": actor.username, "closing_note": text}
    return _move(session, referral_id, "complete", actor, values, text)


def withdraw(session: Session, referral_id: int, reason: str, actor: Actor) -> Referral:
    text = _text(reason, "reason", True)
    values = {"closed_at": utcnow(), "closed_by": actor.username, "closing_note": text}
    return _move(session, referral_id, "withdraw", actor, values, text)


def referrals_for_person(session: Session, person_id: int) -> list[Referral]:
    return list(
        session.exec(
            select(Referral).where(Referral.person_id == person_id).order_by(col(Referral.sent_at), col(Referral.id))
        )
    )


def inbox(
    session: Session, actor: Actor, service: Service, status: ReferralStatus = ReferralStatus.SENT
) -> list[Referral]:
    """Referrals waiting at ``service`` in the actor's districts, most urgent and oldest first."""
    if acts_for(actor, service) is None:
        raise PermissionDenied(f"{actor.username} cannot act for {service.value}")
    stmt = select(Referral).where(Referral.to_service == service.value, Referral.status == status.value)
    if not actor.region_wide:
        stmt = stmt.where(col(Referral.territory).in_(sorted(actor.districts)))
    order = [u.value for u in reversed(list(Urgency))]
    rows = list(session.exec(stmt.order_by(col(Referral.sent_at))))
    return sorted(rows, key=lambda r: order.index(r.urgency))
