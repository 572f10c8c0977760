"""The consent ledger: consent per purpose and recipient, every view of a dossier logged with the
consent or the legal basis that allowed it, withdrawal effective at once, and the person's history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from ivc.auth.roles import Actor, Role
from ivc.case.states import CaseState, DocumentType
from ivc.consent import service as consents
from ivc.consent.models import ConsentPurpose, DossierAccess
from ivc.database.core import utcnow
from ivc.document import service as documents
from ivc.errors import PermissionDenied, ValidationFailed
from ivc.matching.models import Vacancy, VacancySkill
from ivc.matching.service import match_person, match_vacancy, profiles
from ivc.person.service import get_person

from .helpers import advance_to, staff, target_competences

CPI3 = Actor("cpi3", Role.CPI_ADVISOR, frozenset({"3"}))
CPI1 = Actor("cpi1", Role.CPI_ADVISOR, frozenset({"1"}))


def _vacancy(session: Session, skill: str) -> Vacancy:
    vacancy = Vacancy(reference="VAC-C-1", title="Aiuto cuoco", employer="Trattoria", territory="3", created_by="cpi3")
    session.add(vacancy)
    session.flush()
    session.add(VacancySkill(vacancy_id=vacancy.id or 0, concept_key=skill, essential=True))
    session.flush()
    return vacancy


def test_withdrawing_job_matching_consent_removes_the_person_at_once_and_keeps_the_log(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.CLOSED)
    person = get_person(session, case.person_id)
    consent = consents.give_consent(
        session, person, ConsentPurpose.JOB_MATCHING, "ar", actors["op3"], explained_by="med", text_version="2026-1"
    )
    assert consent.recipient == "cpi"  # the default recipient of job matching: every job centre
    vacancy = _vacancy(session, target_competences(session, case)[0].code)

    assert [m.subject["case_id"] for m in match_vacancy(session, vacancy.id or 0, CPI3)] == [case.id]
    match_person(session, case.id or 0, CPI3)
    log = consents.access_log(session, person.id or 0)
    assert [(v.actor, v.organisation, v.purpose, v.consent_id) for v in log] == [
        ("cpi3", "cpi:3", "job_matching", consent.id),
        ("cpi3", "cpi:3", "job_matching", consent.id),
    ]
    assert log[0].what == "matching: vacancy VAC-C-1" and log[0].case_id == case.id

    consents.withdraw_consent(session, person, ConsentPurpose.JOB_MATCHING, actors["op3"], reason="non interessata")

    # The very next read sees the withdrawal: no index or cache outlives a call.
    assert match_vacancy(session, vacancy.id or 0, CPI3) == []
    assert profiles(session) == []
    with pytest.raises(PermissionDenied):
        match_person(session, case.id or 0, CPI3)
    with pytest.raises(PermissionDenied):
        consents.authorise_view(session, CPI3, person.id or 0, "job_matching")
    assert len(consents.access_log(session, person.id or 0)) == 2  # the views made before remain

    history = consents.consent_history(session, person.id or 0)
    matching = [c for c in history.consents if c.purpose == "job_matching"]
    assert len(matching) == 1
    entry = matching[0]
    assert (entry.status, entry.recipient, entry.language, entry.explained_by, entry.text_version) == (
        "withdrawn",
        "cpi",
        "ar",
        "med",
        "2026-1",
    )
    assert [v["organisation"] for v in entry.views] == ["cpi:3", "cpi:3"]
    assert entry.withdrawn_at is not None


def test_a_view_needs_a_consent_to_the_viewers_organisation_or_a_legal_basis(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.VALIDATION_ISSUED)
    person = get_person(session, case.person_id)
    doc = documents.existing_document(session, case.id or 0, DocumentType.VALIDATION)
    assert doc is not None

    # A job centre with no consent: refused, and nothing is logged as seen.
    with pytest.raises(PermissionDenied):
        documents.get_document(session, doc.id or 0, CPI3)
    with pytest.raises(PermissionDenied):
        documents.documents_for_case(session, case.id or 0, CPI3)
    assert consents.access_log(session, person.id or 0) == []

    # ALFA reads it for validation on the public-interest task, and the basis is logged.
    assert documents.get_document(session, doc.id or 0, actors["alfa"]).id == doc.id
    # An operator of another district has no basis for this person.
    with pytest.raises(PermissionDenied):
        documents.documents_for_case(session, case.id or 0, actors["op1"])

    # A consent to the job centre of district 1 only does not open the dossier to district 3's.
    consents.give_consent(session, person, ConsentPurpose.JOB_MATCHING, "ar", actors["op3"], recipient="cpi:1")
    with pytest.raises(PermissionDenied):
        documents.documents_for_case(session, case.id or 0, CPI3)
    assert len(documents.documents_for_case(session, case.id or 0, CPI1)) == 2

    log = consents.access_log(session, person.id or 0)
    assert [(v.actor, v.consent_id is None, v.legal_basis is not None) for v in log] == [
        ("alfa", True, True),
        ("cpi1", False, False),
    ]
    assert log[0].legal_basis is not None and "6(1)(e)" in log[0].legal_basis
    assert log[0].what == f"document {doc.number}"
    history = consents.consent_history(session, person.id or 0)
    assert [v["by"] for v in history.views_on_legal_basis] == ["alfa"]


def test_the_access_log_refuses_a_row_with_no_basis(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.ACCESS)
    session.add(
        DossierAccess(
            actor="x", role="cpi_advisor", organisation="cpi", person_id=case.person_id, purpose="p", what="w"
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_consent_is_given_in_a_language_the_person_understands_and_expires(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.ACCESS)
    person = get_person(session, case.person_id)  # Arabic speaker, Italian A2
    with pytest.raises(ValidationFailed) as err:
        consents.give_consent(session, person, ConsentPurpose.JOB_MATCHING, "ti", actors["op3"])
    assert "language" in str(err.value)
    with pytest.raises(ValidationFailed):
        consents.give_consent(
            session, person, ConsentPurpose.JOB_MATCHING, "it", actors["op3"], expires_at=utcnow() - timedelta(days=1)
        )
    record = consents.give_consent(
        session, person, ConsentPurpose.JOB_MATCHING, "it", actors["op3"], expires_at=utcnow() + timedelta(days=365)
    )
    assert consents.authorise_view(session, CPI3, person.id or 0, "job_matching").consent_id == record.id
    # The administrator supports job matching on ALFA's behalf, under the consent to the job centres.
    assert (
        consents.authorise_view(session, Actor("admin", Role.ADMIN), person.id or 0, "job_matching").organisation
        == "cpi"
    )
    later = utcnow() + timedelta(days=366)
    assert consents.active_consent(session, person.id or 0, ConsentPurpose.JOB_MATCHING, at=later) is None
    assert consents.consented_people(session, ConsentPurpose.JOB_MATCHING, ["cpi:3"], at=later) == {}
    # A role with no purpose of this kind is refused whatever the consents say.
    with pytest.raises(PermissionDenied):
        consents.authorise_view(session, actors["mon"], person.id or 0, "job_matching")
