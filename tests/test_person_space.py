"""The person's own space (ivc/personspace/service.py): only their own records; their path from
the services that decide it; documents and credentials; consents given and withdrawn here take
effect at once in job matching; who looked at their dossier; export and requests."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlmodel import Session

from ivc.auth.roles import Actor, Role, person_actor
from ivc.case.models import Case
from ivc.case.states import CaseState
from ivc.consent.models import ConsentPurpose
from ivc.errors import PermissionDenied
from ivc.evidence.storage import get_store
from ivc.matching.models import Vacancy, VacancySkill
from ivc.matching.service import match_vacancy, open_dossier, search_dossiers
from ivc.person.service import register_person
from ivc.personspace import service as space
from ivc.personspace.models import RequestKind

from .helpers import advance_to, person_in, staff, target_competences

CPI = Actor("cpi3", Role.CPI_ADVISOR, frozenset({"3"}))


@pytest.fixture()
def actors(session: Session) -> dict[str, Actor]:
    return staff(session)


@pytest.fixture()
def certified(session: Session, actors: dict[str, Actor]) -> Case:
    return advance_to(session, actors, CaseState.CLOSED)


def _vacancy(session: Session, codes: list[str]) -> Vacancy:
    vacancy = Vacancy(
        reference="VAC-PS-1", title="Aiuto cuoco", employer="Trattoria", italian_level="A2", territory="3",
        created_by="cpi3",
    )  # fmt: skip
    session.add(vacancy)
    session.flush()
    for code in codes:
        session.add(VacancySkill(vacancy_id=vacancy.id or 0, concept_key=code, essential=True))
    session.flush()
    return vacancy


def test_a_person_sees_only_their_own_records(session: Session, actors: dict, certified: Case) -> None:
    other = register_person(session, person_in("3", given_name="Olena", family_name="Koval"), actors["op3"],
                            confirmed_new=True)  # fmt: skip
    me = person_actor(certified.person_id)
    assert space.my_documents(session, me, certified.person_id)
    calls = [
        lambda pid: space.my_path(session, me, pid),
        lambda pid: space.my_documents(session, me, pid),
        lambda pid: space.my_consents(session, me, pid),
        lambda pid: space.who_looked(session, me, pid),
        lambda pid: space.my_requests(session, me, pid),
        lambda pid: space.withdraw(session, me, pid, ConsentPurpose.JOB_MATCHING),
        lambda pid: space.send_request(session, me, pid, RequestKind.ERASURE, "Cancellate tutto"),
        lambda pid: space.my_export(session, me, pid, get_store(), "it"),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied) as refused:
            call(other.id or 0)
        assert refused.value.code == "not_yours"
    doc = space.my_documents(session, me, certified.person_id)[0]
    with pytest.raises(PermissionDenied):  # the other person's space asking for my document
        space.document_pdf(session, person_actor(other.id or 0), other.id or 0, doc.id, get_store())
    with pytest.raises(PermissionDenied):  # staff are not the person
        space.my_documents(session, actors["op3"], certified.person_id)
    for permission_bound in (lambda: match_vacancy(session, 1, me), lambda: search_dossiers(session, me)):
        with pytest.raises(PermissionDenied):  # a person holds no staff permission
            permission_bound()


def test_the_path_says_where_they_are_and_who_it_waits_on(session: Session, actors: dict) -> None:
    case = advance_to(session, actors, CaseState.TRANSPARENCY_ISSUED)
    [view] = space.my_path(session, person_actor(case.person_id), case.person_id, "ar")
    assert view.state == CaseState.TRANSPARENCY_ISSUED.value
    assert (view.next_step, view.waits_on) == ("person_choice_validation", "operator")
    assert view.documents == 1


def test_documents_download_with_their_credentials_and_link(session: Session, certified: Case) -> None:
    me = person_actor(certified.person_id)
    docs = space.my_documents(session, me, certified.person_id)
    certificate = next(d for d in docs if d.doc_type == "certificato")
    assert certificate.link.endswith("/" + certificate.verification_code)
    assert {"openbadge", "vc"} <= set(certificate.credentials)
    pdf = space.document_pdf(session, me, certified.person_id, certificate.id, get_store())
    assert pdf.startswith(b"%PDF")
    badge = json.loads(space.document_credential(session, me, certified.person_id, certificate.id, "openbadge"))
    assert badge


def test_consent_withdrawn_in_the_space_removes_them_from_matching_at_once(
    session: Session, actors: dict, certified: Case
) -> None:
    me = person_actor(certified.person_id)
    space.give(session, me, certified.person_id, ConsentPurpose.JOB_MATCHING, "ar")
    consents = {c.purpose: c for c in space.my_consents(session, me, certified.person_id)}
    assert consents["job_matching"].active and consents["job_matching"].changeable
    assert not consents["ivc_service"].changeable  # a public-interest task, not a consent
    vacancy = _vacancy(session, [c.code for c in target_competences(session, certified)[:2]])
    assert [m.subject["case_id"] for m in match_vacancy(session, vacancy.id or 0, CPI)] == [certified.id]
    assert {h.case_id for h in search_dossiers(session, CPI, qualification="LIG-CUC")} == {certified.id}
    space.withdraw(session, me, certified.person_id, ConsentPurpose.JOB_MATCHING)
    assert match_vacancy(session, vacancy.id or 0, CPI) == []
    assert search_dossiers(session, CPI, qualification="LIG-CUC") == []
    assert not {c.purpose: c for c in space.my_consents(session, me, certified.person_id)}["job_matching"].active
    with pytest.raises(Exception):  # noqa: B017 - the IVC service notice is not withdrawn from here
        space.withdraw(session, me, certified.person_id, ConsentPurpose.IVC_SERVICE)


def test_who_looked_lists_a_cpi_view_made_before(session: Session, actors: dict, certified: Case) -> None:
    me = person_actor(certified.person_id)
    space.give(session, me, certified.person_id, ConsentPurpose.JOB_MATCHING, "ar")
    open_dossier(session, CPI, certified.id or 0)
    looks = space.who_looked(session, me, certified.person_id)
    cpi = [look for look in looks if look.role == "cpi_advisor"]
    assert cpi and cpi[0].who == "cpi3" and cpi[0].basis == "consent" and cpi[0].purpose == "job_matching"
    assert looks[0].viewed_at >= looks[-1].viewed_at  # newest first
    before = len(looks)
    space.my_documents(session, me, certified.person_id)  # the person's own reads are not logged as views
    assert len(space.who_looked(session, me, certified.person_id)) == before


def test_export_and_a_correction_request_reach_the_operator(session: Session, actors: dict, certified: Case) -> None:
    me = person_actor(certified.person_id)
    data = space.my_export(session, me, certified.person_id, get_store(), "ar")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert "summary.html" in zf.namelist() and 'dir="rtl"' in zf.read("summary.html").decode()
    request = space.send_request(session, me, certified.person_id, RequestKind.CORRECTION, "Il mio cognome è Ben Salah")
    assert [r.id for r in space.open_requests(session, actors["op3"])] == [request.id]
    assert space.open_requests(session, actors["op1"]) == []  # another district
    space.close_request(session, actors["op3"], request.id or 0)
    assert space.open_requests(session, actors["op3"]) == []
    assert space.my_requests(session, me, certified.person_id)[0].status == "closed"
