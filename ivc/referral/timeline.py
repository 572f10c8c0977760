"""The person's path across services: who did what and when, what comes next and whom it waits
on, and how long the person spent at each service in each state.

Built from the records themselves (state history, referrals, bookings and sessions, agreement,
decisions, documents), not from the audit log, so it reads the same after any replay.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from ivc.agreement.models import ServiceAgreement
from ivc.auth.policy import Permission, authorize
from ivc.auth.roles import Actor, Role
from ivc.case import service as cases
from ivc.case import states
from ivc.case.models import Case, CaseStateEntry
from ivc.case.states import CaseState
from ivc.database.core import utcnow
from ivc.decision.models import Decision
from ivc.document.models import IssuedDocument
from ivc.mediation.models import InterviewSession, MediatorBooking
from ivc.person.service import get_person
from ivc.referral.models import Referral, ReferralStatus
from ivc.referral.service import referrals_for_person

IVC = "ivc"
# Who acts at each role, shown as the service the person waits on.
_ROLE_SERVICE = {Role.OPERATOR: IVC, Role.ASSESSOR: "ivc_assessment", Role.ALFA_REVIEWER: "alfa"}


@dataclass(frozen=True)
class Event:
    at: datetime
    service: str
    actor: str
    kind: str
    summary: str
    case_id: int | None = None
    entity: str = ""
    entity_id: int | None = None


@dataclass(frozen=True)
class NextStep:
    what: str
    waiting_on: str  # a service
    role: str | None
    who: str | None  # a username or contact, when known
    case_id: int | None = None
    referral_id: int | None = None
    since: datetime | None = None


@dataclass
class Timeline:
    person_id: int
    events: list[Event] = field(default_factory=list)
    next_steps: list[NextStep] = field(default_factory=list)
    # service -> state -> time spent (ongoing states count up to now)
    time_in_state: dict[str, dict[str, timedelta]] = field(default_factory=dict)

    def time_at(self, service: str) -> timedelta:
        return sum(self.time_in_state.get(service, {}).values(), timedelta())


def _case_events(session: Session, case: Case) -> list[Event]:
    cid = case.id or 0
    out = []
    for entry in session.exec(
        select(CaseStateEntry).where(CaseStateEntry.case_id == cid).order_by(col(CaseStateEntry.id))
    ):
        what = f"case {cid} entered '{entry.state}'" + (f" ({entry.action})" if entry.action else " (opened)")
        out.append(Event(entry.entered_at, IVC, entry.actor, "case.state", what, cid, "case", cid))
    agreement = session.exec(select(ServiceAgreement).where(ServiceAgreement.case_id == cid)).first()
    if agreement is not None and agreement.signed_at is not None:
        what = f"service agreement v{agreement.text_version} ({agreement.language}) signed by {agreement.signed_how}"
        out.append(
            Event(
                agreement.signed_at,
                IVC,
                agreement.recorded_by or "",
                "agreement.signed",
                what,
                cid,
                "agreement",
                agreement.id,
            )
        )
    for d in session.exec(select(Decision).where(Decision.case_id == cid).order_by(col(Decision.id))):
        out.append(
            Event(d.decided_at, IVC, d.decided_by, "decision", f"decision {d.kind}: {d.outcome}", cid, "decision", d.id)
        )
        if d.revoked_at is not None:
            out.append(
                Event(
                    d.revoked_at,
                    IVC,
                    d.revoked_by or "",
                    "decision.revoked",
                    f"decision {d.kind} revoked",
                    cid,
                    "decision",
                    d.id,
                )
            )
    for doc in session.exec(
        select(IssuedDocument).where(IssuedDocument.case_id == cid).order_by(col(IssuedDocument.id))
    ):
        out.append(
            Event(
                doc.issued_at,
                IVC,
                doc.issued_by,
                "document.issued",
                f"{doc.doc_type} {doc.number} issued",
                cid,
                "document",
                doc.id,
            )
        )
        if doc.revoked_at is not None:
            out.append(
                Event(
                    doc.revoked_at,
                    IVC,
                    doc.revoked_by or "",
                    "document.revoked",
                    f"{doc.doc_type} {doc.number} revoked",
                    cid,
                    "document",
                    doc.id,
                )
            )
    for b in session.exec(
        select(MediatorBooking).where(MediatorBooking.case_id == cid).order_by(col(MediatorBooking.id))
    ):
        what = f"mediator {b.mediator} booked ({b.language}) for {b.starts_at:%Y-%m-%d %H:%M}"
        out.append(Event(b.created_at, IVC, b.created_by, "mediator.booked", what, cid, "mediatorbooking", b.id))
        if b.cancelled_at is not None:
            what = f"booking of {b.mediator} cancelled: {b.cancel_reason}"
            out.append(
                Event(
                    b.cancelled_at,
                    IVC,
                    b.cancelled_by or "",
                    "mediator.booking_cancelled",
                    what,
                    cid,
                    "mediatorbooking",
                    b.id,
                )
            )
    for s in session.exec(
        select(InterviewSession).where(InterviewSession.case_id == cid).order_by(col(InterviewSession.id))
    ):
        with_mediator = f" with {s.mediator}" if s.mediator else ""
        what = f"{s.purpose} session{with_mediator}, {s.duration_minutes} min, in {', '.join(s.languages)}"
        out.append(Event(s.started_at, IVC, s.operator, "session", what, cid, "interviewsession", s.id))
    return out


def _referral_events(r: Referral) -> list[Event]:
    out = [
        Event(
            r.sent_at,
            r.from_service,
            r.created_by,
            "referral.sent",
            f"referred to {r.to_service}: {r.request}",
            r.case_id,
            "referral",
            r.id,
        )
    ]
    if r.responded_at is not None:
        if r.status == ReferralStatus.REFUSED.value:
            what = f"{r.to_service} refused: {r.refusal_reason}"
            kind = "referral.refused"
        else:
            what, kind = f"{r.to_service} accepted the referral", "referral.accepted"
        out.append(Event(r.responded_at, r.to_service, r.responded_by or "", kind, what, r.case_id, "referral", r.id))
    if r.closed_at is not None:
        if r.status == ReferralStatus.WITHDRAWN.value:
            service, kind, what = r.from_service, "referral.withdrawn", f"referral withdrawn: {r.closing_note}"
        else:
            service, kind, what = r.to_service, "referral.completed", f"{r.to_service} completed the referral"
        out.append(Event(r.closed_at, service, r.closed_by or "", kind, what, r.case_id, "referral", r.id))
    return out


def _durations(
    session: Session, person_cases: list[Case], referrals: list[Referral], now: datetime
) -> dict[str, dict[str, timedelta]]:
    spent: dict[str, dict[str, timedelta]] = defaultdict(lambda: defaultdict(timedelta))
    ids = [c.id for c in person_cases]
    if ids:
        for e in session.exec(select(CaseStateEntry).where(col(CaseStateEntry.case_id).in_(ids))):
            if e.state != CaseState.CLOSED.value:
                spent[IVC][e.state] += (e.left_at or now) - e.entered_at
    for r in referrals:
        answered = r.responded_at or r.closed_at or now
        spent[r.to_service]["awaiting_answer"] += answered - r.sent_at
        if r.status in (ReferralStatus.ACCEPTED.value, ReferralStatus.COMPLETED.value) or (
            r.status == ReferralStatus.WITHDRAWN.value and r.responded_at is not None
        ):
            assert r.responded_at is not None
            spent[r.to_service]["in_charge"] += (r.closed_at or now) - r.responded_at
    return {service: dict(by_state) for service, by_state in spent.items()}


def _next_steps(session: Session, person_cases: list[Case], referrals: list[Referral], now: datetime) -> list[NextStep]:
    steps = []
    for case in person_cases:
        step = states.next_human_step(cases.facts(session, case))
        if step is None:
            continue
        what, role = step
        who = case.operator if role is Role.OPERATOR else None
        steps.append(
            NextStep(what, _ROLE_SERVICE.get(role, IVC), role.value, who, case.id, None, case.state_entered_at)
        )
        for b in session.exec(
            select(MediatorBooking).where(
                MediatorBooking.case_id == case.id,
                MediatorBooking.status == "booked",
                col(MediatorBooking.starts_at) >= now,
            )
        ):
            what = f"{b.purpose} with {b.mediator} on {b.starts_at:%Y-%m-%d %H:%M}"
            steps.append(NextStep(what, IVC, Role.MEDIATOR.value, b.mediator, case.id, None, b.created_at))
    for r in referrals:
        if r.status == ReferralStatus.SENT.value:
            steps.append(
                NextStep(f"answer to the referral: {r.request}", r.to_service, None, None, r.case_id, r.id, r.sent_at)
            )
        elif r.status == ReferralStatus.ACCEPTED.value:
            steps.append(NextStep(f"carry out: {r.request}", r.to_service, None, None, r.case_id, r.id, r.responded_at))
    return steps


def person_timeline(session: Session, person_id: int, actor: Actor) -> Timeline:
    """Everything that happened to the person across services, oldest first, with what is next."""
    person = get_person(session, person_id)
    authorize(actor, Permission.TIMELINE_READ, person.territory)
    now = utcnow()
    person_cases = list(session.exec(select(Case).where(Case.person_id == person_id).order_by(col(Case.id))))
    referrals = referrals_for_person(session, person_id)
    events: list[Event] = []
    for case in person_cases:
        events.extend(_case_events(session, case))
    for r in referrals:
        events.extend(_referral_events(r))
    # Stable: same-instant events keep the order they were built in (state before its effects).
    events.sort(key=lambda e: e.at)
    return Timeline(
        person_id=person_id,
        events=events,
        next_steps=_next_steps(session, person_cases, referrals, now),
        time_in_state=_durations(session, person_cases, referrals, now),
    )
