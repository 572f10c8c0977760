"""Job matching: status matters, gaps are explained, consent is absolute."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from ivc.auth.roles import Actor, Role
from ivc.case.states import CaseState
from ivc.consent import service as consents
from ivc.consent.models import ConsentPurpose
from ivc.errors import PermissionDenied
from ivc.matching.models import Vacancy, VacancySkill
from ivc.matching.service import MatchIndex, Profile, Skill, match_person, match_vacancy, profiles
from ivc.person.service import get_person

from .helpers import advance_to, staff, target_competences

CPI = Actor("cpi3", Role.CPI_ADVISOR, frozenset({"3"}))


def _consent(session: Session, case, actors) -> None:  # type: ignore[no-untyped-def]
    consents.give_consent(
        session,
        get_person(session, case.person_id),
        ConsentPurpose.JOB_MATCHING,
        "ar",
        actors["op3"],
        explained_by="med",
    )


def _vacancy(session: Session, skills: dict[str, bool]) -> Vacancy:
    vacancy = Vacancy(
        reference="VAC-T-1",
        title="Aiuto cuoco",
        employer="Trattoria",
        italian_level="A2",
        territory="3",
        created_by="cpi3",
    )
    session.add(vacancy)
    session.flush()
    for key, essential in skills.items():
        session.add(VacancySkill(vacancy_id=vacancy.id or 0, concept_key=key, essential=essential))
    session.flush()
    return vacancy


def test_a_certified_skill_outranks_a_declared_one() -> None:
    index = MatchIndex(
        [
            Profile(1, 1, "Declared", "3", "B1", {"LIG-CUC-UC2": Skill(0.3, "declared")}),
            Profile(2, 2, "Certified", "3", "B1", {"LIG-CUC-UC2": Skill(1.0, "certified")}),
            Profile(3, 3, "Validated", "3", "B1", {"LIG-CUC-UC2": Skill(0.85, "validated")}),
        ]
    )
    assert [i for i, _ in index.top({"LIG-CUC-UC2": 1.0})] == [1, 2, 0]


def test_matching_explains_and_never_shows_people_without_consent(session: Session) -> None:
    actors = staff(session)
    certified = advance_to(session, actors, CaseState.CLOSED)
    identified = advance_to(session, actors, CaseState.TRANSPARENCY_ISSUED)
    no_consent = advance_to(session, actors, CaseState.CLOSED)
    _consent(session, certified, actors)
    _consent(session, identified, actors)
    comps = target_competences(session, certified)
    vacancy = _vacancy(session, {comps[0].code: True, comps[1].code: True, "LIG-SAL-UC1": True})
    results = match_vacancy(session, vacancy.id or 0, CPI)
    ids = [m.subject["case_id"] for m in results]
    assert ids[:2] == [certified.id, identified.id]  # certified beats identified (transparency only)
    assert {m["status"] for m in results[1].matched} == {"identified"}
    assert no_consent.id not in ids
    best = results[0]
    assert {m["status"] for m in best.matched} == {"certified"}
    assert [m["skill"] for m in best.missing_essential] == ["LIG-SAL-UC1"]
    assert best.to_close_the_gap and "LIG-SAL-UC1" in best.to_close_the_gap[0]
    assert all(m["evidence"] for m in best.matched)  # which experience supports it

    # Withdrawing consent removes the person from matching at once.
    consents.withdraw_consent(
        session,
        get_person(session, certified.person_id),
        ConsentPurpose.JOB_MATCHING,
        actors["op3"],
        reason="non più interessata",
    )
    assert certified.id not in [m.subject["case_id"] for m in match_vacancy(session, vacancy.id or 0, CPI)]
    assert certified.id not in [p.case_id for p in profiles(session)]
    with pytest.raises(PermissionDenied):
        match_person(session, certified.id or 0, CPI)


def test_a_person_sees_vacancies_and_esco_occupations(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.CLOSED)
    _consent(session, case, actors)
    comps = target_competences(session, case)
    _vacancy(session, {comps[0].code: True})
    result = match_person(session, case.id or 0, CPI)
    assert result["vacancies"][0].subject["reference"] == "VAC-T-1"
    assert result["occupations"], "no ESCO occupation reached through the competences' ESCO links"
    cook = "http://data.europa.eu/esco/occupation/90f75f67-495d-49fa-ab57-2f320e251d7e"
    assert cook in [m.subject["occupation"] for m in result["occupations"][:10]]


def test_only_cpi_advisors_match(session: Session) -> None:
    actors = staff(session)
    with pytest.raises(PermissionDenied):
        match_vacancy(session, 1, actors["op3"])


def test_vacancies_import_from_csv_derives_skills_from_the_esco_occupation(session: Session) -> None:
    from pathlib import Path

    from sqlmodel import select

    from ivc.matching.service import import_vacancies

    demo = Path(__file__).resolve().parents[1] / "ivc" / "demo" / "vacancies.csv"
    admin = Actor("admin", Role.ADMIN)
    assert import_vacancies(session, demo, admin) >= 15
    assert import_vacancies(session, demo, admin) == 0  # idempotent
    skills = session.exec(select(VacancySkill)).all()
    assert any(s.essential for s in skills) and any(not s.essential for s in skills)


def test_the_shortlist_shares_only_what_was_consented(session: Session) -> None:
    from ivc.matching.service import shortlist_csv, shortlist_pdf, shortlist_rows

    actors = staff(session)
    case = advance_to(session, actors, CaseState.CLOSED)
    _consent(session, case, actors)
    person = get_person(session, case.person_id)
    person.phone = "+39 351 000 0101"
    session.add(person)
    comps = target_competences(session, case)
    vacancy = _vacancy(session, {comps[0].code: True})
    rows = shortlist_rows(session, match_vacancy(session, vacancy.id or 0, CPI))
    assert rows[0]["name"] == "Amina Ben Salah" and rows[0]["contact"] == ""  # no consent to employer contact
    consents.give_consent(session, person, ConsentPurpose.EMPLOYER_CONTACT, "ar", actors["op3"])
    rows = shortlist_rows(session, match_vacancy(session, vacancy.id or 0, CPI))
    assert rows[0]["contact"] == "+39 351 000 0101"
    csv_text = shortlist_csv(rows)
    assert "1986-04-12" not in csv_text and "Sfax" not in csv_text  # no birth data
    assert shortlist_pdf(vacancy, rows).startswith(b"%PDF")


def test_the_shortlist_never_shows_a_decision_without_its_document_as_validated(session: Session) -> None:
    from datetime import date

    from ivc.assessment import service as assessments
    from ivc.assessment.models import AssessmentMethod, AssessmentPhase, ResultOutcome
    from ivc.decision import service as decisions
    from ivc.decision.models import DecisionKind
    from ivc.matching.service import shortlist_csv, shortlist_rows

    actors = staff(session)
    certified = advance_to(session, actors, CaseState.CLOSED)
    decided = advance_to(session, actors, CaseState.VALIDATION)
    comps = target_competences(session, decided)
    assessments.record_assessment(
        session,
        decided,
        phase=AssessmentPhase.VALIDATION,
        method=AssessmentMethod.TECHNICAL_INTERVIEW,
        held_on=date.today(),
        results={c.id or 0: ResultOutcome.POSITIVE for c in comps},
        actor=actors["ev"],
    )
    for comp in comps:
        decisions.record_decision(
            session, decided, DecisionKind.VALIDATION, "validata", actors["alfa"], competence_id=comp.id
        )
    _consent(session, certified, actors)
    _consent(session, decided, actors)
    vacancy = _vacancy(session, {comps[0].code: True})
    matches = match_vacancy(session, vacancy.id or 0, CPI)
    assert [m.subject["case_id"] for m in matches] == [certified.id, decided.id]
    rows = shortlist_rows(session, matches)
    assert "(certified)" in rows[0]["skills"]
    assert "(identified)" in rows[1]["skills"] and "validated" not in shortlist_csv(rows)
