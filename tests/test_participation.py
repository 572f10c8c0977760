"""Courses, Italian levels and the integration question: recorded once, refused when wrong, and
counted by the AMIF/FAMI indicators the way the regulation reads them."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlmodel import Session, select

from ivc.audit.models import AuditEvent
from ivc.auth.roles import Actor, Role
from ivc.case.states import CaseState
from ivc.errors import ConflictError, PermissionDenied, ValidationFailed
from ivc.monitoring.service import export_csv, indicators
from ivc.participation.models import ActivityKind, Answer, CefrLevel, LevelSource, SupportActivity
from ivc.participation.service import (
    ActivityIn,
    finish_activity,
    participation,
    progress,
    record_activity,
    record_feedback,
    record_level,
)
from ivc.privacy.export import collect

from .helpers import advance_to, new_case, staff

MON = Actor("mon", Role.MONITORING)
TODAY = date.today()


def _course(**over: object) -> ActivityIn:
    data: dict[str, object] = {
        "kind": ActivityKind.LANGUAGE_COURSE,
        "provider": "CPIA Genova Centro",
        "title": "Italiano A2",
        "started_on": TODAY - timedelta(days=90),
    }
    return ActivityIn.model_validate(data | over)


def _level(session: Session, person_id: int, level: str, days_ago: int, source: str, actor: Actor) -> None:
    record_level(
        session, person_id, level=level, assessed_on=TODAY - timedelta(days=days_ago), source=source, actor=actor
    )


def test_a_course_recorded_twice_is_stored_once_and_audited_once(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    first = record_activity(session, case.person_id, _course(case_id=case.id), actors["op3"])
    again = record_activity(session, case.person_id, _course(case_id=case.id), actors["op3"])
    assert first.id == again.id
    rows = session.exec(select(SupportActivity).where(SupportActivity.person_id == case.person_id)).all()
    assert len(rows) == 1
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "participation.activity_recorded")).all()
    assert len(events) == 1 and events[0].actor == "op3"


def test_finishing_a_course_needs_the_current_version(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    course = record_activity(session, case.person_id, _course(), actors["op3"])
    done = finish_activity(
        session, course.id or 0, ended_on=TODAY, completed=True, hours=80, version=course.version, actor=actors["op3"]
    )
    assert done.completed and done.hours == 80 and done.version == 2
    with pytest.raises(ConflictError):
        finish_activity(
            session, course.id or 0, ended_on=TODAY, completed=False, hours=None, version=1, actor=actors["op3"]
        )
    with pytest.raises(ValidationFailed, match="between the start and today"):
        finish_activity(
            session,
            course.id or 0,
            ended_on=TODAY - timedelta(days=365),
            completed=True,
            hours=None,
            version=2,
            actor=actors["op3"],
        )


def test_wrong_activity_input_is_refused_with_the_field_named() -> None:
    with pytest.raises(ValidationError, match="has started"):
        _course(started_on=TODAY + timedelta(days=3))
    with pytest.raises(ValidationError, match="end comes before"):
        _course(ended_on=TODAY - timedelta(days=200))
    with pytest.raises(ValidationError, match="say when it ended"):
        _course(completed=True)
    with pytest.raises(ValidationFailed, match="control character"):
        _course(provider="CPIA\u202egnp.exe")
    with pytest.raises(ValidationFailed, match="provider is required"):
        _course(provider="   \n ")
    assert _course(provider="  CPIA \n Savona ").provider == "CPIA Savona"


def test_only_operators_of_the_persons_district_record_participation(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)  # district 3
    for who in ("op1", "med", "alfa", "cpi3", "mon"):
        with pytest.raises(PermissionDenied):
            record_activity(session, case.person_id, _course(), actors[who])
        with pytest.raises(PermissionDenied):
            record_feedback(session, case.person_id, answer=Answer.HELPED, asked_in="ar", actor=actors[who])


def test_levels_show_progress_from_the_first_assessment(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    pid = case.person_id
    record_level(
        session,
        pid,
        level="A1",
        assessed_on=TODAY - timedelta(days=120),
        source=LevelSource.PLACEMENT_TEST,
        actor=actors["op3"],
    )
    record_level(
        session,
        pid,
        level=CefrLevel.B1,
        assessed_on=TODAY - timedelta(days=5),
        source=LevelSource.COURSE_EXAM,
        actor=actors["op3"],
    )
    view = participation(session, pid, actors["op3"])
    (it,) = view.progress
    assert (it.baseline, it.latest, it.steps, it.improved) == ("A1", "B1", 2, True)
    # The same assessment sent twice lands once; the same assessment with another level is refused.
    record_level(
        session, pid, level="B1", assessed_on=TODAY - timedelta(days=5), source="course_exam", actor=actors["op3"]
    )
    assert len(participation(session, pid, actors["op3"]).levels) == 2
    with pytest.raises(ConflictError):
        record_level(
            session, pid, level="B2", assessed_on=TODAY - timedelta(days=5), source="course_exam", actor=actors["op3"]
        )
    with pytest.raises(ValidationFailed):
        record_level(session, pid, level="B3", assessed_on=TODAY, source="course_exam", actor=actors["op3"])
    with pytest.raises(ValidationFailed):
        record_level(
            session, pid, level="B1", assessed_on=TODAY + timedelta(days=1), source="course_exam", actor=actors["op3"]
        )


def test_progress_rules_intake_level_and_same_day_and_decline() -> None:
    from ivc.participation.models import LanguageLevel

    def lv(level: str, days_ago: int, language: str = "it") -> LanguageLevel:
        return LanguageLevel(
            person_id=1,
            language=language,
            level=level,
            assessed_on=TODAY - timedelta(days=days_ago),
            source="course_exam",
            created_by="x",
            territory="3",
        )

    intake_on = TODAY - timedelta(days=200)
    # A single exam is compared with the level noted at intake.
    assert progress([lv("A2", 1)], "none", intake_on)[0].steps == 2
    # With a placement test, the intake estimate is not used.
    assert progress([lv("A2", 100), lv("A2", 1)], "A1", intake_on)[0].steps == 0
    # Going down is not progress; other languages are counted on their own.
    results = {p.language: p for p in progress([lv("B1", 100), lv("A2", 1), lv("A1", 50, "en"), lv("A2", 2, "en")])}
    assert not results["it"].improved and results["en"].improved
    # Native speakers have no intake level to start from.
    assert progress([lv("C2", 1)], "native", intake_on)[0].steps == 0


def test_a_second_answer_the_same_day_corrects_the_first(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    record_feedback(session, case.person_id, answer="unsure", asked_in="ar", actor=actors["op3"], case_id=case.id)
    record_feedback(session, case.person_id, answer=Answer.HELPED, asked_in="ar", actor=actors["op3"], case_id=case.id)
    (only,) = participation(session, case.person_id, actors["op3"]).feedback
    assert only.answer == "helped"
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "participation.feedback_recorded")).all()
    assert [e.before for e in events] == [None, {"answer": "unsure"}]
    with pytest.raises(ValidationFailed):
        record_feedback(session, case.person_id, answer="maybe", asked_in="ar", actor=actors["op3"])
    with pytest.raises(ValidationFailed):
        record_feedback(session, case.person_id, answer="helped", asked_in="<script>", actor=actors["op3"])


def test_amif_indicators_count_courses_levels_feedback_and_authorities(session: Session) -> None:
    actors = staff(session)
    op = actors["op3"]
    a = advance_to(session, actors, CaseState.IDENTIFICATION)
    b = advance_to(session, actors, CaseState.TRANSPARENCY_ISSUED)
    c = advance_to(session, actors, CaseState.ACCESS)
    record_activity(session, a.person_id, _course(), op)
    record_activity(session, a.person_id, _course(provider="Volontari Sant'Egidio"), op)  # one person, two courses
    record_activity(session, b.person_id, _course(), op)
    record_activity(session, b.person_id, _course(kind=ActivityKind.CIVIC_ORIENTATION, provider="Prefettura"), op)
    record_activity(session, c.person_id, _course(kind=ActivityKind.PROFESSIONAL_GUIDANCE, provider="CPI Genova"), op)
    record_activity(session, c.person_id, _course(kind=ActivityKind.INFORMATION, provider="Comune di Genova"), op)
    # a: A1 → A2 (improved); b: a single exam at the intake level A2 (not improved).
    record_level(
        session, a.person_id, level="A1", assessed_on=TODAY - timedelta(days=80), source="placement_test", actor=op
    )
    record_level(
        session, a.person_id, level="A2", assessed_on=TODAY - timedelta(days=2), source="course_exam", actor=op
    )
    record_level(
        session, b.person_id, level="A2", assessed_on=TODAY - timedelta(days=2), source="course_exam", actor=op
    )
    # a says it helped; b said so, then later that it did not (the latest answer counts); c declined.
    record_feedback(session, a.person_id, answer="helped", asked_in="ar", actor=op)
    record_feedback(session, b.person_id, answer="helped", asked_in="ar", actor=op, asked_on=TODAY - timedelta(days=30))
    record_feedback(session, b.person_id, answer="not_helped", asked_in="ar", actor=op)
    record_feedback(session, c.person_id, answer="declined", asked_in="ar", actor=op)

    by = {i["code"]: i for i in indicators(session, MON)["indicators"]}
    assert by["O.LANGUAGE_COURSES"]["total"] == 2
    assert by["O.CIVIC_ORIENTATION"]["total"] == 1
    assert by["O.GUIDANCE"]["total"] == 3  # a and b admitted to the path, c in guidance at the CPI
    assert by["O.INFORMATION"]["total"] == 1
    assert by["R.CEFR_IMPROVED"]["total"] == 1
    assert by["R.INTEGRATION_HELPED"]["total"] == 1
    assert by["O.AUTHORITIES"] == by["O.AUTHORITIES"] | {"total": 1, "by": {}, "unit": "authorities"}
    assert by["O.LANGUAGE_COURSES"]["by"]["gender"] == {"F": 2}
    assert by["O.LANGUAGE_COURSES"]["by"]["citizenship"] == {"TN": 2}
    # A period that starts after the courses started counts the people, not the courses.
    recent = {i["code"]: i["total"] for i in indicators(session, MON, start=TODAY - timedelta(days=30))["indicators"]}
    assert recent["O.PARTICIPANTS"] == 3 and recent["O.LANGUAGE_COURSES"] == 0 and recent["O.INFORMATION"] == 0
    # The aggregate export carries the new indicators, suppressed like the others.
    _, aggregates = export_csv(session, MON, "chiave-di-esportazione-2026")
    assert "R.CEFR_IMPROVED,total,,<5" in aggregates.replace("\r", "")
    assert "O.AUTHORITIES,total,,1" in aggregates.replace("\r", "")  # authorities, not people: not suppressed


def test_the_persons_export_holds_their_courses_levels_and_answers(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    record_activity(session, case.person_id, _course(), actors["op3"])
    record_level(session, case.person_id, level="A2", assessed_on=TODAY, source="course_exam", actor=actors["op3"])
    record_feedback(session, case.person_id, answer="helped", asked_in="ar", actor=actors["op3"])
    data = collect(session, case.person_id)
    assert [r["provider"] for r in data["support_activities"]] == ["CPIA Genova Centro"]
    assert [r["level"] for r in data["language_levels"]] == ["A2"]
    assert [r["answer"] for r in data["integration_feedback"]] == ["helped"]


# ---------------------------------------------------------------------------- command line and registers


def test_course_register_imports_once_and_refuses_a_wrong_file_whole(session: Session, tmp_path: Path) -> None:
    import os

    os.environ["COLUMNS"] = "200"
    from typer.testing import CliRunner

    from ivc.cli.main import app

    actors = staff(session)
    a = advance_to(session, actors, CaseState.IDENTIFICATION)
    b = advance_to(session, actors, CaseState.ACCESS)
    other = new_case(session, actors, district="1")
    session.commit()
    start = (TODAY - timedelta(days=60)).isoformat()
    good = tmp_path / "registro.csv"
    good.write_text(
        "\ufeffperson_id,kind,provider,title,started_on,ended_on,hours,completed\n"
        f'{a.person_id},language_course,CPIA Genova Centro,Italiano A2,{start},{TODAY.isoformat()},"72,5",sì\n'
        f"{b.person_id},civic_orientation,Prefettura di Genova,Formazione civica,{start},,,\n"
        "\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    first = runner.invoke(app, ["participation", "import", str(good), "--as", "op3"])
    assert first.exit_code == 0, first.output
    assert "importate 2 attività; 0 già presenti" in first.output
    again = runner.invoke(app, ["participation", "import", str(good), "--as", "op3"])
    assert "importate 0 attività; 2 già presenti" in again.output
    session.expire_all()
    (course,) = participation(session, a.person_id, actors["op3"]).activities
    assert (course.hours, course.completed) == (72.5, True)

    bad = tmp_path / "sbagliato.csv"
    bad.write_text(
        "person_id,kind,provider,started_on\n"
        f"{b.person_id},language_course,CPIA Savona,{start}\n"  # fine on its own
        f"{b.person_id},cooking_class,CPIA Savona,{start}\n"
        f"{b.person_id},language_course,CPIA Savona,31/02/2026\n"
        "999999,language_course,CPIA Savona,2026-01-01\n"
        f"{other.person_id},language_course,CPIA Imperia,{start}\n",
        encoding="utf-8",
    )
    refused = runner.invoke(app, ["participation", "import", str(bad), "--as", "op3"])
    assert refused.exit_code == 2
    for line in ("line 3:", "line 4:", "line 5:", "line 6:", "nothing imported: 4 wrong row(s)"):
        assert line in refused.output, refused.output
    assert "line 2:" not in refused.output
    session.expire_all()
    assert len(participation(session, b.person_id, actors["op3"]).activities) == 1  # nothing from the bad file

    binary = tmp_path / "foto.csv"
    binary.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)))
    out = runner.invoke(app, ["participation", "import", str(binary), "--as", "op3"])
    assert out.exit_code == 2 and "not UTF-8" in out.output
    huge = tmp_path / "enorme.csv"
    huge.write_bytes(b"person_id,kind,provider,started_on\n" + b"1,information,X,2026-01-01\n" * 420_000)
    out = runner.invoke(app, ["participation", "import", str(huge), "--as", "op3"])
    assert out.exit_code == 2 and "larger than 10 MiB" in out.output
    headless = tmp_path / "senza.csv"
    headless.write_text("a,b\n1,2\n", encoding="utf-8")
    out = runner.invoke(app, ["participation", "import", str(headless), "--as", "op3"])
    assert out.exit_code == 2 and "lacks the column(s) person_id, kind, provider, started_on" in out.output


def test_level_feedback_and_show_on_the_command_line(session: Session) -> None:
    import json
    import os

    os.environ["COLUMNS"] = "200"
    from typer.testing import CliRunner

    from ivc.cli.main import app

    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    session.commit()
    runner = CliRunner()
    pid = str(case.person_id)
    for args in (
        ["level", pid, "A1", "--on", (TODAY - timedelta(days=90)).isoformat(), "--source", "placement_test"],
        ["level", pid, "B1", "--on", TODAY.isoformat(), "--source", "course_exam"],
        ["feedback", pid, "helped", "--asked-in", "ar"],
        ["activity", pid, "--kind", "language_course", "--provider", "CPIA Genova", "--started", TODAY.isoformat()],
    ):
        result = runner.invoke(app, ["participation", *args, "--as", "op3"])
        assert result.exit_code == 0, result.output
    shown = runner.invoke(app, ["participation", "show", pid, "--as", "op3", "--json"])
    data = json.loads(shown.output)
    assert data["progress"] == [
        {
            "language": "it",
            "baseline": "A1",
            "baseline_on": (TODAY - timedelta(days=90)).isoformat(),
            "latest": "B1",
            "latest_on": TODAY.isoformat(),
            "steps": 2,
            "improved": True,
        }
    ]
    wrong = runner.invoke(
        app, ["participation", "level", pid, "B9", "--on", "2026-01-01", "--source", "x", "--as", "op3"]
    )
    assert wrong.exit_code == 2 and "B9" in wrong.output
    refused = runner.invoke(app, ["participation", "feedback", pid, "helped", "--asked-in", "ar", "--as", "op1"])
    assert refused.exit_code == 2 and "does not work in district 3" in refused.output
    future = runner.invoke(
        app,
        [
            "participation",
            "activity",
            pid,
            "--kind",
            "information",
            "--provider",
            "Comune",
            "--started",
            "2999-01-01",
            "--as",
            "op3",
        ],
    )
    assert future.exit_code == 2 and "started_on" in future.output
