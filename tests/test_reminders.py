"""Deadlines and reminders: each reminder once, no personal data, jobs switched off by settings,
archiving only after a warning and never while the person's contest is pending."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from ivc.case.states import Activity, CaseState
from ivc.config import get_settings, reset_settings
from ivc.database.core import utcnow
from ivc.person.service import get_person
from ivc.reminder import service as reminders
from ivc.reminder.models import ContestStatus, ReminderKind

from .helpers import advance_to, staff


@pytest.fixture()
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    yield monkeypatch
    monkeypatch.undo()
    reset_settings()


def _kinds(session: Session, case_id: int) -> list[tuple[str, str]]:
    return [(n.kind, n.recipient) for n in reminders.notifications(session, case_id=case_id)]


def test_a_reminder_job_run_twice_sends_once(session: Session, tmp_path: Path) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    later = utcnow() + timedelta(days=61)
    first = reminders.run_jobs(session, later)
    second = reminders.run_jobs(session, later)
    assert first == {"inactivity": 2, "archiving": 0, "late_results": 0, "missing_evidence": 1}
    assert second == {"inactivity": 0, "archiving": 0, "late_results": 0, "missing_evidence": 0}
    assert sorted(_kinds(session, case.id or 0)) == [
        ("inactivity_warning", "op3"),
        ("inactivity_warning", "person"),
        ("missing_evidence", "op3"),
    ]
    outbox = tmp_path / "sent.jsonl"
    assert reminders.deliver(session, reminders.FileSender(outbox)) == 3
    assert reminders.deliver(session, reminders.FileSender(outbox)) == 0
    assert len(outbox.read_text(encoding="utf-8").splitlines()) == 3
    assert reminders.notifications(session, pending=True) == []


def test_reminders_carry_a_link_and_no_personal_data(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.VALIDATION)
    person = get_person(session, case.person_id)
    person.codice_fiscale = "BNSMNA86D52Z352X"
    session.add(person)
    session.flush()
    reminders.run_jobs(session, utcnow() + timedelta(days=95))
    sent = reminders.notifications(session, case_id=case.id)
    assert {n.kind for n in sent} == {"inactivity_warning", "late_results"}
    link = f"{get_settings().case_base_url}/{case.id}"
    private = [person.given_name, person.family_name, person.name_native, "BNSMNA86D52Z352X", "1986", "Sfax"]
    for n in sent:
        assert n.link == link and link in n.body
        text = json.dumps([n.subject, n.body, n.recipient], ensure_ascii=False)
        assert not [p for p in private if p and p in text], text
    assert ("late_results", "role:assessor") in _kinds(session, case.id or 0)


def test_a_switched_off_job_sends_nothing(session: Session, settings_env: pytest.MonkeyPatch) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    settings_env.setenv("IVC_REMINDERS_INACTIVITY", "false")
    settings_env.setenv("IVC_REMINDERS_MISSING_EVIDENCE", "false")
    reset_settings()
    assert reminders.run_jobs(session, utcnow() + timedelta(days=200)) == {"archiving": 0, "late_results": 0}
    assert _kinds(session, case.id or 0) == []
    assert session.get(type(case), case.id).activity != Activity.ARCHIVED.value  # never archived unwarned


def test_archiving_needs_a_warning_and_waits_for_a_pending_contest(session: Session) -> None:
    actors = staff(session)
    quiet = advance_to(session, actors, CaseState.IDENTIFICATION)
    contested = advance_to(session, actors, CaseState.IDENTIFICATION)
    now = utcnow()
    assert reminders.archive_inactive(session, now + timedelta(days=91)) == 0  # nobody was warned yet
    reminders.warn_inactive(session, now + timedelta(days=61))
    contest = reminders.contest_archiving(session, contested, "Sto cercando i documenti in Tunisia", actors["med"])

    assert reminders.archive_inactive(session, now + timedelta(days=91)) == 1
    assert quiet.activity == Activity.ARCHIVED.value
    assert contested.activity != Activity.ARCHIVED.value
    assert ("archived", "person") in _kinds(session, quiet.id or 0)
    assert reminders.archive_inactive(session, now + timedelta(days=92)) == 0  # archived once

    reminders.review_contest(session, contest.id or 0, upheld=False, actor=actors["alfa"], note="nessun seguito")
    assert reminders.archive_inactive(session, now + timedelta(days=92)) == 1
    assert contested.activity == Activity.ARCHIVED.value

    # The person objects after archiving: an upheld contest brings the case back.
    again = reminders.contest_archiving(session, contested, "Ho trovato i documenti", actors["op3"])
    reviewed = reminders.review_contest(session, again.id or 0, upheld=True, actor=actors["alfa"])
    assert reviewed.status == ContestStatus.UPHELD.value
    assert contested.activity == Activity.ACTIVE.value


def test_the_scheduled_flow_runs_the_jobs_and_delivers_once(session: Session) -> None:
    from ivc.flows.schedules import reminders as reminders_flow

    actors = staff(session)
    case = advance_to(session, actors, CaseState.VALIDATION)
    session.commit()
    later = utcnow() + timedelta(days=31)
    first = reminders_flow.fn(later)
    assert first["late_results"] == 1 and first["delivered"] == 1
    assert reminders_flow.fn(later) == {
        "inactivity": 0,
        "archiving": 0,
        "late_results": 0,
        "missing_evidence": 0,
        "delivered": 0,
    }
    lines = (get_settings().data_dir / "outbox" / "sent.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["case_id"] for x in lines if json.loads(x)["kind"] == ReminderKind.LATE_RESULTS.value][
        -1
    ] == case.id


def test_the_command_line_lists_the_outbox_and_records_a_contest(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # rich sizes its tables from the terminal width
    from typer.testing import CliRunner

    from ivc.cli.main import app

    actors = staff(session)
    case = advance_to(session, actors, CaseState.VALIDATION)
    reminders.run_jobs(session, utcnow() + timedelta(days=31))
    session.commit()
    runner = CliRunner()
    listed = runner.invoke(app, ["reminders", "list", "--pending"])
    assert listed.exit_code == 0, listed.output
    assert "late_results" in listed.output and "role:assessor" in listed.output
    contested = runner.invoke(app, ["reminders", "contest", str(case.id), "Sono ancora interessata", "--as", "op3"])
    assert contested.exit_code == 0 and "pending" in contested.output, contested.output
    refused = runner.invoke(app, ["reminders", "contest", str(case.id), "x", "--as", "op1"])
    assert refused.exit_code == 2
