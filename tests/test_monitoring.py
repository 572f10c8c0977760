"""Monitoring: indicator arithmetic on a known fixture, small cells suppressed, no identifiers."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from ivc.auth.roles import Actor, Role
from ivc.case.states import CaseState
from ivc.errors import PermissionDenied
from ivc.monitoring.service import export_csv, indicators, pseudonym, suppress

from .helpers import advance_to, staff

MON = Actor("mon", Role.MONITORING)


def _fixture(session: Session) -> None:
    actors = staff(session)
    advance_to(session, actors, CaseState.CLOSED)  # certified
    advance_to(session, actors, CaseState.VALIDATION_ISSUED, partial=True)
    advance_to(session, actors, CaseState.IDENTIFICATION)
    advance_to(session, actors, CaseState.ACCESS)


def test_indicator_arithmetic_on_a_known_fixture(session: Session) -> None:
    _fixture(session)
    figures = indicators(session, MON)
    by_code = {i["code"]: i for i in figures["indicators"]}
    assert figures["people"] == 4
    assert by_code["O.PARTICIPANTS"]["total"] == 4
    assert by_code["O.GUIDANCE"]["total"] == 3
    assert by_code["R.RECOGNITION_APPLICATIONS"]["total"] == 2
    assert by_code["R.TRANSPARENCY_ISSUED"]["total"] == 2
    assert by_code["R.VALIDATION_ISSUED"]["total"] == 2
    assert by_code["R.CERTIFICATES_ISSUED"]["total"] == 1
    assert by_code["O.PARTICIPANTS"]["by"]["gender"] == {"F": 4}
    assert by_code["O.PARTICIPANTS"]["by"]["territory"] == {"3": 4}
    assert by_code["O.PARTICIPANTS"]["by"]["interview_language"] == {"ar": 4}
    assert by_code["O.PARTICIPANTS"]["by"]["mediated"] == {"True": 4}
    assert figures["funnel"]["accoglienza"] == 4 and figures["funnel"]["esame"] == 1
    assert set(figures["median_days"]) >= {"accoglienza", "individuazione"}


def test_exports_suppress_small_cells_and_carry_no_direct_identifier(session: Session) -> None:
    _fixture(session)
    records, aggregates = export_csv(session, MON, "chiave-di-esportazione-2026")
    for forbidden in ("Amina", "Ben Salah", "1986-04-12", "أمينة", "Sfax"):
        assert forbidden not in records and forbidden not in aggregates
    assert "O.PARTICIPANTS,total,,<5" in aggregates.replace("\r", "")
    lines = records.strip().splitlines()
    assert len(lines) == 5
    pseudonyms = {line.split(",")[0] for line in lines[1:]}
    assert len(pseudonyms) == 4  # four people (same name, different records)
    assert suppress(0) == "0" and suppress(4) == "<5" and suppress(5) == "5"
    assert pseudonym("k" * 16, 1) == pseudonym("k" * 16, 1) != pseudonym("x" * 16, 1)


def test_an_export_of_special_category_fields_is_in_the_audit_log(session: Session) -> None:
    from sqlmodel import select

    from ivc.audit.models import AuditEvent

    _fixture(session)
    export_csv(session, MON, "chiave-di-esportazione-2026")
    session.commit()
    logged = session.exec(select(AuditEvent).where(AuditEvent.action == "monitoring.special_export")).one()
    assert logged.actor == MON.username
    assert logged.after == {"fields": ["person.referral_source", "vulnerability"], "count": 4}


def test_monitoring_sees_only_aggregates_and_others_nothing(session: Session) -> None:
    actors = staff(session)
    with pytest.raises(PermissionDenied):
        indicators(session, actors["op3"])
    with pytest.raises(PermissionDenied):
        export_csv(session, MON, "short")


def test_the_monthly_report_flow_writes_a_pdf_without_people(session: Session) -> None:
    import io
    from datetime import date

    from pypdf import PdfReader

    from ivc.flows.schedules import monthly_report

    _fixture(session)
    session.commit()
    month = date.today().strftime("%Y-%m")
    path = monthly_report.fn(month)  # the flow's body; the server runs it on its schedule
    with open(path, "rb") as fh:
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(fh.read())).pages)
    assert f"Monitoraggio del servizio IVC — {month}" in " ".join(text.split())
    assert "O.PARTICIPANTS" in text and "Ben Salah" not in text and "Amina" not in text


def test_mediation_sessions_hours_and_languages_are_counted(session: Session) -> None:
    from datetime import UTC, datetime

    from ivc.mediation import service as mediation

    actors = staff(session)
    first = advance_to(session, actors, CaseState.IDENTIFICATION)
    second = advance_to(session, actors, CaseState.IDENTIFICATION)
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    mediation.record_session(
        session, first, actors["op3"], started_at=start, duration_minutes=90, languages=["ar", "it"], mediator="med"
    )
    mediation.record_session(
        session,
        first,
        actors["op3"],
        started_at=start.replace(day=9),
        duration_minutes=30,
        languages=["ar"],
        mediator="med",
    )
    mediation.record_session(session, second, actors["op3"], started_at=start, duration_minutes=45, languages=["it"])
    figures = indicators(session, MON)["mediation"]
    assert figures == {
        "sessions": 3,
        "with_mediator": 2,
        "mediated_hours": 2.0,
        "cases_with_mediator": 1,
        "by_language": {"ar": 2, "it": 2},
    }


def test_only_documents_in_force_count_and_competences_follow_them(session: Session) -> None:
    import csv
    import io

    from ivc.case.states import DocumentType
    from ivc.document import service as documents
    from ivc.monitoring.service import _RULES, rows

    actors = staff(session)
    case = advance_to(session, actors, CaseState.CLOSED)
    (row,) = rows(session)
    n = sum(row.competences.values())
    assert row.competences == {"certified": n} and n > 0
    assert _RULES["competences_recognised"](row, {"level": "certified"})
    records, _ = export_csv(session, MON, "chiave-di-esportazione-2026")
    (record,) = list(csv.DictReader(io.StringIO(records)))
    assert (record["competences_certified"], record["competences_validated"]) == (str(n), "0")

    certificate = documents.existing_document(session, case.id or 0, DocumentType.CERTIFICATE)
    assert certificate is not None
    documents.revoke(session, certificate, "Errore materiale", actors["alfa"])
    by_code = {i["code"]: i for i in indicators(session, MON)["indicators"]}
    assert by_code["R.CERTIFICATES_ISSUED"]["total"] == 0  # revoked: no longer a certificate issued
    assert by_code["R.VALIDATION_ISSUED"]["total"] == 1
    (row,) = rows(session)
    assert row.competences == {"validated": n}
    assert not _RULES["competences_recognised"](row, {"level": "certified"})
    assert _RULES["competences_recognised"](row, {"level": "validated"})


def test_the_dashboard_reuses_its_figures_until_something_counted_changes(session: Session) -> None:
    from sqlmodel import select

    from ivc.document.models import IssuedDocument
    from ivc.document.service import revoke
    from ivc.monitoring.service import snapshot

    _fixture(session)
    first_at, first = snapshot(session, MON)
    again_at, again = snapshot(session, MON)
    assert again_at == first_at and again is first  # nothing changed: not computed again
    by_code = {i["code"]: i["total"] for i in first["indicators"]}
    assert by_code["R.CERTIFICATES_ISSUED"] == 1
    certificate = session.exec(select(IssuedDocument).where(IssuedDocument.doc_type == "certificato")).one()
    revoke(session, certificate, "errore materiale nel certificato", Actor("alfa", Role.ALFA_REVIEWER))
    _, after = snapshot(session, MON)
    assert {i["code"]: i["total"] for i in after["indicators"]}["R.CERTIFICATES_ISSUED"] == 0
    advance_to(session, staff(session), CaseState.ACCESS)
    _, more = snapshot(session, MON)
    assert more["people"] == first["people"] + 1
    fresh_at, _ = snapshot(session, MON, fresh=True)
    assert fresh_at > first_at
