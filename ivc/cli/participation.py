"""``ivc participation``: the person's courses, Italian levels and integration answers, and the
import of course registers sent by CPIA and training bodies. Calls services only."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from ivc.errors import IVCError, first_error

app = typer.Typer(help="Courses, Italian levels and integration feedback (AMIF indicators).", no_args_is_help=True)
console = Console()
MAX_REGISTER_BYTES = 10 * 1024 * 1024


def _fail(exc: Exception) -> None:
    console.print(f"[bold red]error:[/] {exc}")
    raise typer.Exit(code=2)


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(ValueError(f"--{name}: {value!r} is not a date like 2026-03-01"))
    return None


@app.command("show")
def show(
    person_id: int, as_user: str = typer.Option(..., "--as"), as_json: bool = typer.Option(False, "--json")
) -> None:
    """Activities, levels with progress, and answers of one person."""
    from ivc.auth.service import get_actor
    from ivc.database.core import session_scope
    from ivc.participation.service import participation

    try:
        with session_scope() as session:
            view = participation(session, person_id, get_actor(session, as_user))
            data: dict[str, Any] = {
                "person_id": person_id,
                "activities": [a.model_dump() for a in view.activities],
                "levels": [lv.model_dump() for lv in view.levels],
                "feedback": [f.model_dump() for f in view.feedback],
                "progress": [dataclasses.asdict(p) | {"improved": p.improved} for p in view.progress],
            }
    except IVCError as exc:
        _fail(exc)
        return
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=1, default=str))
        return
    table = Table(title=f"Attività — persona {person_id}")
    for name in ("#", "tipo", "ente", "titolo", "dal", "al", "ore", "completata"):
        table.add_column(name)
    for a in data["activities"]:
        keys = ("id", "kind", "provider", "title", "started_on", "ended_on", "hours", "completed")
        table.add_row(*("" if a[k] is None else str(a[k]) for k in keys))
    console.print(table)
    for p in data["progress"]:
        console.print(f"{p['language']}: {p['baseline']} → {p['latest']} ({p['steps']:+d})")
    for f in data["feedback"]:
        console.print(f"{f['asked_on']}: {f['answer']} ({f['asked_in']})")


@app.command("activity")
def activity(
    person_id: int,
    kind: str = typer.Option(..., help="language_course, civic_orientation, professional_guidance, information"),
    provider: str = typer.Option(...),
    started: str = typer.Option(..., help="Start day, e.g. 2026-03-01"),
    title: str | None = typer.Option(None),
    ended: str | None = typer.Option(None),
    hours: float | None = typer.Option(None),
    completed: bool | None = typer.Option(None, "--completed/--not-completed"),
    case_id: int | None = typer.Option(None, "--case"),
    as_user: str = typer.Option(..., "--as"),
) -> None:
    """Record one support activity (a repeated command adds nothing)."""
    from pydantic import ValidationError

    from ivc.auth.service import get_actor
    from ivc.database.core import session_scope
    from ivc.participation.service import ActivityIn, record_activity

    try:
        data = ActivityIn.model_validate(
            {
                "kind": kind,
                "provider": provider,
                "title": title,
                "started_on": _day(started, "started"),
                "ended_on": _day(ended, "ended"),
                "hours": hours,
                "completed": completed,
                "case_id": case_id,
            }
        )
        with session_scope() as session:
            row = record_activity(session, person_id, data, get_actor(session, as_user))
            console.print(f"attività {row.id}: {row.kind} presso {row.provider} dal {row.started_on}")
    except ValidationError as exc:
        _fail(ValueError(first_error(exc)))
    except IVCError as exc:
        _fail(exc)


@app.command("level")
def level(
    person_id: int,
    cefr: str = typer.Argument(..., help="pre_a1, A1, A2, B1, B2, C1 or C2"),
    on: str = typer.Option(..., help="Day of the assessment"),
    source: str = typer.Option(..., help="placement_test, course_exam, certificate, interview"),
    language: str = typer.Option("it"),
    as_user: str = typer.Option(..., "--as"),
) -> None:
    """Record the person's level in a language on a day."""
    from ivc.auth.service import get_actor
    from ivc.database.core import session_scope
    from ivc.participation.service import record_level

    day = _day(on, "on") or date.today()
    try:
        with session_scope() as session:
            row = record_level(
                session,
                person_id,
                level=cefr,
                assessed_on=day,
                source=source,
                language=language,
                actor=get_actor(session, as_user),
            )
            console.print(f"livello {row.level} ({row.language}) il {row.assessed_on}")
    except IVCError as exc:
        _fail(exc)


@app.command("feedback")
def feedback(
    person_id: int,
    answer: str = typer.Argument(..., help="helped, not_helped, unsure, declined"),
    asked_in: str = typer.Option(..., help="Language the question was asked in"),
    case_id: int | None = typer.Option(None, "--case"),
    as_user: str = typer.Option(..., "--as"),
) -> None:
    """Record the person's answer to the integration question."""
    from ivc.auth.service import get_actor
    from ivc.database.core import session_scope
    from ivc.participation.service import record_feedback

    try:
        with session_scope() as session:
            row = record_feedback(
                session, person_id, answer=answer, asked_in=asked_in, case_id=case_id, actor=get_actor(session, as_user)
            )
            console.print(f"risposta registrata: {row.answer} ({row.asked_in}, {row.asked_on})")
    except IVCError as exc:
        _fail(exc)


@app.command("import")
def import_register(path: Path, as_user: str = typer.Option(..., "--as")) -> None:
    """Import a course register (CSV: person_id, kind, provider, title, started_on, ended_on, hours,
    completed). Nothing is stored unless every row is right; wrong rows are listed by line."""
    from ivc.auth.service import get_actor
    from ivc.database.core import session_scope
    from ivc.participation import service

    try:
        if path.stat().st_size > MAX_REGISTER_BYTES:
            _fail(ValueError(f"{path} is larger than {MAX_REGISTER_BYTES // 2**20} MiB; split the register"))
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        _fail(ValueError(f"{path} is not UTF-8 text (save the spreadsheet as CSV UTF-8)"))
        return
    except OSError as exc:
        _fail(ValueError(f"cannot read {path}: {exc.strerror}"))
        return
    try:
        with session_scope() as session:
            report = service.import_register(session, text, get_actor(session, as_user))
            if report.errors:
                session.rollback()
    except IVCError as exc:
        _fail(exc)
        return
    if report.errors:
        for line in report.errors[:50]:
            console.print(f"[red]{line}[/]")
        more = len(report.errors) - 50
        _fail(
            ValueError(
                f"nothing imported: {len(report.errors)} wrong row(s)" + (f" ({more} not shown)" if more > 0 else "")
            )
        )
    console.print(f"importate {report.added} attività; {report.already_there} già presenti")
