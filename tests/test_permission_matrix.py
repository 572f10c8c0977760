"""Role × action × territory: every service refuses what a role or district does not allow.

The expected matrix is written out here by hand, independently of ``ivc.auth.policy``, so a
change to the policy table that nobody meant shows up as a failing cell. Each call runs in a
savepoint that is rolled back, so every cell starts from the same data.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from ivc.assessment import service as assessments
from ivc.assessment.models import AssessmentMethod, AssessmentPhase, ResultOutcome
from ivc.auth.roles import Actor, Role
from ivc.auth.service import add_user
from ivc.case import service as cases
from ivc.case.states import Action, CaseState, DocumentType
from ivc.claim import service as claims
from ivc.consent import service as consents
from ivc.consent.models import ConsentPurpose
from ivc.decision import service as decisions
from ivc.decision.models import DecisionKind
from ivc.document.service import existing_document, revoke, share_fields
from ivc.errors import PermissionDenied
from ivc.evidence.models import EvidenceKind, EvidenceType
from ivc.evidence.service import add_evidence
from ivc.experience.service import ExperienceIn, add_experience
from ivc.matching.service import create_vacancy, match_vacancy, search_dossiers
from ivc.monitoring.service import export_csv, indicators
from ivc.participation.service import ActivityIn, record_activity
from ivc.person.service import get_person, register_person
from ivc.referral.timeline import person_timeline

from .helpers import advance_to, person_in, staff, target_competences

ROLES = [Role.OPERATOR, Role.MEDIATOR, Role.ASSESSOR, Role.ALFA_REVIEWER, Role.CPI_ADVISOR, Role.MONITORING, Role.ADMIN]
# One letter per role, in the order above: T = only in the user's own districts,
# A = in every district, - = never.
EXPECTED: dict[str, str] = {
    "read_case": "TTAA--A",
    "read_timeline": "TTAAT-A",
    "intake": "T-----A",
    "record_consent": "T------",
    "record_interview": "TT-----",
    "add_evidence": "TTAA---",
    "review_mapping": "T------",
    "record_assessment": "--A----",
    "approve_issuance": "---A---",
    "assign_in_queue": "---A---",
    "revoke_document": "---A--A",
    "choose_shared_fields": "T--A---",
    "search_dossiers": "----A-A",
    "match_vacancy": "----A-A",
    "create_vacancy": "----A-A",
    "read_monitoring": "---A-AA",
    "export_monitoring": "-----AA",
    "manage_users": "------A",
    "record_participation": "T------",
    "suspend": "T--A---",
    "lift_suspension": "T--A---",
    "request_withdrawal": "T--A---",
}

_counter = itertools.count()


def _unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}"


@pytest.fixture()
def world(session: Session) -> dict[str, Any]:
    actors = staff(session)
    ident = advance_to(session, actors, CaseState.IDENTIFICATION)
    transparency = advance_to(session, actors, CaseState.TRANSPARENCY_ISSUED)
    validation = advance_to(session, actors, CaseState.VALIDATION)
    pending = advance_to(session, actors, CaseState.VALIDATION)
    comps = target_competences(session, pending)
    results = {c.id or 0: ResultOutcome.POSITIVE for c in comps}
    assessments.record_assessment(
        session,
        pending,
        phase=AssessmentPhase.VALIDATION,
        method=AssessmentMethod.TECHNICAL_INTERVIEW,
        held_on=date.today() - timedelta(days=1),
        results=results,
        actor=actors["ev"],
    )
    for cid in results:
        decisions.record_decision(
            session, pending, DecisionKind.VALIDATION, "validata", actors["alfa"], competence_id=cid
        )
    cases.request_action(session, pending, Action.ISSUE_VALIDATION, actors["alfa"])
    consents.give_consent(
        session, get_person(session, transparency.person_id), ConsentPurpose.JOB_MATCHING, "ar", actors["op3"]
    )
    vacancy = create_vacancy(
        session, actors["cpi3"], reference="V-1", title="Aiuto cuoco", employer="Trattoria", district="3", essential=[]
    )
    region_wide = (Role.ASSESSOR, Role.ALFA_REVIEWER, Role.ADMIN, Role.MONITORING)
    for role in ROLES:
        for where, districts in (("in", ["3"]), ("out", ["1"])):
            name = f"{role.value}-{where}"
            add_user(session, _admin(session), name, name, role, [] if role in region_wide else districts)
    session.flush()
    return {
        "ident": ident,
        "transparency": transparency,
        "document": existing_document(session, transparency.id or 0, DocumentType.TRANSPARENCY),
        "validation": validation,
        "pending": pending,
        "competence": target_competences(session, ident)[0],
        "vacancy": vacancy,
    }


def _admin(session: Session) -> Actor:
    from ivc.auth.service import get_actor

    return get_actor(session, "admin")


def _experience() -> ExperienceIn:
    return ExperienceIn(kind="work", title=_unique("Lavoro "), language="it", text_original="Ho lavorato in cucina.")


ACTIONS: dict[str, Callable[[Session, Actor, dict[str, Any]], object]] = {
    "read_case": lambda s, a, w: cases.get_case(s, w["ident"].id, a),
    "read_timeline": lambda s, a, w: person_timeline(s, w["ident"].person_id, a),
    "intake": lambda s, a, w: register_person(s, person_in("3", family_name=_unique("Nuova")), a),
    "record_consent": lambda s, a, w: consents.give_consent(
        s, get_person(s, w["ident"].person_id), ConsentPurpose.TRAINING_OFFERS, "ar", a
    ),
    "record_interview": lambda s, a, w: add_experience(s, w["ident"], _experience(), a),
    "add_evidence": lambda s, a, w: add_evidence(
        s,
        w["ident"],
        _unique("Dichiarazione del datore di lavoro ").encode(),
        title="Dichiarazione",
        evidence_type=EvidenceType.EMPLOYER_STATEMENT,
        media_type="text/plain",
        kind=EvidenceKind.NOTE,
        actor=a,
    ),
    "review_mapping": lambda s, a, w: claims.add_by_operator(s, w["ident"], w["competence"], a),
    "record_assessment": lambda s, a, w: assessments.record_assessment(
        s,
        w["validation"],
        phase=AssessmentPhase.VALIDATION,
        method=AssessmentMethod.TECHNICAL_INTERVIEW,
        held_on=date.today(),
        results={w["competence"].id: ResultOutcome.POSITIVE},
        actor=a,
    ),
    "approve_issuance": lambda s, a, w: cases.approve_request(s, w["pending"], a),
    "assign_in_queue": lambda s, a, w: cases.assign(s, w["validation"], "alfa", a),
    "revoke_document": lambda s, a, w: revoke(s, w["document"], "errore materiale", a),
    "choose_shared_fields": lambda s, a, w: share_fields(s, w["document"], ["citizenship"], a),
    "search_dossiers": lambda s, a, w: search_dossiers(s, a),
    "match_vacancy": lambda s, a, w: match_vacancy(s, w["vacancy"].id, a),
    "create_vacancy": lambda s, a, w: create_vacancy(
        s, a, reference=_unique("V-"), title="Magazziniere", employer="Porto", district="3", essential=[]
    ),
    "read_monitoring": lambda s, a, w: indicators(s, a),
    "export_monitoring": lambda s, a, w: export_csv(s, a, "an export key long enough"),
    "manage_users": lambda s, a, w: add_user(s, a, _unique("nuovo"), "Nuovo Utente", Role.OPERATOR, ["3"]),
    "record_participation": lambda s, a, w: record_activity(
        s,
        w["ident"].person_id,
        ActivityIn(kind="language_course", provider=_unique("CPIA "), started_on=date.today()),
        a,
    ),
    "suspend": lambda s, a, w: cases.suspend(s, w["ident"], "ricovero", date.today() + timedelta(days=30), a),
    "lift_suspension": lambda s, a, w: cases.lift_suspension(s, w["ident"], a),
    "request_withdrawal": lambda s, a, w: cases.request_withdrawal(s, w["ident"], "trasferimento", a),
}


def _outcome(session: Session, action: str, actor: Actor, world: dict[str, Any]) -> bool:
    savepoint = session.begin_nested()
    try:
        ACTIONS[action](session, actor, world)
        return True
    except PermissionDenied:
        return False
    finally:
        savepoint.rollback()
        session.expire_all()


def test_every_action_every_role_every_territory(session: Session, world: dict[str, Any]) -> None:
    from ivc.auth.service import get_actor

    assert set(ACTIONS) == set(EXPECTED)
    wrong = []
    for action, row in EXPECTED.items():
        for role, mark in zip(ROLES, row, strict=True):
            for where in ("in", "out"):
                actor = get_actor(session, f"{role.value}-{where}")
                expected = mark == "A" or (mark == "T" and where == "in")
                if _outcome(session, action, actor, world) != expected:
                    wrong.append(
                        f"{action} by {role.value} {where} district 3: expected {'allowed' if expected else 'refused'}"
                    )
    assert wrong == []


def test_lists_show_only_the_users_districts_and_nothing_to_roles_without_cases(
    session: Session, world: dict[str, Any]
) -> None:
    from ivc.auth.service import get_actor

    assert cases.list_cases(session, get_actor(session, "operator-out")) == []
    assert {c.territory for c in cases.list_cases(session, get_actor(session, "operator-in"))} == {"3"}
    assert len(cases.list_cases(session, get_actor(session, "alfa_reviewer-out"))) == 4
    for role in ("cpi_advisor-in", "monitoring-in"):
        with pytest.raises(PermissionDenied):
            cases.list_cases(session, get_actor(session, role))
        with pytest.raises(PermissionDenied):
            cases.work_queue(session, get_actor(session, role), [CaseState.VALIDATION])


def test_evidence_is_never_linked_across_cases(session: Session, world: dict[str, Any]) -> None:
    from ivc.auth.service import get_actor
    from ivc.errors import ValidationFailed
    from ivc.evidence.service import link_evidence
    from ivc.experience.service import experiences_for_case

    op = get_actor(session, "op3")
    item = add_evidence(
        session,
        world["ident"],
        _unique("Attestato ").encode(),
        title="Attestato",
        evidence_type=EvidenceType.DOCUMENT,
        media_type="text/plain",
        actor=op,
    )
    theirs = experiences_for_case(session, world["validation"].id)[0]
    their_claim = claims.claims_for_case(session, world["validation"].id)[0]
    for link in ({"experience_id": theirs.id}, {"claim_id": their_claim.id}):
        with pytest.raises(ValidationFailed) as refused:
            link_evidence(session, item, **link)
        assert refused.value.code == "evidence_link_other_case"
    ours = add_experience(session, world["ident"], _experience(), op)
    link_evidence(session, item, experience_id=ours.id)  # within the case it links


def test_nothing_is_added_to_a_closed_case(session: Session, world: dict[str, Any]) -> None:
    from ivc.auth.service import get_actor
    from ivc.errors import DomainError

    op = get_actor(session, "op3")
    case = world["ident"]
    cases.request_withdrawal(session, case, "trasferimento", op)
    cases.confirm_withdrawal(session, case, op)
    assert case.state == CaseState.CLOSED.value
    with pytest.raises(DomainError) as refused:
        add_evidence(
            session,
            case,
            b"Attestato arrivato dopo la chiusura",
            title="Attestato",
            evidence_type=EvidenceType.DOCUMENT,
            media_type="text/plain",
            actor=op,
        )
    assert refused.value.code == "case_closed"
