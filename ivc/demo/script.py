"""Drive the demo population through the IVC path: scripted human steps by the demo staff,
automated steps by the real Prefect flows, all on the real database.

Each round records one kind of human step for every person whose journey goes that far, then
runs ``advance_cases`` once for the whole batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session, col, func, select

from ivc.agreement import service as agreements
from ivc.assessment import service as assessments
from ivc.assessment.models import AssessmentMethod, AssessmentPhase, ResultOutcome
from ivc.auth.models import User
from ivc.auth.roles import Actor, Role
from ivc.auth.service import create_user, get_actor, set_password
from ivc.case import service as cases
from ivc.case.models import Case
from ivc.case.states import Action, CaseState
from ivc.claim import service as claims
from ivc.claim.models import ClaimStatus
from ivc.consent import service as consents
from ivc.consent.models import ConsentPurpose
from ivc.database.core import session_scope, utcnow
from ivc.decision import service as decisions
from ivc.decision.models import DecisionKind
from ivc.document.models import IssuedDocument
from ivc.evidence import service as evidence
from ivc.evidence.models import EvidenceKind, EvidenceType
from ivc.experience import service as experiences
from ivc.experience.models import Experience
from ivc.framework.models import Competence
from ivc.mediation import service as mediation
from ivc.mediation.models import MediatorKind
from ivc.participation import service as participation
from ivc.participation.models import ActivityKind, Answer
from ivc.participation.service import ActivityIn
from ivc.person import service as persons

from .population import DemoPerson, load_population

DISTRICTS = ("1", "2", "3", "4", "5")

STAFF: list[tuple[str, str, Role, list[str], list[str]]] = [
    *[(f"operatore{d}", f"Operatore IVC distretto {d}", Role.OPERATOR, [d], ["it"]) for d in DISTRICTS],
    ("mediatrice.ar", "Samira Haddad", Role.MEDIATOR, list(DISTRICTS), ["ar", "fr", "it"]),
    ("mediatore.en", "John Mensah", Role.MEDIATOR, list(DISTRICTS), ["en", "fr", "wo", "it"]),
    ("mediatrice.uk", "Olena Kovalenko", Role.MEDIATOR, list(DISTRICTS), ["uk", "ru", "it"]),
    ("mediatrice.es", "Lucía Paredes", Role.MEDIATOR, list(DISTRICTS), ["es", "it"]),
    ("mediatore.asia", "Rahim Chowdhury", Role.MEDIATOR, list(DISTRICTS), ["bn", "ur", "fa", "zh", "it"]),
    ("valutatore.ev", "Esperto di valutazione (EV)", Role.ASSESSOR, [], ["it"]),
    ("valutatrice.es", "Esperta di settore (ES)", Role.ASSESSOR, [], ["it"]),
    ("alfa.revisore", "Revisore ALFA", Role.ALFA_REVIEWER, [], ["it"]),
    ("alfa.approvatrice", "Seconda revisora ALFA (quattro occhi)", Role.ALFA_REVIEWER, [], ["it"]),
    ("cpi.genova", "Consulente CPI Genova", Role.CPI_ADVISOR, ["3"], ["it"]),
    ("monitoraggio", "Liguria Ricerche", Role.MONITORING, [], ["it"]),
]

_MEDIATOR_FOR = {
    "ar": "mediatrice.ar",
    "uk": "mediatrice.uk",
    "es": "mediatrice.es",
    "en": "mediatore.en",
    "fr": "mediatore.en",
    "wo": "mediatore.en",
}

# How far each journey goes, as the last round it takes part in.
_REACH = {
    "in_access": 0,
    "not_admitted": 1,
    "withdrawn": 2,
    "in_identification": 2,
    "transparency_issued": 3,
    "transparency_only": 4,
    "in_validation": 5,
    "validation_issued": 5,
    "validated_partial_stop": 6,
    "validated_full_stop": 6,
    "certification_queue": 6,
    "in_exam": 7,
    "certified_partial": 7,
    "certified_full": 7,
}


def mediator_for(language: str) -> str | None:
    if language == "it":
        return None
    return _MEDIATOR_FOR.get(language, "mediatore.asia")


@dataclass
class DemoRun:
    people: list[DemoPerson]
    case_of: dict[str, int] = field(default_factory=dict)

    def cases_for(self, round_no: int) -> list[tuple[DemoPerson, int]]:
        return [
            (p, self.case_of[p.key]) for p in self.people if p.key in self.case_of and _REACH[p.journey] >= round_no
        ]


# Every demo account (and the admin of a demo database) signs in with this password. Demo only:
# a real installation creates accounts with ``ivc users add``.
DEMO_PASSWORD = "ivc-demo-2026"


def seed_staff() -> None:
    with session_scope() as session:
        for username, name, role, districts, languages in STAFF:
            create_user(session, username, name, role, districts, languages)
        admin = _actor(session, "admin")
        for username in ["admin", *[row[0] for row in STAFF]]:
            user = session.exec(select(User).where(User.username == username)).one()
            if not user.password_hash:
                set_password(session, username, DEMO_PASSWORD, admin)
        for username, _, role, _, languages in STAFF:
            if role is Role.MEDIATOR:
                pairs = [f"{code}-it" for code in languages if code != "it"]
                mediation.set_profile(session, username, MediatorKind.MEDIATOR, pairs, admin)


def _actor(session: Session, username: str) -> Actor:
    return get_actor(session, username)


def round_intake(run: DemoRun) -> list[int]:
    """Round 0: register each person and open their case."""
    with session_scope() as session:
        for p in run.people:
            operator = _actor(session, f"operatore{p.person.district}")
            person = persons.register_person(session, p.person, operator)
            case = cases.open_case(
                session,
                person,
                [p.target],
                operator,
                mediator=mediator_for(p.interview_language),
                interview_language=p.interview_language,
            )
            run.case_of[p.key] = case.id or 0
    return list(run.case_of.values())


def round_access(run: DemoRun) -> list[int]:
    """Round 1: privacy notice, service agreement, admissibility decision and admission."""
    ids = []
    for p, case_id in run.cases_for(1):
        with session_scope() as session:
            case = cases.get_case(session, case_id)
            op = _actor(session, case.operator)
            person = persons.get_person(session, case.person_id)
            consents.give_consent(
                session, person, ConsentPurpose.IVC_SERVICE, p.consent_language, op, explained_by=case.mediator
            )
            if p.journey not in ("not_admitted", "withdrawn"):
                consents.give_consent(
                    session, person, ConsentPurpose.JOB_MATCHING, p.consent_language, op, explained_by=case.mediator
                )
            agreements.sign(
                session,
                case,
                op,
                how="click",
                declaration_of_truth=True,
                informed_of_sample_checks=True,
                calendar="Colloqui settimanali per quattro settimane",
            )
            if p.journey == "not_admitted":
                decisions.record_decision(
                    session,
                    case,
                    DecisionKind.ADMISSIBILITY,
                    "non_ammesso",
                    op,
                    comment="Il percorso richiede un titolo abilitante per una professione regolamentata: "
                    "orientata al riconoscimento del titolo estero.",
                )
                cases.transition(session, case, Action.REFUSE_ACCESS, op)
            else:
                decisions.record_decision(
                    session, case, DecisionKind.ADMISSIBILITY, "ammesso", op, comment="Percorso fattibile."
                )
                cases.transition(session, case, Action.ADMIT, op)
        ids.append(case_id)
    return ids


def _record_interview(session: Session, case: Case, op: Actor, recorded: list[Experience]) -> None:
    """Who was at the interview, and each experience's words as the mediator rendered them."""
    if mediation.sessions_for_case(session, case.id or 0):
        return
    languages = sorted({e.language for e in recorded} | {"it"})
    held = mediation.record_session(
        session, case, op, started_at=utcnow() - timedelta(hours=2), duration_minutes=90,
        languages=languages, mediator=case.mediator,
    )  # fmt: skip
    for e in recorded:
        if e.language == "it" or (e.text_it and case.mediator):
            mediation.record_statement(
                session, case, op, language=e.language, text_original=e.text_original, text_it=e.text_it,
                translated_by=case.mediator, session_id=held.id, experience_id=e.id,
            )  # fmt: skip


def round_interviews(run: DemoRun) -> list[int]:
    """Round 2: interviews with the mediator; an interview note as evidence. Withdrawals happen here."""
    ids = []
    for p, case_id in run.cases_for(2):
        with session_scope() as session:
            case = cases.get_case(session, case_id)
            if case.state != CaseState.IDENTIFICATION.value:
                continue
            op = _actor(session, case.operator)
            recorded = []
            for exp in p.experiences:
                data = exp.model_copy(update={"translated_by": case.mediator})
                recorded.append(experiences.add_experience(session, case, data, op))
            _record_interview(session, case, op, recorded)
            note = "\n\n".join(f"{e.title}\n{e.text_it or e.text_original}" for e in recorded)
            evidence.add_evidence(
                session,
                case,
                note.encode("utf-8"),
                title="Scheda del colloquio di individuazione",
                evidence_type=EvidenceType.INTERVIEW_NOTE,
                media_type="text/plain; charset=utf-8",
                actor=op,
                kind=EvidenceKind.NOTE,
                experience_ids=[e.id or 0 for e in recorded],
            )
            if p.journey == "withdrawn":
                cases.request_withdrawal(session, case, "Ha trovato lavoro e non ha tempo per il percorso.", op)
                cases.confirm_withdrawal(session, case, op)
        ids.append(case_id)
    return ids


def round_review(run: DemoRun) -> list[int]:
    """Round 3: the operator reviews suggestions, completes the target by hand, asks for the dossier."""
    ids = []
    for _p, case_id in run.cases_for(3):
        with session_scope() as session:
            case = cases.get_case(session, case_id)
            op = _actor(session, case.operator)
            targets = cases.target_competence_ids(session, case_id)
            exp_ids = [e.id or 0 for e in experiences.experiences_for_case(session, case_id)]
            for claim in claims.claims_for_case(session, case_id):
                status = ClaimStatus.CONFIRMED if claim.competence_id in targets else ClaimStatus.REJECTED
                claims.review(session, claim, case, status, op)
            claimed = {c.competence_id for c in claims.claims_for_case(session, case_id)}
            for competence_id in sorted(targets - claimed):
                competence = session.get(Competence, competence_id)
                assert competence is not None
                claims.add_by_operator(session, case, competence, op, experience_ids=exp_ids)
            cases.request_action(session, case, Action.ISSUE_TRANSPARENCY, op)
        ids.append(case_id)
    return ids


_CPIA = {
    "1": "CPIA Imperia",
    "2": "CPIA Savona",
    "3": "CPIA Genova Centro",
    "4": "CPIA Genova Levante",
    "5": "CPIA La Spezia",
}
_NEXT_LEVEL = {"none": "A1", "A1": "A2", "A2": "B1", "B1": "B2"}


def record_participation(run: DemoRun) -> list[int]:
    """Beside the path: an information session for everyone admitted, the district's CPIA course
    for people below B2 (a placement test, and for every other one an exam a level higher),
    civic orientation for every third person, and the integration question at the end. Nothing
    here needs a flow: returns no case to advance."""
    today = date.today()
    for i, (p, case_id) in enumerate(run.cases_for(2)):
        with session_scope() as session:
            case = cases.get_case(session, case_id)
            op = _actor(session, case.operator)
            pid, district = case.person_id, case.territory
            started = today - timedelta(days=75)

            extra = [
                (ActivityKind.INFORMATION, f"Sportello IVC distretto {district}", "Il servizio IVC e i diritti", 2)
            ]
            if i % 3 == 0:
                extra.append(
                    (ActivityKind.CIVIC_ORIENTATION, "Prefettura - Consiglio territoriale", "Formazione civica", 10)
                )
            for kind, provider, title, hours in extra:
                data = ActivityIn(kind=kind, provider=provider, title=title, started_on=started, hours=hours)
                participation.record_activity(session, pid, data, op)
            level = p.person.italian_level
            if level in _NEXT_LEVEL:
                course = ActivityIn(
                    kind=ActivityKind.LANGUAGE_COURSE,
                    provider=_CPIA.get(district, "CPIA"),
                    title=f"Italiano {_NEXT_LEVEL[level]}",
                    started_on=started,
                    ended_on=today - timedelta(days=1),
                    hours=80,
                    completed=i % 2 == 0,
                )
                row = participation.record_activity(session, pid, course, op)
                start_level = "pre_a1" if level == "none" else level
                participation.record_level(
                    session, pid, level=start_level, assessed_on=started, source="placement_test",
                    activity_id=row.id, actor=op,
                )  # fmt: skip
                if i % 2 == 0:
                    participation.record_level(
                        session, pid, level=_NEXT_LEVEL[level], assessed_on=today - timedelta(days=1),
                        source="course_exam", activity_id=row.id, actor=op,
                    )  # fmt: skip
            if p.journey != "withdrawn":
                answer = Answer.UNSURE if i % 5 == 4 else Answer.HELPED
                participation.record_feedback(
                    session, pid, answer=answer, asked_in=case.interview_language, case_id=case_id, actor=op
                )
    return []


def round_after_transparency(run: DemoRun) -> list[int]:
    """Round 4: the person chooses: stop with the dossier, or ask for validation."""
    ids = []
    for p, case_id in run.cases_for(4):
        with session_scope() as session:
            case = cases.get_case(session, case_id)
            op = _actor(session, case.operator)
            action = Action.CLOSE_AFTER_TRANSPARENCY if p.journey == "transparency_only" else Action.REQUEST_VALIDATION
            cases.transition(session, case, action, op)
        ids.append(case_id)
    return ids


def _outcomes(competence_ids: list[int], partial: bool) -> dict[int, ResultOutcome]:
    ordered = sorted(competence_ids)
    return {
        cid: ResultOutcome.NEGATIVE
        if partial and i == len(ordered) - 1 and len(ordered) > 1
        else ResultOutcome.POSITIVE
        for i, cid in enumerate(ordered)
    }


def round_validation(run: DemoRun, held_on: date) -> list[int]:
    """Round 5: dossier review and technical interview by an independent assessor; ALFA decides."""
    ids = []
    for p, case_id in run.cases_for(5):
        with session_scope() as session:
            case = cases.get_case(session, case_id)
            assessor = _actor(session, "valutatore.ev")
            reviewer = _actor(session, "alfa.revisore")
            in_scope = [c.id or 0 for c in decisions.competences_in_scope(session, case_id, DecisionKind.VALIDATION)]
            results = _outcomes(in_scope, partial=p.journey in ("validated_partial_stop", "certified_partial"))
            assessments.record_assessment(
                session,
                case,
                phase=AssessmentPhase.VALIDATION,
                method=AssessmentMethod.DOSSIER_REVIEW,
                held_on=held_on,
                results=results,
                actor=assessor,
                notes="Esame del dossier delle evidenze.",
            )
            assessments.record_assessment(
                session,
                case,
                phase=AssessmentPhase.VALIDATION,
                method=AssessmentMethod.TECHNICAL_INTERVIEW,
                held_on=held_on,
                results=results,
                actor=assessor,
                notes="Colloquio tecnico con la mediatrice.",
            )
            if p.journey == "in_validation":
                continue
            for cid, outcome in results.items():
                decisions.record_decision(
                    session,
                    case,
                    DecisionKind.VALIDATION,
                    "validata" if outcome is ResultOutcome.POSITIVE else "non_validata",
                    reviewer,
                    competence_id=cid,
                    comment=None
                    if outcome is ResultOutcome.POSITIVE
                    else "Evidenze insufficienti: obiettivo formativo.",
                )
            cases.request_action(session, case, Action.ISSUE_VALIDATION, reviewer)
            cases.approve_request(session, case, _actor(session, "alfa.approvatrice"))  # four eyes
        ids.append(case_id)
    return ids


def round_after_validation(run: DemoRun) -> list[int]:
    """Round 6: stop with the validation document, or ask for certification."""
    ids = []
    for p, case_id in run.cases_for(6):
        with session_scope() as session:
            case = cases.get_case(session, case_id)
            op = _actor(session, case.operator)
            action = Action.CLOSE_AFTER_VALIDATION if p.journey.endswith("_stop") else Action.REQUEST_CERTIFICATION
            cases.transition(session, case, action, op)
        ids.append(case_id)
    return ids


def round_certification(run: DemoRun, exam_day: date) -> list[int]:
    """Round 7: ALFA schedules the exam, the commission assesses, ALFA records and certifies."""
    ids = []
    for p, case_id in run.cases_for(7):
        with session_scope() as session:
            case = cases.get_case(session, case_id)
            reviewer = _actor(session, "alfa.revisore")
            sector_expert = _actor(session, "valutatrice.es")
            in_exam = p.journey == "in_exam"  # waits for the commission, a week from now
            assessments.schedule_exam(
                session,
                case,
                scheduled_for=exam_day + timedelta(days=7) if in_exam else exam_day,
                place="ALFA, Genova",
                president="Presidente esterno",
                method_expert="valutatore.ev",
                sector_expert="valutatrice.es",
                actor=reviewer,
            )
            if in_exam:
                ids.append(case_id)
                continue
            validated = [
                c.id or 0 for c in decisions.competences_in_scope(session, case_id, DecisionKind.CERTIFICATION)
            ]
            results = _outcomes(validated, partial=p.journey == "certified_partial" and len(validated) > 1)
            assessments.record_assessment(
                session,
                case,
                phase=AssessmentPhase.CERTIFICATION,
                method=AssessmentMethod.PRACTICAL_TEST,
                held_on=exam_day,
                results=results,
                actor=sector_expert,
                notes="Prova prestazionale.",
            )
            for cid, outcome in results.items():
                decisions.record_decision(
                    session,
                    case,
                    DecisionKind.CERTIFICATION,
                    "certificata" if outcome is ResultOutcome.POSITIVE else "non_certificata",
                    reviewer,
                    competence_id=cid,
                )
            cases.request_action(session, case, Action.CERTIFY, reviewer)
            cases.approve_request(session, case, _actor(session, "alfa.approvatrice"))  # four eyes
        ids.append(case_id)
    return ids


@dataclass(frozen=True)
class Summary:
    by_state: dict[str, int]
    by_outcome: dict[str, int]
    by_district: dict[str, int]
    documents: dict[str, int]
    people: int


def summarise(session: Session) -> Summary:
    def counts(column: object) -> dict[str, int]:
        rows = session.exec(select(column, func.count()).group_by(column)).all()  # type: ignore[call-overload]
        return {str(k): int(v) for k, v in rows if k is not None}

    return Summary(
        by_state=counts(Case.state),
        by_outcome=counts(Case.outcome),
        by_district=counts(Case.territory),
        documents=counts(IssuedDocument.doc_type),
        people=int(session.exec(select(func.count()).select_from(Case)).one()),
    )


def run_demo(
    advance: Callable[[list[int]], object],
    on_round: Callable[[str, int], None] | None = None,
    people: Iterable[DemoPerson] | None = None,
) -> DemoRun:
    """Seed and drive the population. ``advance`` runs the flows for a batch of case ids."""
    run = DemoRun(list(people) if people is not None else load_population())
    seed_staff()
    today = date.today()
    rounds: list[tuple[str, Callable[[], list[int]]]] = [
        ("accoglienza: registrazione e apertura", lambda: round_intake(run)),
        ("accoglienza: informativa, patto di servizio, ammissibilità", lambda: round_access(run)),
        ("individuazione: colloqui e suggerimenti", lambda: round_interviews(run)),
        ("individuazione: revisione e documento di trasparenza", lambda: round_review(run)),
        ("corsi, livelli di italiano e domanda sull'integrazione", lambda: record_participation(run)),
        ("scelta della persona dopo la trasparenza", lambda: round_after_transparency(run)),
        (
            "validazione: valutazione e documento di validazione",
            lambda: round_validation(run, today - timedelta(days=1)),
        ),
        ("scelta della persona dopo la validazione", lambda: round_after_validation(run)),
        ("certificazione: esame e certificato", lambda: round_certification(run, today)),
        ("la rete dopo qualche mese: invii, mediatori, offerte, promemoria, campione", lambda: _network()),
    ]
    for name, step in rounds:
        ids = step()
        if ids:
            advance(ids)
        if on_round:
            on_round(name, len(ids))
    return run


def _network() -> list[int]:
    from .network import seed_network

    seed_network()
    return []


def demo_present(session: Session) -> int:
    return int(
        session.exec(select(func.count()).select_from(Case).where(col(Case.created_by).like("operatore%"))).one()
    )


@dataclass(frozen=True)
class PersonAccess:
    """A demo person's personal access code, printed once at the end of ``ivc demo`` (#22)."""

    person_id: int
    name: str
    birth_date: date | None
    language: str
    code: str


def demo_person_access(session: Session) -> PersonAccess | None:
    """A new access code for one certified demo person (Arabic-speaking with job-matching consent
    first), issued by their case's operator, so the person's own space can be tried."""
    from ivc.person.models import Person
    from ivc.personspace import access

    certified = session.exec(
        select(Case)
        .join(IssuedDocument, col(IssuedDocument.case_id) == col(Case.id))
        .where(IssuedDocument.doc_type == "certificato", col(Case.created_by).like("operatore%"))
        .order_by(col(Case.id))
    ).all()
    people = [(case, session.get(Person, case.person_id)) for case in certified]
    ranked = sorted(
        ((c, p) for c, p in people if p is not None and p.birth_date is not None),
        key=lambda cp: (
            cp[1].preferred_language != "ar",
            not consents.active_consents(session, cp[1].id or 0, ConsentPurpose.JOB_MATCHING),
            cp[0].id or 0,
        ),
    )
    if not ranked:
        return None
    case, person = ranked[0]
    code = access.issue_code(session, person.id or 0, _actor(session, case.operator))
    return PersonAccess(person.id or 0, person.display_name, person.birth_date, person.preferred_language, code)
