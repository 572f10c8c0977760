"""CLI for the network around the person: a case's timeline across services, free mediators by
language, and a service's referral inbox. Registered on ``ivc`` by ``ivc/cli/main.py``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer
from rich.console import Console
from rich.table import Table

from ivc.errors import IVCError

console = Console()
mediators_app = typer.Typer(help="Mediators and language facilitators.", no_args_is_help=True)
referrals_app = typer.Typer(help="Referrals between services.", no_args_is_help=True)


def _fail(exc: Exception) -> None:
    console.print(f"[bold red]error:[/] {exc}")
    raise typer.Exit(code=2)


def _days(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 86400:.1f}"


def case_timeline(case_id: int, as_user: str = typer.Option("admin", "--as")) -> None:
    """The person's path across services: events in order, what is next, days at each service."""
    from ivc.auth.service import get_actor
    from ivc.case import service as cases
    from ivc.database.core import session_scope
    from ivc.referral.timeline import person_timeline

    try:
        with session_scope() as session:
            actor = get_actor(session, as_user)
            case = cases.get_case(session, case_id)  # the timeline checks who may see it
            timeline = person_timeline(session, case.person_id, actor)
            events = Table(title=f"Percorso della persona (caso {case_id})")
            for name in ("quando", "servizio", "chi", "cosa"):
                events.add_column(name)
            for e in timeline.events:
                events.add_row(f"{e.at:%Y-%m-%d %H:%M}", e.service, e.actor, e.summary)
            console.print(events)
            spent = Table(title="Tempo per servizio e stato (giorni)")
            for name in ("servizio", "stato", "giorni"):
                spent.add_column(name)
            for service, states in timeline.time_in_state.items():
                for state, delta in states.items():
                    spent.add_row(service, state, _days(delta))
            console.print(spent)
            for step in timeline.next_steps:
                who = f" ({step.who})" if step.who else ""
                console.print(f"prossimo passo: {step.what} — in attesa di {step.waiting_on}{who}")
    except IVCError as exc:
        _fail(exc)


@mediators_app.command("available")
def mediators_available(
    case_id: int,
    language: str,
    at: str = typer.Option(..., help="Start, ISO 8601 with time zone, e.g. 2031-03-03T10:00+01:00"),
    minutes: int = typer.Option(60, help="Length of the interview."),
    as_user: str = typer.Option("admin", "--as"),
) -> None:
    """Mediators of the case's district free at that time for ``language``↔Italian."""
    from ivc.auth.service import get_actor
    from ivc.case import service as cases
    from ivc.database.core import session_scope
    from ivc.mediation.service import available_mediators

    try:
        start = datetime.fromisoformat(at)
    except ValueError:
        _fail(ValueError(f"{at!r} is not an ISO date and time"))
        return
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    try:
        with session_scope() as session:
            actor = get_actor(session, as_user)
            case = cases.get_case(session, case_id, actor)
            free = available_mediators(session, case, language, start, start + timedelta(minutes=minutes), actor)
            if not free:
                console.print(f"nessun mediatore libero per {language}↔it nel distretto {case.territory}")
            for profile in free:
                console.print(f"{profile.username} ({profile.kind}): {', '.join(profile.language_pairs)}")
    except IVCError as exc:
        _fail(exc)


@referrals_app.command("inbox")
def referrals_inbox(
    service: str = typer.Argument(..., help="Receiving service, e.g. ivc, cpi, cpia"),
    as_user: str = typer.Option("admin", "--as"),
) -> None:
    """Referrals waiting for an answer at ``service``, most urgent and oldest first."""
    from ivc.auth.service import get_actor
    from ivc.database.core import session_scope
    from ivc.referral.models import Service
    from ivc.referral.service import inbox

    try:
        wanted = Service(service)
    except ValueError:
        _fail(ValueError(f"unknown service {service!r}; choose among {', '.join(s.value for s in Service)}"))
        return
    try:
        with session_scope() as session:
            table = Table(title=f"Invii in attesa — {wanted.value}")
            for name in ("id", "da", "urgenza", "inviato", "richiesta", "contatto"):
                table.add_column(name)
            for r in inbox(session, get_actor(session, as_user), wanted):
                table.add_row(
                    str(r.id), r.from_service, r.urgency, f"{r.sent_at:%Y-%m-%d}", r.request, r.contact_operator
                )
            console.print(table)
    except IVCError as exc:
        _fail(exc)
