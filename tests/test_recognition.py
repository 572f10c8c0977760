"""Statuses follow the issued documents: outside ALFA's review a competence is validated or
certified only while a document in force carries it; a transparency document only identifies."""

from __future__ import annotations

from sqlalchemy import event
from sqlmodel import Session

from ivc.auth.roles import Actor, Role
from ivc.case.models import Case
from ivc.case.states import CaseState, DocumentType
from ivc.consent import service as consents
from ivc.consent.models import ConsentPurpose
from ivc.document import service as documents
from ivc.document.models import IssuedDocument
from ivc.document.recognition import Level, level_of, recognition, recognition_for_case
from ivc.document.verify import verify_code
from ivc.i18n import catalog
from ivc.matching.models import Vacancy, VacancySkill
from ivc.matching.service import match_vacancy, open_dossier, profiles, search_dossiers
from ivc.person.service import get_person

from .helpers import advance_to, decided_without_document, staff, target_competences

CPI = Actor("cpi3", Role.CPI_ADVISOR, frozenset({"3"}))


def _consent(session: Session, case: Case, actors: dict[str, Actor]) -> None:
    person = get_person(session, case.person_id)
    consents.give_consent(session, person, ConsentPurpose.JOB_MATCHING, "ar", actors["op3"], explained_by="med")


def _document(session: Session, case: Case, doc_type: DocumentType) -> IssuedDocument:
    doc = documents.existing_document(session, case.id or 0, doc_type)
    assert doc is not None, doc_type
    return doc


def _vacancy(session: Session, keys: list[str]) -> Vacancy:
    vacancy = Vacancy(
        reference="VAC-R-1", title="Cuoco", employer="Trattoria", italian_level="A2", territory="3", created_by="cpi3"
    )
    session.add(vacancy)
    session.flush()
    for key in keys:
        session.add(VacancySkill(vacancy_id=vacancy.id or 0, concept_key=key, essential=True))
    session.flush()
    return vacancy


def test_decisions_without_the_validation_document_are_not_validated_and_do_not_outrank_a_certificate(
    session: Session,
) -> None:
    actors = staff(session)
    certified = advance_to(session, actors, CaseState.CLOSED)
    decided = decided_without_document(session, actors)
    comps = target_competences(session, decided)
    ids = {c.id for c in comps}

    # ALFA's decisions are recorded, but only the transparency document is in force: identified.
    held = recognition_for_case(session, decided.id or 0)
    assert set(held) == ids
    assert {r.level for r in held.values()} == {Level.IDENTIFIED}
    assert {r.document_number for r in held.values()} == {_document(session, decided, DocumentType.TRANSPARENCY).number}
    cert = recognition_for_case(session, certified.id or 0)
    assert {r.level for r in cert.values()} == {Level.CERTIFIED}
    certificate = _document(session, certified, DocumentType.CERTIFICATE)
    assert {r.document_number for r in cert.values()} == {certificate.number}

    # Matching: the certified person first; the decided one's skills are "identified", never validated.
    _consent(session, certified, actors)
    _consent(session, decided, actors)
    vacancy = _vacancy(session, [c.code for c in comps[:2]])
    results = match_vacancy(session, vacancy.id or 0, CPI)
    assert [m.subject["case_id"] for m in results] == [certified.id, decided.id]
    assert results[0].score > results[1].score
    assert {m["status"] for m in results[1].matched} == {"identified"}
    assert {m["status"] for m in results[0].matched} == {"certified"}
    assert results[0].matched[0]["document"] == certificate.number

    # The CPI dossier and the dossier search say the same.
    dossier = open_dossier(session, CPI, decided.id or 0)
    statuses = {s["status"] for s in dossier.skills}
    assert "validated" not in statuses and "certified" not in statuses and "identified" in statuses
    assert {d["competences_are"] for d in dossier.documents} == {"identified"}
    hits = search_dossiers(session, CPI, qualification="LIG-CUC")
    assert {h.case_id for h in hits} == {certified.id, decided.id}


def test_a_revoked_document_no_longer_counts_and_the_competence_drops_back(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.CLOSED)
    _consent(session, case, actors)
    comp = target_competences(session, case)[0]

    def level() -> str:
        """What recognition says, checked against what matching shows."""
        rec = recognition_for_case(session, case.id or 0)[comp.id or 0]
        assert profiles(session, [case.id or 0])[0].skills[comp.code].status == rec.level.value
        return rec.level.value

    assert level() == "certified"
    documents.revoke(session, _document(session, case, DocumentType.CERTIFICATE), "Errore materiale", actors["alfa"])
    assert level() == "validated"
    assert profiles(session, [case.id or 0])[0].skills[comp.code].document == (
        _document(session, case, DocumentType.VALIDATION).number
    )
    documents.revoke(session, _document(session, case, DocumentType.VALIDATION), "Errore materiale", actors["alfa"])
    assert level() == "identified"
    documents.revoke(session, _document(session, case, DocumentType.TRANSPARENCY), "Errore materiale", actors["alfa"])
    # No document in force: the claim is only as far as the operator took it.
    assert recognition_for_case(session, case.id or 0) == {}
    assert profiles(session, [case.id or 0])[0].skills[comp.code].status == "confirmed"


def test_verification_says_what_each_documents_competences_are(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.CLOSED)
    expected = {
        DocumentType.TRANSPARENCY: "identified",
        DocumentType.VALIDATION: "validated",
        DocumentType.CERTIFICATE: "certified",
    }
    for doc_type, what in expected.items():
        doc = _document(session, case, doc_type)
        result = verify_code(session, doc.verification_code)
        assert result.competences_are == what == level_of(doc_type.value).value
        assert result.document["competences"], doc_type
        heading = result.document["competences_heading"]
        assert heading == f"verify.competences_heading.{doc_type.value}"
        assert heading in catalog("it") and heading in catalog("en")
    assert catalog("it")["verify.competences_heading.documento_trasparenza"] == "Competenze messe in trasparenza"
    assert catalog("it")["verify.competences_heading.documento_validazione"] == "Competenze validate"
    assert catalog("it")["verify.competences_heading.certificato"] == "Competenze certificate"
    # A revoked document is still shown (as revoked), and still says what it listed.
    doc = _document(session, case, DocumentType.TRANSPARENCY)
    documents.revoke(session, doc, "Errore materiale", actors["alfa"])
    assert verify_code(session, doc.verification_code).competences_are == "identified"


def _statements(session: Session, action: object) -> int:
    count = 0

    def seen(*_: object) -> None:
        nonlocal count
        count += 1

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        action()  # type: ignore[operator]
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return count


def test_recognition_and_profiles_read_a_few_queries_whatever_the_number_of_dossiers(session: Session) -> None:
    actors = staff(session)
    cases = [advance_to(session, actors, CaseState.CLOSED) for _ in range(3)]
    for case in cases:
        _consent(session, case, actors)
    session.flush()
    ids = [c.id or 0 for c in cases]
    one = _statements(session, lambda: recognition(session, ids[:1]))
    three = _statements(session, lambda: recognition(session, ids))
    assert one == three <= 3
    assert len(recognition(session, ids)) == 3
    one = _statements(session, lambda: profiles(session, ids[:1]))
    three = _statements(session, lambda: profiles(session, ids))
    assert one == three
    assert recognition(session, [0, -1, 2**70]) == {}  # ids no key can hold match nothing
