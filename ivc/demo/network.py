"""The demo network after some months (#18): referrals between services, bookings with mediators,
vacancies matched with the consented dossiers, a reminders run and a sample check, all through
the real services. ``waiting_work`` then says what waits for each demo account."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, col, func, select

from ivc.auth.roles import Actor, Role
from ivc.auth.service import get_actor
from ivc.case import service as cases
from ivc.case.models import Case
from ivc.case.states import CaseState
from ivc.claim import service as claims
from ivc.claim.models import ClaimStatus
from ivc.database.core import session_scope, utcnow
from ivc.errors import DomainError
from ivc.framework.models import Competence
from ivc.matching import service as matching
from ivc.matching.models import Vacancy
from ivc.mediation import service as mediation
from ivc.mediation.models import BookingStatus, MediatorBooking
from ivc.person import service as persons
from ivc.referral import service as referrals
from ivc.referral.models import ConsentBasis, Referral, ReferralStatus, Service, Urgency
from ivc.reminder import service as reminders
from ivc.samplecheck import service as samplechecks
from ivc.samplecheck.models import CheckOutcome, SampleCheckItem

VACANCIES = Path(__file__).with_name("vacancies.csv")
_HELD = {ClaimStatus.CONFIRMED.value, ClaimStatus.VALIDATED.value, ClaimStatus.CERTIFIED.value}

# (from, to, reason, request, urgency, how it ends). Services without accounts are recorded by
# the district's IVC operator on their behalf; the CPI acts for itself (cpi.genova, district 3).
_REFERRALS: list[tuple[Service, Service, str, str, Urgency, str]] = [
    (Service.SOCIAL_SERVICES, Service.IVC, "Segnalata dal servizio sociale del distretto.",
     "Percorso di individuazione delle competenze.", Urgency.NORMAL, "completed"),
    (Service.IVC, Service.CPIA, "Italiano sotto il livello richiesto dalla qualificazione.",
     "Iscrizione al corso di italiano del CPIA.", Urgency.NORMAL, "accepted"),
    (Service.IVC, Service.HEALTH_SERVICES, "Richiesta di certificato di idoneità.",
     "Visita per l'idoneità alla mansione.", Urgency.LOW, "refused"),
    (Service.IVC, Service.CPI, "Competenze validate, in cerca di lavoro.",
     "Presa in carico per l'incontro domanda-offerta.", Urgency.HIGH, "sent"),
    (Service.PREFETTURA, Service.IVC, "Segnalata dal Consiglio territoriale per l'immigrazione.",
     "Colloquio di accoglienza IVC.", Urgency.NORMAL, "sent"),
    (Service.RECEPTION_CENTRE, Service.IVC, "Ospite del centro di accoglienza.",
     "Percorso IVC con mediazione linguistica.", Urgency.NORMAL, "accepted"),
]  # fmt: skip


@dataclass(frozen=True)
class NetworkCounts:
    referrals: int
    bookings: int
    vacancies: int
    matched: int
    reminders: dict[str, int]
    sample_items: int


def _actor(session: Session, username: str) -> Actor:
    return get_actor(session, username)


def _open_cases(session: Session) -> list[Case]:
    return list(
        session.exec(
            select(Case)
            .where(col(Case.created_by).like("operatore%"), Case.state != CaseState.CLOSED.value)
            .order_by(col(Case.id))
        )
    )


def _referrals(session: Session) -> int:
    every = list(session.exec(select(Case).where(col(Case.created_by).like("operatore%")).order_by(col(Case.id))))
    cpi = _actor(session, "cpi.genova")
    sent = 0
    for i, (src, dst, reason, request, urgency, end) in enumerate(_REFERRALS):
        # the CPI referral goes to a case of district 3, where the demo's CPI advisor works
        pool = [c for c in every if c.territory == "3"] if dst is Service.CPI else every
        case = pool[(i * 5) % len(pool)]
        op = _actor(session, case.operator)
        person = persons.get_person(session, case.person_id)
        data = referrals.ReferralIn(
            from_service=src, to_service=dst, reason=reason, request=request, urgency=urgency,
            consent_basis=ConsentBasis.PUBLIC_TASK, contact_operator=op.username, case_id=case.id,
        )  # fmt: skip
        referral = referrals.send(session, person, data, op)
        answerer = cpi if dst is Service.CPI else op
        rid = referral.id or 0
        if end in ("accepted", "completed"):
            referrals.accept(session, rid, answerer, note="Presa in carico.")
        if end == "completed":
            referrals.complete(session, rid, answerer, note="Percorso avviato.")
        if end == "refused":
            referrals.refuse(session, rid, "Non di competenza del servizio: rivolgersi al medico di base.", answerer)
        sent += 1
    return sent


# What the person said at the follow-up, in their words and in the mediator's Italian.
_SAID_IT = "Ho portato le buste paga dell'ultimo lavoro e una lettera del datore di lavoro."
_SAID = {
    "ar": "أحضرت قسائم الراتب من عملي الأخير ورسالة من صاحب العمل.",
    "en": "I brought the payslips from my last job and a letter from my employer.",
    "fr": "J'ai apporté les fiches de paie de mon dernier travail et une lettre de mon employeur.",
    "uk": "Я принесла розрахункові листи з останньої роботи та лист від роботодавця.",
    "es": "Traje las nóminas de mi último trabajo y una carta de mi empleador.",
    "ur": "میں اپنی پچھلی نوکری کی تنخواہ کی پرچیاں اور آجر کا خط لایا ہوں۔",
}


def _book_any(
    session: Session, case: Case, op: Actor, languages: list[str], starts_at: datetime
) -> MediatorBooking | None:
    """The case's mediator in the interview language, else the first free mediator in another
    language the person speaks; None when nobody covers them."""
    for language in languages:
        for mediator in (case.mediator, None):
            try:
                return mediation.book(
                    session, case, op, language=language, starts_at=starts_at,
                    ends_at=starts_at + timedelta(hours=1), mediator=mediator, purpose="follow_up",
                )  # fmt: skip
            except DomainError:
                continue
    return None


def _bookings(session: Session) -> int:
    """For every open case with a mediator: a follow-up held last month (presence and a statement)
    and one booked for next week."""
    made = 0
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    for i, case in enumerate(c for c in _open_cases(session) if c.mediator and c.interview_language != "it"):
        op = _actor(session, case.operator)
        person = persons.get_person(session, case.person_id)
        spoken = [case.interview_language, *(lang["code"] for lang in person.languages)]
        languages = [lang for lang in dict.fromkeys(spoken) if lang in _SAID]
        past = now - timedelta(days=30 - i, hours=i)
        held = _book_any(session, case, op, languages, past)
        if held is None:
            continue
        present = i != 3
        done = mediation.record_session(
            session, case, op, started_at=past, duration_minutes=60, languages=[held.language, "it"],
            booking_id=held.id, person_present=present, purpose="follow_up",
        )  # fmt: skip
        if present:  # one person missed the follow-up: the session records the absence
            mediation.record_statement(
                session, case, op, language=held.language, text_original=_SAID[held.language], text_it=_SAID_IT,
                translated_by=held.mediator, session_id=done.id,
            )  # fmt: skip
        made += 1 + (_book_any(session, case, op, [held.language], now + timedelta(days=7, hours=i)) is not None)
    return made


def _vacancies(session: Session) -> tuple[int, int]:
    """The CPI's vacancies: the file's, plus one per qualification the demo's people hold, asking
    for its competences (and their ESCO skills), each matched once (the views go to the access log)."""
    cpi = _actor(session, "cpi.genova")
    created = matching.import_vacancies(session, VACANCIES, cpi)
    # qualification -> (title, how many dossiers hold each of its competences)
    held: dict[str, tuple[str, Counter[int]]] = {}
    for case in session.exec(select(Case).where(col(Case.created_by).like("operatore%")).order_by(col(Case.id))):
        confirmed = [c.competence_id for c in claims.claims_for_case(session, case.id or 0) if c.status in _HELD]
        for q in cases.target_qualifications(session, case.id or 0):
            if confirmed:
                held.setdefault(q.code, (q.title.get("it") or q.code, Counter()))[1].update(confirmed)
    # the four qualifications most people hold, asking for what most of them hold
    ranked = sorted(held.items(), key=lambda kv: (-max(kv[1][1].values()), kv[0]))[:4]
    matched = 0
    for n, (_code, (title, counts)) in enumerate(ranked, start=1):
        comps = [c for cid, _ in counts.most_common(3) if (c := session.get(Competence, cid)) is not None]
        essential = [comps[0].code, *comps[0].esco_skills[:1]]
        optional = [c.code for c in comps[1:]]
        vacancy = matching.create_vacancy(
            session, cpi, reference=f"VAC-DEMO-{n:02d}", title=title[:300], employer="Cooperativa Demo Liguria",
            district="3", essential=essential, optional=optional, italian_level="A2",
            start_date=date.today() + timedelta(days=30),
        )  # fmt: skip
        created += 1
        matched += len(matching.match_vacancy(session, vacancy.id or 0, cpi, top=5))
    return created, matched


def _sample_check(session: Session) -> int:
    """ALFA's sample check of this month's documents: one dossier checked, the rest waiting."""
    alfa = _actor(session, "alfa.revisore")
    today = date.today()
    check = samplechecks.draw_sample(
        session, alfa, today - timedelta(days=30), today + timedelta(days=1), rate=0.3, seed=18
    )
    drawn = samplechecks.items(session, check.id or 0)
    if drawn:
        samplechecks.record_outcome(session, drawn[0].id or 0, CheckOutcome.COMPLIANT, alfa)
    return len(drawn)


def seed_network() -> NetworkCounts:
    with session_scope() as session:
        sent = _referrals(session)
    with session_scope() as session:
        booked = _bookings(session)
    with session_scope() as session:
        vacancies, matched = _vacancies(session)
    with session_scope() as session:
        # A run as it would go two months on: the inactivity warnings, nothing archived yet.
        run = reminders.run_jobs(session, utcnow() + timedelta(days=61))
        reminders.deliver(session)
    with session_scope() as session:
        items = _sample_check(session)
    return NetworkCounts(sent, booked, vacancies, matched, run, items)


def _count(session: Session, stmt: object) -> int:
    return int(session.exec(stmt).one())  # type: ignore[call-overload]


def waiting_work(session: Session) -> list[tuple[str, str]]:
    """(account, what waits for it) for every demo account."""
    from ivc.demo.script import STAFF

    now = utcnow()
    out: list[tuple[str, str]] = []
    for username, _, role, districts, _ in STAFF:
        actor = _actor(session, username)
        waiting = select(func.count()).select_from(Case).where(Case.waiting_role == role.value)
        if not actor.region_wide and districts:
            waiting = waiting.where(col(Case.territory).in_(districts))
        parts = [f"{_count(session, waiting)} casi in attesa"]
        if role is Role.OPERATOR:
            inbox = referrals.inbox(session, actor, Service.IVC)
            parts.append(f"{len(inbox)} invii da accettare")
        elif role is Role.MEDIATOR:
            booked = (
                select(func.count())
                .select_from(MediatorBooking)
                .where(
                    MediatorBooking.mediator == username,
                    MediatorBooking.status == BookingStatus.BOOKED.value,
                    col(MediatorBooking.starts_at) >= now,
                )
            )
            parts = [f"{_count(session, booked)} appuntamenti prenotati"]
        elif role is Role.ASSESSOR:
            exams = select(func.count()).select_from(Case).where(Case.state == CaseState.EXAM.value)
            parts.append(f"{_count(session, exams)} esami da tenere")
        elif role is Role.ALFA_REVIEWER:
            queue = select(func.count()).select_from(Case).where(Case.state == CaseState.CERTIFICATION_QUEUE.value)
            pending = (
                select(func.count())
                .select_from(SampleCheckItem)
                .where(SampleCheckItem.outcome == CheckOutcome.PENDING.value)
            )
            parts.append(f"{_count(session, queue)} in coda di certificazione")
            parts.append(f"{_count(session, pending)} dossier a campione da controllare")
        elif role is Role.CPI_ADVISOR:
            inbox = referrals.inbox(session, actor, Service.CPI)
            vacancies = _count(session, select(func.count()).select_from(Vacancy))
            parts = [f"{len(inbox)} invii da accettare", f"{vacancies} offerte da abbinare"]
        elif role is Role.MONITORING:
            total = _count(session, select(func.count()).select_from(Referral))
            open_ = _count(
                session,
                select(func.count()).select_from(Referral).where(Referral.status == ReferralStatus.SENT.value),
            )
            parts = [f"{total} invii nella rete, {open_} senza risposta"]
        out.append((username, ", ".join(parts)))
    return out
