"""Build cases in a given state through the real services (no flows: fast)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from sqlmodel import Session

from ivc.agreement import service as agreements
from ivc.assessment import service as assessments
from ivc.assessment.models import AssessmentMethod, AssessmentPhase, ResultOutcome
from ivc.auth.roles import Actor, Role
from ivc.auth.service import create_user, get_actor
from ivc.case import service as cases
from ivc.case.models import Case
from ivc.case.states import Action, CaseState, DocumentType
from ivc.claim import service as claims
from ivc.consent import service as consents
from ivc.consent.models import ConsentPurpose
from ivc.decision import service as decisions
from ivc.decision.models import DecisionKind
from ivc.document import service as documents
from ivc.experience.service import ExperienceIn, add_experience
from ivc.framework.models import Competence
from ivc.person.service import PersonIn, get_person, register_person

TARGET = "LIG-CUC"


def staff(session: Session) -> dict[str, Actor]:
    rows = [
        ("op3", Role.OPERATOR, ["3"]),
        ("op1", Role.OPERATOR, ["1"]),
        ("med", Role.MEDIATOR, ["3"]),
        ("ev", Role.ASSESSOR, []),
        ("es", Role.ASSESSOR, []),
        ("alfa", Role.ALFA_REVIEWER, []),
        ("alfa2", Role.ALFA_REVIEWER, []),
        ("cpi3", Role.CPI_ADVISOR, ["3"]),
        ("mon", Role.MONITORING, []),
    ]
    for username, role, districts in rows:
        create_user(session, username, username.upper(), role, districts)
    session.flush()
    return {u: get_actor(session, u) for u, _, _ in rows}


def person_in(district: str = "3", **over: object) -> PersonIn:
    data: dict[str, object] = {
        "given_name": "Amina",
        "family_name": "Ben Salah",
        "name_native": "أمينة بن صالح",
        "birth_date": date(1986, 4, 12),
        "birth_place": "Sfax (Tunisia)",
        "gender": "F",
        "citizenship": "TN",
        "languages": [{"code": "ar", "level": "native"}],
        "italian_level": "A2",
        "referral_source": "social_services",
        "district": district,
        "preferred_language": "ar",
    }
    data.update(over)
    return PersonIn.model_validate(data)


EXPERIENCE = ExperienceIn(
    kind="work",
    title="Cuoca in un ristorante di pesce",
    place="Sfax",
    country="TN",
    started_on=date(2010, 1, 1),
    ended_on=date(2016, 6, 1),
    language="ar",
    text_original="كنت أعمل طباخة في مطعم للسمك، أنظف السمك وأحضر الكسكسي",
    text_it="Lavoravo come cuoca in un ristorante di pesce: pulivo il pesce e preparavo il cuscus.",
)


def new_case(session: Session, actors: dict[str, Actor], district: str = "3") -> Case:
    op = actors["op3"] if district == "3" else actors["op1"]
    # The same synthetic person every time: a homonym the operator confirmed as a new person.
    person = register_person(session, person_in(district), op, confirmed_new=True)
    return cases.open_case(session, person, [TARGET], op, mediator="med", interview_language="ar")


def target_competences(session: Session, case: Case) -> list[Competence]:
    ids = sorted(cases.target_competence_ids(session, case.id or 0))
    return [c for i in ids if (c := session.get(Competence, i)) is not None]


def advance_to(
    session: Session,
    actors: dict[str, Actor],
    state: CaseState,
    *,
    partial: bool = False,
    during_identification: Callable[[Case], object] | None = None,
) -> Case:
    """A case of district 3 moved through the real services up to ``state``; ``during_identification``
    runs once the case is admitted (e.g. to record interviews before documents are issued)."""
    case = new_case(session, actors)
    op, ev, alfa = actors["op3"], actors["ev"], actors["alfa"]
    if state is CaseState.ACCESS:
        return case
    person_row = get_person(session, case.person_id)
    consents.give_consent(session, person_row, ConsentPurpose.IVC_SERVICE, "ar", op, explained_by="med")
    agreements.sign(session, case, op, how="click", declaration_of_truth=True, informed_of_sample_checks=True)
    decisions.record_decision(session, case, DecisionKind.ADMISSIBILITY, "ammesso", op)
    cases.transition(session, case, Action.ADMIT, op)
    if during_identification is not None:
        during_identification(case)
    if state is CaseState.IDENTIFICATION:
        return case
    exp = add_experience(session, case, EXPERIENCE, op)
    comps = target_competences(session, case)
    for comp in comps:
        claims.add_by_operator(session, case, comp, op, experience_ids=[exp.id or 0])
    documents.issue(session, case, DocumentType.TRANSPARENCY, op)
    cases.transition(session, case, Action.ISSUE_TRANSPARENCY, op)
    if state is CaseState.TRANSPARENCY_ISSUED:
        return case
    cases.transition(session, case, Action.REQUEST_VALIDATION, op)
    yesterday = date.today() - timedelta(days=1)
    results = {c.id or 0: ResultOutcome.POSITIVE for c in comps}
    if partial:
        results[comps[-1].id or 0] = ResultOutcome.NEGATIVE
    if state is CaseState.VALIDATION:
        return case
    assessments.record_assessment(
        session,
        case,
        phase=AssessmentPhase.VALIDATION,
        method=AssessmentMethod.TECHNICAL_INTERVIEW,
        held_on=yesterday,
        results=results,
        actor=ev,
    )
    for cid, outcome in results.items():
        decisions.record_decision(
            session,
            case,
            DecisionKind.VALIDATION,
            "validata" if outcome is ResultOutcome.POSITIVE else "non_validata",
            alfa,
            competence_id=cid,
        )
    cases.request_action(session, case, Action.ISSUE_VALIDATION, alfa)
    cases.approve_request(session, case, actors["alfa2"])  # four eyes
    documents.issue(session, case, DocumentType.VALIDATION, alfa)
    cases.transition(session, case, Action.ISSUE_VALIDATION, alfa)
    if state is CaseState.VALIDATION_ISSUED:
        return case
    cases.transition(session, case, Action.REQUEST_CERTIFICATION, alfa)
    if state is CaseState.CERTIFICATION_QUEUE:
        return case
    assessments.schedule_exam(
        session,
        case,
        scheduled_for=date.today(),
        place="Genova",
        president="Presidente",
        method_expert="ev",
        sector_expert="es",
        actor=alfa,
    )
    if state is CaseState.EXAM:
        return case
    pass_certification_exam(session, actors, case, [cid for cid, o in results.items() if o is ResultOutcome.POSITIVE])
    cases.request_action(session, case, Action.CERTIFY, alfa)
    cases.approve_request(session, case, actors["alfa2"])
    documents.issue(session, case, DocumentType.CERTIFICATE, alfa)
    cases.transition(session, case, Action.CERTIFY, alfa)
    return case


def pass_certification_exam(session: Session, actors: dict[str, Actor], case: Case, validated: list[int]) -> None:
    """The certification exam passed for the ``validated`` competences, each certified by ALFA."""
    assessments.record_assessment(
        session,
        case,
        phase=AssessmentPhase.CERTIFICATION,
        method=AssessmentMethod.PRACTICAL_TEST,
        held_on=date.today(),
        results={cid: ResultOutcome.POSITIVE for cid in validated},
        actor=actors["es"],
    )
    for cid in validated:
        decisions.record_decision(
            session, case, DecisionKind.CERTIFICATION, "certificata", actors["alfa"], competence_id=cid
        )


def tiny_pdf(text: str) -> bytes:
    """A real one-page PDF with ``text`` on it; the same text gives the same bytes."""
    import io

    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    page = canvas.Canvas(buf, invariant=1)
    page.drawString(72, 720, text)
    page.showPage()
    page.save()
    return buf.getvalue()


def decided_without_document(session: Session, actors: dict[str, Actor]) -> Case:
    """A case in validation whose competences were assessed and decided "validata" by ALFA, with
    no validation document issued yet."""
    case = advance_to(session, actors, CaseState.VALIDATION)
    comps = target_competences(session, case)
    assessments.record_assessment(
        session,
        case,
        phase=AssessmentPhase.VALIDATION,
        method=AssessmentMethod.TECHNICAL_INTERVIEW,
        held_on=date.today() - timedelta(days=1),
        results={c.id or 0: ResultOutcome.POSITIVE for c in comps},
        actor=actors["ev"],
    )
    for comp in comps:
        decisions.record_decision(
            session, case, DecisionKind.VALIDATION, "validata", actors["alfa"], competence_id=comp.id
        )
    session.flush()
    return case
