"""Mediators and language facilitators: booked by language in the case's district without double
bookings, sessions say who was there, statements keep how they were obtained, and a mediator's
cultural notes never leave the service."""

from __future__ import annotations

import io
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from ivc.audit.models import AuditEvent
from ivc.auth.roles import Actor, Role
from ivc.auth.service import create_user
from ivc.case import service as cases
from ivc.case.models import Case
from ivc.case.states import CaseState
from ivc.consent import service as consents
from ivc.consent.models import ConsentPurpose
from ivc.database.core import get_engine
from ivc.document.render import embedded_json
from ivc.errors import ConflictError, DomainError, PermissionDenied, ValidationFailed
from ivc.evidence.storage import get_store
from ivc.experience.service import add_experience
from ivc.matching.models import Vacancy, VacancySkill
from ivc.matching.service import match_person, match_vacancy, shortlist_csv, shortlist_pdf, shortlist_rows
from ivc.mediation import service as mediation
from ivc.mediation.models import BookingStatus, MediatorBooking, MediatorKind, TranslationSource
from ivc.monitoring.service import export_csv, indicators
from ivc.person.service import get_person
from ivc.referral.timeline import person_timeline

from .helpers import EXPERIENCE, advance_to, new_case, staff, target_competences

ADMIN = Actor("admin", Role.ADMIN)
MARKER = "ZQX-cultural-context-7f3a9"
MONDAY = datetime(2031, 3, 3, 10, 0, tzinfo=UTC)


def _mediators(session: Session) -> None:
    create_user(session, "med.ti", "Mediatrice tigrina", Role.MEDIATOR, ["3"], ["ti", "it"])
    create_user(session, "med.far", "Mediatore Imperia", Role.MEDIATOR, ["1"], ["ar", "it"])
    mediation.set_profile(session, "med", MediatorKind.MEDIATOR, ["ar-it", "fr-it"], ADMIN)
    mediation.set_profile(session, "med.ti", MediatorKind.FACILITATOR, ["ti-it"], ADMIN)
    mediation.set_profile(session, "med.far", MediatorKind.MEDIATOR, ["ar-it"], ADMIN)


def _hours(start: int, end: int) -> tuple[datetime, datetime]:
    return MONDAY + timedelta(hours=start), MONDAY + timedelta(hours=end)


def test_a_mediator_is_found_by_language_in_the_case_district(session: Session) -> None:
    actors = staff(session)
    _mediators(session)
    case = new_case(session, actors)  # district 3
    op = actors["op3"]
    start, end = _hours(0, 1)
    assert [p.username for p in mediation.available_mediators(session, case, "ar", start, end, op)] == ["med"]
    assert [p.username for p in mediation.available_mediators(session, case, "ti", start, end, op)] == ["med.ti"]
    facilitators = mediation.available_mediators(session, case, "ti", start, end, op, kind=MediatorKind.MEDIATOR)
    assert facilitators == []
    # Nobody covers Wolof in district 3: a clear refusal, nothing booked.
    assert mediation.available_mediators(session, case, "wo", start, end, op) == []
    with pytest.raises(DomainError, match="no mediator for wo"):
        mediation.book(session, case, op, language="wo", starts_at=start, ends_at=end)
    booking = mediation.book(session, case, op, language="AR", starts_at=start, ends_at=end)
    assert (booking.mediator, booking.language, booking.status) == ("med", "ar", "booked")
    # A mediator of another district is never offered, even when named.
    with pytest.raises(DomainError, match="does not cover"):
        mediation.book(session, case, op, language="ar", starts_at=start, ends_at=end, mediator="med.far")
    with pytest.raises(PermissionDenied):
        mediation.book(session, case, actors["op1"], language="ar", starts_at=start, ends_at=end)
    with pytest.raises(ValidationFailed, match="pair"):
        mediation.set_profile(session, "med", MediatorKind.MEDIATOR, ["arabic"], ADMIN)


def test_a_mediator_is_never_booked_twice_for_overlapping_times(session: Session) -> None:
    actors = staff(session)
    _mediators(session)
    first, second = new_case(session, actors), new_case(session, actors)
    op = actors["op3"]
    mediation.book(session, first, op, language="ar", starts_at=MONDAY, ends_at=MONDAY + timedelta(hours=1))
    half_past = MONDAY + timedelta(minutes=30)
    with pytest.raises(ConflictError, match="already booked"):
        mediation.book(
            session,
            second,
            op,
            language="ar",
            starts_at=half_past,
            ends_at=half_past + timedelta(hours=1),
            mediator="med",
        )
    with pytest.raises(DomainError, match="no mediator"):
        mediation.book(session, second, op, language="ar", starts_at=half_past, ends_at=half_past + timedelta(hours=1))
    # Back to back is fine; after a cancellation the slot is free again.
    after = mediation.book(
        session, second, op, language="ar", starts_at=MONDAY + timedelta(hours=1), ends_at=MONDAY + timedelta(hours=2)
    )
    mediation.cancel_booking(session, after.id or 0, "la persona è malata", op)
    again = mediation.book(
        session, second, op, language="ar", starts_at=MONDAY + timedelta(hours=1), ends_at=MONDAY + timedelta(hours=2)
    )
    assert again.mediator == "med"
    with pytest.raises(ValidationFailed, match="reason"):
        mediation.cancel_booking(session, again.id or 0, "  ", op)


def test_two_operators_booking_the_same_mediator_at_once_get_one_booking(session: Session) -> None:
    actors = staff(session)
    _mediators(session)
    case_ids = [new_case(session, actors).id or 0 for _ in range(2)]
    session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def book(case_id: int) -> None:
        with Session(get_engine(), expire_on_commit=False) as s:
            try:
                case = cases.get_case(s, case_id)
                barrier.wait()
                mediation.book(
                    s,
                    case,
                    actors["op3"],
                    language="ar",
                    starts_at=MONDAY,
                    ends_at=MONDAY + timedelta(hours=1),
                    mediator="med",
                )
                s.commit()
                outcomes.append("booked")
            except ConflictError:
                s.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=book, args=(cid,)) for cid in case_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["booked", "refused"]
    with Session(get_engine()) as s:
        assert len(s.exec(select(MediatorBooking).where(MediatorBooking.mediator == "med")).all()) == 1


def test_a_session_records_who_was_there_and_in_which_languages(session: Session) -> None:
    actors = staff(session)
    _mediators(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    op = actors["op3"]
    past = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    booking = mediation.book(session, case, op, language="ar", starts_at=past, ends_at=past + timedelta(hours=2))
    record = mediation.record_session(
        session,
        case,
        op,
        booking_id=booking.id,
        started_at=past,
        duration_minutes=75,
        languages=["ar", "it"],
        others=[{"name": "Giulia Rossi", "role": "social_worker"}],
    )
    assert (record.operator, record.mediator, record.person_present) == ("op3", "med", True)
    assert record.duration_minutes == 75 and record.ended_at == past + timedelta(minutes=75)
    assert record.others == [{"name": "Giulia Rossi", "role": "social_worker"}]
    assert record.languages == ["ar", "it"]
    assert booking.status == BookingStatus.HELD.value
    with pytest.raises(ValidationFailed, match="ends after"):
        mediation.record_session(session, case, op, started_at=past, ended_at=past, languages=["it"])
    with pytest.raises(ValidationFailed, match="role"):
        mediation.record_session(
            session,
            case,
            op,
            started_at=past,
            duration_minutes=30,
            languages=["it"],
            others=[{"name": "X", "role": "boss"}],
        )
    with pytest.raises(ValidationFailed, match="language"):
        mediation.record_session(session, case, op, started_at=past, duration_minutes=30, languages=[])


def test_a_statement_keeps_the_original_the_italian_and_who_translated(session: Session) -> None:
    actors = staff(session)
    _mediators(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    op = actors["op3"]
    past = datetime.now(UTC) - timedelta(hours=3)
    interview = mediation.record_session(
        session, case, op, started_at=past, duration_minutes=60, languages=["ar", "it"], mediator="med"
    )
    experience = add_experience(session, case, EXPERIENCE, op)
    said = mediation.record_statement(
        session,
        case,
        actors["med"],
        language="ar",
        text_original="كنت أنظف السمك كل صباح",
        text_it="Pulivo il pesce ogni mattina",
        translated_by="med",
        session_id=interview.id,
        experience_id=experience.id,
    )
    own = mediation.record_statement(
        session,
        case,
        op,
        language="ar",
        text_original="أعرف الكسكسي",
        text_it="So fare il cuscus",
        translated_by="self",
    )
    by_operator = mediation.record_statement(
        session,
        case,
        op,
        language="fr",
        text_original="J'ai servi en salle",
        text_it="Ho servito in sala",
        translated_by="operator",
    )
    italian = mediation.record_statement(session, case, op, language="it", text_original="Ho lavorato sei anni")
    assert (said.text_original, said.text_it, said.translated_by) == (
        "كنت أنظف السمك كل صباح",
        "Pulivo il pesce ogni mattina",
        "med",
    )
    assert said.translation_source == TranslationSource.MEDIATOR.value and said.session_id == interview.id
    assert (own.translation_source, own.translated_by) == ("self", "self")
    assert (by_operator.translation_source, by_operator.translated_by) == ("operator", "op3")
    assert (italian.text_it, italian.translated_by) == ("Ho lavorato sei anni", None)
    mediation.link_statements(session, experience, [own.id or 0], op)
    # Assessors follow an experience back to the words it was built from.
    assert [s.id for s in mediation.statements_for_case(session, case.id or 0, experience.id)] == [said.id, own.id]
    with pytest.raises(ValidationFailed, match="Italian rendering"):
        mediation.record_statement(session, case, op, language="ar", text_original="نص", translated_by="med")
    with pytest.raises(ValidationFailed, match="not the mediator present"):
        mediation.record_statement(
            session,
            case,
            op,
            language="ti",
            text_original="ሰላም",
            text_it="Ciao",
            translated_by="med.ti",
            session_id=interview.id,
        )
    with pytest.raises(ValidationFailed, match="not a mediator"):
        mediation.record_statement(
            session, case, op, language="ar", text_original="نص", text_it="testo", translated_by="op1"
        )


def test_mediator_notes_are_read_only_by_operators_mediators_and_assessors_of_the_district(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    note = mediation.add_note(session, case, "La persona preferisce un'operatrice donna.", actors["med"])
    for reader in ("op3", "med", "ev"):
        assert [n.id for n in mediation.notes_for_case(session, case, actors[reader])] == [note.id]
    for outsider in ("op1", "cpi3", "alfa", "mon"):
        with pytest.raises(PermissionDenied):
            mediation.notes_for_case(session, case, actors[outsider])
    with pytest.raises(PermissionDenied):
        mediation.add_note(session, case, "nota", actors["op3"])


def _pdf_text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_mediator_note_never_reaches_documents_shortlists_or_exports(session: Session) -> None:
    actors = staff(session)

    def interview(case: Case) -> None:
        mediation.add_note(session, case, f"Contesto culturale riservato {MARKER}", actors["med"])

    case = advance_to(session, actors, CaseState.CLOSED, during_identification=interview)
    person = get_person(session, case.person_id)
    for purpose in (ConsentPurpose.JOB_MATCHING, ConsentPurpose.EMPLOYER_CONTACT):
        consents.give_consent(session, person, purpose, "ar", actors["op3"], explained_by="med")
    session.commit()
    assert MARKER in mediation.notes_for_case(session, case, actors["op3"])[0].text  # it is stored

    outputs: list[str] = []
    documents = cases.issued_documents(session, case.id or 0)
    assert {d.doc_type for d in documents} == {"documento_trasparenza", "documento_validazione", "certificato"}
    for doc in documents:
        pdf = get_store().get(doc.sha256)
        outputs += [json.dumps(doc.payload, ensure_ascii=False), json.dumps(doc.credentials, ensure_ascii=False)]
        outputs += [_pdf_text(pdf), json.dumps(embedded_json(pdf), ensure_ascii=False)]
    comps = target_competences(session, case)
    vacancy = Vacancy(
        reference="VAC-M-1",
        title="Aiuto cuoco",
        employer="Trattoria",
        italian_level="A2",
        territory="3",
        created_by="cpi3",
    )
    session.add(vacancy)
    session.flush()
    for comp in comps:
        session.add(VacancySkill(vacancy_id=vacancy.id or 0, concept_key=comp.code, essential=True))
    session.flush()
    matches = match_vacancy(session, vacancy.id or 0, actors["cpi3"])
    assert [m.subject["case_id"] for m in matches] == [case.id]
    rows = shortlist_rows(session, matches)
    outputs += [repr(matches), shortlist_csv(rows), _pdf_text(shortlist_pdf(vacancy, rows))]
    outputs.append(repr(match_person(session, case.id or 0, actors["cpi3"])))
    records, aggregates = export_csv(session, actors["mon"], "chiave-di-esportazione-2026")
    outputs += [records, aggregates, json.dumps(indicators(session, actors["mon"]), default=str)]
    outputs.append(repr(person_timeline(session, person.id or 0, actors["cpi3"])))
    outputs += [json.dumps([e.before, e.after], default=str) for e in session.exec(select(AuditEvent))]
    assert all(text.strip() for text in outputs)
    leaks = [i for i, text in enumerate(outputs) if MARKER in text]
    assert leaks == []


def test_statement_texts_are_encrypted_at_rest(session: Session) -> None:
    """Issue #21, point 3: experience texts were encrypted, the same words in a statement were not."""
    from sqlalchemy import text

    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    said = mediation.record_statement(
        session,
        case,
        actors["op3"],
        language="ar",
        text_original="كنت في السجن وعملت في المطبخ",
        text_it="Ero in carcere e lavoravo in cucina",
        translated_by="operator",
    )
    session.commit()
    raw = session.execute(text("SELECT text_original, text_it FROM statement WHERE id = :id"), {"id": said.id}).one()
    assert all(value.startswith("enc:v1:") for value in raw)
    assert "carcere" not in raw[1] and "السجن" not in raw[0]
    session.expire_all()
    again = mediation.statements_for_case(session, case.id or 0)[0]
    assert again.text_original == "كنت في السجن وعملت في المطبخ"
    assert again.text_it == "Ero in carcere e lavoravo in cucina"
