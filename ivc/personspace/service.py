"""What a person sees and does in their own space, decided here and only for themself.

Every function takes the person's actor (``ivc.auth.roles.person_actor``, from a sign-in with
their access code) and the person id the page asks for; ``require_self`` refuses any other id
(``not_yours``), so a person id typed into the address shows nothing of anyone else. The reads
reuse the services that decide each thing: where the case is and whom it waits on
(``ivc.case.states.next_human_step`` over ``ivc.case.service.facts``), what evidence is still
wanted (``ivc.coverage``), consents (``ivc.consent.service``, withdrawal effective at once),
who looked (the dossier access log) and the export (``ivc.privacy.export``). The person's own
reads are not views by someone else: they are not written to the access log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, select

from ivc.assessment.models import ExamSession
from ivc.audit import service as audit
from ivc.auth.policy import Permission, authorize
from ivc.auth.roles import SYSTEM_ACTOR, Actor, Role
from ivc.case import service as cases
from ivc.case import states
from ivc.case.models import Case
from ivc.consent import service as consents
from ivc.consent.models import ConsentPurpose
from ivc.coverage.service import case_coverage
from ivc.database.core import utcnow
from ivc.document.credentials import verify_link
from ivc.document.models import IssuedDocument
from ivc.errors import NotFound, PermissionDenied, ValidationFailed
from ivc.evidence.storage import EvidenceStore
from ivc.mediation.models import BookingStatus, MediatorBooking
from ivc.person.models import Person
from ivc.personspace.models import PersonRequest, RequestKind
from ivc.privacy import export as privacy_export
from ivc.text import forbidden_char

# Consents the person may give or withdraw here. The IVC service rests on a public-interest task,
# not on consent: its notice is shown, never withdrawn (withdrawing from the service is a request
# to the operator).
OPTIONAL_PURPOSES = (
    ConsentPurpose.JOB_MATCHING,
    ConsentPurpose.TRAINING_OFFERS,
    ConsentPurpose.EMPLOYER_CONTACT,
    ConsentPurpose.MONITORING_FOLLOW_UP,
)
CREDENTIAL_KINDS = ("twin", "vc", "openbadge", "europass")
MAX_REQUEST = 2000


def require_self(session: Session, actor: Actor, person_id: int) -> Person:
    """The person's own record, or ``PermissionDenied`` (``not_yours``) for anyone else's id, for
    staff and for an erased person alike."""
    if actor.role is not Role.PERSON or actor.person_id is None or actor.person_id != person_id:
        raise PermissionDenied("a person sees only their own records", code="not_yours")
    person = session.get(Person, person_id)
    if person is None or person.erased_at is not None:
        raise PermissionDenied("a person sees only their own records", code="not_yours")
    return person


def _cases(session: Session, person_id: int) -> list[Case]:
    return list(
        session.exec(
            select(Case).where(Case.person_id == person_id, col(Case.erased_at).is_(None)).order_by(col(Case.id))
        )
    )


# ---------------------------------------------------------------------------- the path


@dataclass(frozen=True)
class Appointment:
    kind: str  # mediator | exam
    when: datetime | date
    place: str | None = None


@dataclass(frozen=True)
class EvidenceWanted:
    competence: str
    proof: str | None  # the cheapest proof still to bring, in the person's language


@dataclass
class PathView:
    case_id: int
    state: str
    outcome: str | None
    next_step: str | None  # a step of states.next_human_step, None when closed
    waits_on: str | None  # a role value
    suspended_until: date | None
    appointments: list[Appointment] = field(default_factory=list)
    evidence_wanted: list[EvidenceWanted] = field(default_factory=list)
    no_papers: bool = False
    documents: int = 0


def my_path(session: Session, actor: Actor, person_id: int, lang: str = "it") -> list[PathView]:
    """Each of the person's cases: where it is, what comes next and on whom it waits, the
    appointments ahead and, while competences are being identified, what evidence is still wanted."""
    require_self(session, actor, person_id)
    today = utcnow()
    views = []
    for case in _cases(session, person_id):
        step = states.next_human_step(cases.facts(session, case))
        view = PathView(
            case_id=case.id or 0,
            state=case.state,
            outcome=case.outcome,
            next_step=step[0] if step else None,
            waits_on=step[1].value if step else None,
            suspended_until=case.suspended_until,
            documents=len(cases.issued_documents(session, case.id or 0)),
        )
        for booking in session.exec(
            select(MediatorBooking)
            .where(MediatorBooking.case_id == case.id, MediatorBooking.status == BookingStatus.BOOKED.value)
            .where(col(MediatorBooking.starts_at) >= today)
            .order_by(col(MediatorBooking.starts_at))
        ):
            view.appointments.append(Appointment("mediator", booking.starts_at))
        exam = session.exec(select(ExamSession).where(ExamSession.case_id == case.id)).first()
        if exam is not None and exam.scheduled_for >= today.date():
            view.appointments.append(Appointment("exam", exam.scheduled_for, exam.place))
        if case.state in (states.CaseState.IDENTIFICATION.value,):
            coverage = case_coverage(session, case.id or 0, SYSTEM_ACTOR, lang)
            view.no_papers = coverage.no_papers
            view.evidence_wanted = [
                EvidenceWanted(c.title, (c.next_proof or {}).get("label"))
                for c in coverage.competences
                if c.status != "sufficient"
            ]
        views.append(view)
    return views


# ---------------------------------------------------------------------------- documents


@dataclass(frozen=True)
class DocumentView:
    id: int
    case_id: int
    doc_type: str
    number: str
    issued_at: datetime
    verification_code: str
    link: str  # the short link the QR code carries: show it to an employer
    revoked: bool
    credentials: tuple[str, ...]  # which signed credentials exist (twin, vc, openbadge, europass)


def my_documents(session: Session, actor: Actor, person_id: int) -> list[DocumentView]:
    require_self(session, actor, person_id)
    out = []
    for case in _cases(session, person_id):
        for doc in cases.issued_documents(session, case.id or 0):
            out.append(
                DocumentView(
                    id=doc.id or 0,
                    case_id=doc.case_id,
                    doc_type=doc.doc_type,
                    number=doc.number,
                    issued_at=doc.issued_at,
                    verification_code=doc.verification_code,
                    link=verify_link({"verification_code": doc.verification_code}),
                    revoked=doc.revoked_at is not None,
                    credentials=tuple(k for k in CREDENTIAL_KINDS if doc.credentials.get(k) is not None),
                )
            )
    return out


def _own_document(session: Session, actor: Actor, person_id: int, document_id: int) -> IssuedDocument:
    require_self(session, actor, person_id)
    doc = session.get(IssuedDocument, document_id)
    case = session.get(Case, doc.case_id) if doc is not None else None
    if doc is None or case is None or case.person_id != person_id:
        raise PermissionDenied("a person sees only their own records", code="not_yours")
    return doc


def document_pdf(session: Session, actor: Actor, person_id: int, document_id: int, store: EvidenceStore) -> bytes:
    """The issued PDF of one of the person's documents (hash checked by the store)."""
    return store.get(_own_document(session, actor, person_id, document_id).storage_key)


def document_credential(session: Session, actor: Actor, person_id: int, document_id: int, kind: str) -> str:
    """One signed credential of the person's document, as the JSON text to save."""
    doc = _own_document(session, actor, person_id, document_id)
    value = doc.credentials.get(kind) if kind in CREDENTIAL_KINDS else None
    if value is None:
        raise NotFound(f"document {document_id} has no {kind!r} credential", entity="credential", key=kind)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=1)


# ---------------------------------------------------------------------------- consents


@dataclass(frozen=True)
class ConsentView:
    purpose: str
    active: bool
    recipients: tuple[str, ...]
    since: datetime | None  # given (active) or withdrawn (not active), the latest
    changeable: bool  # optional purposes only


def my_consents(session: Session, actor: Actor, person_id: int) -> list[ConsentView]:
    """Every purpose, with whether the person's consent is in force now and to whom."""
    require_self(session, actor, person_id)
    history = consents.consent_history(session, person_id).consents
    out = []
    for purpose in ConsentPurpose:
        active = consents.active_consents(session, person_id, purpose)
        withdrawn = [e.withdrawn_at for e in history if e.purpose == purpose.value and e.withdrawn_at is not None]
        since = active[0].given_at if active else max(withdrawn, default=None)
        out.append(
            ConsentView(
                purpose=purpose.value,
                active=bool(active),
                recipients=tuple(sorted({r.recipient for r in active})),
                since=since,
                changeable=purpose in OPTIONAL_PURPOSES,
            )
        )
    return out


def _optional(purpose: ConsentPurpose | str) -> ConsentPurpose:
    chosen = ConsentPurpose(purpose)
    if chosen not in OPTIONAL_PURPOSES:
        raise ValidationFailed(f"{chosen.value} is not given or withdrawn by consent", field="purpose")
    return chosen


def give(session: Session, actor: Actor, person_id: int, purpose: ConsentPurpose | str, lang: str) -> None:
    """The person gives a consent, having read its text in ``lang`` in their space (recorded in
    that language when the person's record says they understand it, else in their preferred one)."""
    person = require_self(session, actor, person_id)
    language = lang if lang in consents.understood_languages(person) else person.preferred_language
    consents.give_consent(session, person, _optional(purpose), language, actor, explained_by=None)


def withdraw(session: Session, actor: Actor, person_id: int, purpose: ConsentPurpose | str) -> None:
    """The person withdraws a consent: in force at once (job matching stops finding them)."""
    person = require_self(session, actor, person_id)
    consents.withdraw_consent(session, person, _optional(purpose), actor, reason="withdrawn by the person")


# ---------------------------------------------------------------------------- who looked


@dataclass(frozen=True)
class LookView:
    viewed_at: datetime
    who: str
    role: str
    organisation: str
    what: str
    purpose: str
    basis: str  # "consent" or the legal basis


def who_looked(session: Session, actor: Actor, person_id: int) -> list[LookView]:
    """Every view of the dossier by someone else, newest first: who, which service, when, under
    which consent or legal basis. The log holds no notes, only what was looked at."""
    require_self(session, actor, person_id)
    rows = consents.access_log(session, person_id)
    return [
        LookView(
            viewed_at=r.viewed_at,
            who=r.actor,
            role=r.role,
            organisation=r.organisation,
            what=r.what,
            purpose=r.purpose,
            basis="consent" if r.consent_id is not None else str(r.legal_basis),
        )
        for r in reversed(rows)
    ]


# ---------------------------------------------------------------------------- their data


def my_export(session: Session, actor: Actor, person_id: int, store: EvidenceStore, lang: str) -> bytes:
    """The access and portability export, in the language of the space (audited)."""
    person = require_self(session, actor, person_id)
    return privacy_export.archive(session, person, actor, store, lang)


def _text(value: str) -> str:
    if forbidden_char(value, " \t\n\r") is not None:
        raise ValidationFailed("the text holds an invisible control character", field="text")
    value = value.strip()
    if not value:
        raise ValidationFailed("say what to correct or erase", field="text", code="request_empty")
    if len(value) > MAX_REQUEST:
        raise ValidationFailed(f"at most {MAX_REQUEST} characters", field="text", limit=MAX_REQUEST)
    return value


def send_request(session: Session, actor: Actor, person_id: int, kind: RequestKind | str, text: str) -> PersonRequest:
    """A request for correction or erasure, for the operators of the person's district."""
    person = require_self(session, actor, person_id)
    request = PersonRequest(
        person_id=person_id,
        kind=RequestKind(kind).value,
        text=_text(text),
        created_by=actor.username,
        territory=person.territory,
    )
    session.add(request)
    session.flush()
    audit.record(
        session,
        actor,
        "person.request_sent",
        entity="personrequest",
        entity_id=request.id,
        territory=person.territory,
        after={"kind": request.kind},  # the text stays in its row, never in the log
    )
    session.flush()
    return request


def my_requests(session: Session, actor: Actor, person_id: int) -> list[PersonRequest]:
    require_self(session, actor, person_id)
    return list(
        session.exec(
            select(PersonRequest).where(PersonRequest.person_id == person_id).order_by(col(PersonRequest.id).desc())
        )
    )


def open_requests(session: Session, actor: Actor) -> list[PersonRequest]:
    """The operator's queue: open requests of people of the operator's districts, oldest first."""
    authorize(actor, Permission.INTAKE)
    stmt = select(PersonRequest).where(PersonRequest.status == "open").order_by(col(PersonRequest.id))
    if not actor.region_wide:
        stmt = stmt.where(col(PersonRequest.territory).in_(sorted(actor.districts)))
    return list(session.exec(stmt))


def close_request(session: Session, actor: Actor, request_id: int) -> PersonRequest:
    """An operator of the district marks a request as dealt with (audited)."""
    request = session.get(PersonRequest, request_id)
    if request is None:
        raise NotFound(f"no request {request_id}", entity="personrequest", key=request_id)
    authorize(actor, Permission.INTAKE, request.territory)
    if request.status != "closed":
        request.status = "closed"
        request.closed_at = utcnow()
        request.closed_by = actor.username
        session.add(request)
        audit.record(
            session,
            actor,
            "person.request_closed",
            entity="personrequest",
            entity_id=request.id,
            territory=request.territory,
        )
        session.flush()
    return request
