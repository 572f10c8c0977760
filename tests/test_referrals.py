"""Referrals between services: a minimum data set, an answer from the receiving service (a refusal
always with its reason), no illegal moves, each service acting only for itself and its districts;
and the person's timeline across services with how long they waited at each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlmodel import Session, select

from ivc.audit.models import AuditEvent
from ivc.auth.roles import Actor, Role
from ivc.case.models import CaseStateEntry
from ivc.case.states import CaseState
from ivc.errors import DomainError, PermissionDenied, ValidationFailed
from ivc.mediation import service as mediation
from ivc.mediation.models import MediatorKind
from ivc.person.service import get_person
from ivc.referral import service as referrals
from ivc.referral.models import Referral, ReferralStatus
from ivc.referral.service import ReferralIn
from ivc.referral.timeline import person_timeline

from .helpers import advance_to, new_case, staff

ADMIN = Actor("admin", Role.ADMIN)


def _to_cpi(case_id: int | None = None, **over: object) -> ReferralIn:
    data: dict[str, object] = {
        "from_service": "ivc",
        "to_service": "cpi",
        "reason": "Competenze di cucina validate; cerca lavoro nella ristorazione",
        "request": "Iscrizione al CPI e orientamento al lavoro",
        "urgency": "normal",
        "consent_basis": "public_task",
        "contact_operator": "op3 (Sportello IVC Genova)",
        "case_id": case_id,
    }
    data.update(over)
    return ReferralIn.model_validate(data)


def _actions(session: Session, referral_id: int) -> list[tuple[str, str, str | None]]:
    rows = session.exec(
        select(AuditEvent).where(AuditEvent.entity == "referral", AuditEvent.entity_id == str(referral_id))
    )
    return [(e.action, e.actor, e.on_behalf_of) for e in rows]


def test_a_referral_is_accepted_then_completed_by_the_receiving_service(session: Session) -> None:
    actors = staff(session)
    case = new_case(session, actors)
    person = get_person(session, case.person_id)
    referral = referrals.send(session, person, _to_cpi(case.id), actors["op3"])
    assert (referral.status, referral.territory, referral.urgency) == ("sent", "3", "normal")
    assert [r.id for r in referrals.inbox(session, actors["cpi3"], referrals.Service.CPI)] == [referral.id]
    referrals.accept(session, referral.id or 0, actors["cpi3"], note="Appuntamento fissato")
    assert (referral.status, referral.responded_by) == ("accepted", "cpi3")
    referrals.complete(session, referral.id or 0, actors["cpi3"], note="Iscritta, patto di servizio CPI firmato")
    assert referral.status == ReferralStatus.COMPLETED.value and referral.closed_at is not None
    assert _actions(session, referral.id or 0) == [
        ("referral.sent", "op3", None),
        ("referral.accepted", "cpi3", None),
        ("referral.completed", "cpi3", None),
    ]


def test_a_refusal_needs_a_reason_and_services_without_accounts_are_recorded_on_their_behalf(session: Session) -> None:
    actors = staff(session)
    case = new_case(session, actors)
    person = get_person(session, case.person_id)
    # The social services referred the person by phone: the IVC operator records it for them.
    incoming = referrals.send(
        session,
        person,
        _to_cpi(
            None, from_service="social_services", to_service="cpia", request="Corso di italiano A2", urgency="high"
        ),
        actors["op3"],
    )
    with pytest.raises(ValidationFailed, match="reason"):
        referrals.refuse(session, incoming.id or 0, "   ", actors["op3"])
    assert incoming.status == "sent"
    referrals.refuse(session, incoming.id or 0, "Corsi A2 al completo fino a febbraio", actors["op3"])
    assert (incoming.status, incoming.refusal_reason) == ("refused", "Corsi A2 al completo fino a febbraio")
    assert _actions(session, incoming.id or 0) == [
        ("referral.sent", "op3", "social_services"),
        ("referral.refused", "op3", "cpia"),
    ]


def test_illegal_moves_are_refused_and_nothing_changes(session: Session) -> None:
    actors = staff(session)
    case = new_case(session, actors)
    person = get_person(session, case.person_id)
    op, cpi = actors["op3"], actors["cpi3"]
    referral = referrals.send(session, person, _to_cpi(case.id), op)
    with pytest.raises(DomainError, match=r"cannot complete referral \d+: it is sent"):
        referrals.complete(session, referral.id or 0, cpi)
    referrals.refuse(session, referral.id or 0, "Persona già in carico", cpi)
    for move in (
        lambda: referrals.accept(session, referral.id or 0, cpi),
        lambda: referrals.refuse(session, referral.id or 0, "di nuovo", cpi),
        lambda: referrals.withdraw(session, referral.id or 0, "non serve", op),
    ):
        with pytest.raises(DomainError, match="it is refused"):
            move()
    other = referrals.send(session, person, _to_cpi(case.id), op)
    referrals.withdraw(session, other.id or 0, "La persona si è trasferita", op)
    with pytest.raises(DomainError, match="it is withdrawn"):
        referrals.accept(session, other.id or 0, cpi)
    assert session.get(Referral, referral.id).status == "refused"  # type: ignore[union-attr]
    with pytest.raises(ValidationError, match="another service"):
        _to_cpi(case.id, to_service="ivc")
    with pytest.raises(ValidationError, match="consent record"):
        _to_cpi(case.id, consent_basis="consent")


def test_each_service_acts_only_for_itself_and_its_districts(session: Session) -> None:
    actors = staff(session)
    case = new_case(session, actors)
    person = get_person(session, case.person_id)
    with pytest.raises(PermissionDenied):
        referrals.send(session, person, _to_cpi(case.id), actors["op1"])  # another district
    with pytest.raises(PermissionDenied):
        referrals.send(session, person, _to_cpi(case.id), actors["cpi3"])  # CPI cannot send as IVC
    with pytest.raises(PermissionDenied):
        referrals.send(session, person, _to_cpi(case.id), actors["med"])
    referral = referrals.send(session, person, _to_cpi(case.id), actors["op3"])
    with pytest.raises(PermissionDenied):
        referrals.accept(session, referral.id or 0, actors["op3"])  # the CPI answers, not the sender
    with pytest.raises(PermissionDenied):
        referrals.withdraw(session, referral.id or 0, "errore", actors["cpi3"])  # only the sender withdraws
    outsider = Actor("cpi1", Role.CPI_ADVISOR, frozenset({"1"}))
    with pytest.raises(PermissionDenied):
        referrals.accept(session, referral.id or 0, outsider)
    with pytest.raises(PermissionDenied):
        referrals.get_referral(session, referral.id or 0, actors["mon"])
    assert referrals.get_referral(session, referral.id or 0, actors["cpi3"]).status == "sent"


def test_the_timeline_lists_what_happened_in_order_what_is_next_and_time_at_each_service(session: Session) -> None:
    actors = staff(session)
    mediation.set_profile(session, "med", MediatorKind.MEDIATOR, ["ar-it"], ADMIN)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    person = get_person(session, case.person_id)
    now = datetime.now(UTC)
    day = timedelta(days=1)
    # Move the recorded history back in time: ten days ago the person arrived, admitted six days ago.
    for entry in session.exec(select(CaseStateEntry).where(CaseStateEntry.case_id == case.id)):
        if entry.state == CaseState.ACCESS.value:
            entry.entered_at, entry.left_at = now - 10 * day, now - 6 * day
        else:
            entry.entered_at = now - 6 * day
        session.add(entry)
    referral = referrals.send(session, person, _to_cpi(case.id), actors["op3"])
    referrals.accept(session, referral.id or 0, actors["cpi3"])
    referral.sent_at, referral.responded_at = now - 5 * day, now - 3 * day
    session.add(referral)
    refused = referrals.send(session, person, _to_cpi(case.id, to_service="cpia", request="Corso A2"), actors["op3"])
    referrals.refuse(session, refused.id or 0, "Corsi al completo", actors["op3"])
    refused.sent_at, refused.responded_at = now - 4 * day, now - 2 * day
    session.add(refused)
    mediation.record_session(
        session,
        case,
        actors["op3"],
        started_at=now - 2 * day,
        duration_minutes=90,
        languages=["ar", "it"],
        mediator="med",
    )
    upcoming = now + 2 * day
    mediation.book(
        session, case, actors["op3"], language="ar", starts_at=upcoming, ends_at=upcoming + timedelta(hours=1)
    )
    session.flush()

    timeline = person_timeline(session, person.id or 0, actors["cpi3"])
    times = [e.at for e in timeline.events]
    assert times == sorted(times)
    kinds = [e.kind for e in timeline.events]
    assert kinds[0] == "case.state" and timeline.events[0].summary.endswith("'accoglienza' (opened)")
    for kind in (
        "agreement.signed",
        "decision",
        "referral.sent",
        "referral.accepted",
        "referral.refused",
        "session",
        "mediator.booked",
    ):
        assert kind in kinds, kind
    assert kinds.index("referral.sent") < kinds.index("referral.accepted") < kinds.index("session")
    refusal = next(e for e in timeline.events if e.kind == "referral.refused")
    assert (refusal.service, refusal.summary) == ("cpia", "cpia refused: Corsi al completo")

    spent = timeline.time_in_state
    assert spent["ivc"]["accoglienza"] == 4 * day
    assert 6 * day <= spent["ivc"]["individuazione"] < 6 * day + timedelta(minutes=5)  # still there
    assert spent["cpi"]["awaiting_answer"] == 2 * day
    assert 3 * day <= spent["cpi"]["in_charge"] < 3 * day + timedelta(minutes=5)
    assert spent["cpia"] == {"awaiting_answer": 2 * day}
    assert timeline.time_at("ivc") >= 10 * day

    nexts = {(s.what, s.waiting_on, s.who) for s in timeline.next_steps}
    assert ("interview", "ivc", "op3") in nexts  # the case waits for the interview, on its operator
    assert ("carry out: Iscrizione al CPI e orientamento al lavoro", "cpi", None) in nexts
    assert any(s.who == "med" and s.what.startswith("interview with med") for s in timeline.next_steps)
    with pytest.raises(PermissionDenied):
        person_timeline(session, person.id or 0, actors["op1"])
    with pytest.raises(PermissionDenied):
        person_timeline(session, person.id or 0, actors["mon"])


def test_the_command_line_shows_the_timeline_and_a_service_inbox(session: Session) -> None:
    import os

    from typer.testing import CliRunner

    from ivc.cli.main import app

    os.environ["COLUMNS"] = "200"
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    referrals.send(session, get_person(session, case.person_id), _to_cpi(case.id), actors["op3"])
    session.commit()
    runner = CliRunner()
    shown = runner.invoke(app, ["case", "timeline", str(case.id), "--as", "cpi3"])
    assert shown.exit_code == 0, shown.output
    assert "referred to cpi" in shown.output and "accoglienza" in shown.output and "in attesa di cpi" in shown.output
    inbox = runner.invoke(app, ["referrals", "inbox", "cpi", "--as", "cpi3"])
    assert inbox.exit_code == 0 and "Iscrizione al CPI" in inbox.output, inbox.output
    refused = runner.invoke(app, ["case", "timeline", str(case.id), "--as", "op1"])
    assert refused.exit_code == 2 and "district 3" in refused.output
