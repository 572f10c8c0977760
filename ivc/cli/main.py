"""``ivc``: run the demo, work on cases, start the UI. Calls services and flows; no rules here."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ivc.errors import IVCError

app = typer.Typer(help="ivc: identification, validation and certification of competences.", no_args_is_help=True)
case_app = typer.Typer(help="Work on cases.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(case_app, name="case")
app.add_typer(db_app, name="db")
console = Console()


def _fail(exc: Exception) -> None:
    console.print(f"[bold red]error:[/] {exc}")
    raise typer.Exit(code=2)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations and load reference data and the shipped repertory."""
    from ivc.bootstrap import bootstrap

    bootstrap()
    console.print("database is up to date")


@app.command()
def demo(reset: bool = typer.Option(False, help="Delete the data directory first.")) -> None:
    """Seed a synthetic population and drive it through every phase with the real flows."""
    from ivc.config import get_settings

    settings = get_settings()
    if reset and settings.database_url is None:
        import shutil

        shutil.rmtree(settings.data_dir, ignore_errors=True)
    from ivc.bootstrap import bootstrap
    from ivc.database.core import session_scope
    from ivc.demo.script import demo_present, run_demo, summarise

    started = time.perf_counter()
    console.print(
        f"[bold]ivc demo[/] — data in {settings.data_dir} — database {settings.resolved_database_url.split('@')[-1]}"
    )
    bootstrap()
    with session_scope() as session:
        present = demo_present(session)
    if present:
        console.print(f"The database already holds {present} demo cases: showing them (use --reset to start over).")
    else:
        from ivc.flows.advance import advance_cases

        console.print("Starting Prefect (no server to start: first call takes a few seconds)…")
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            bar = progress.add_task("fasi", total=8)

            def on_round(name: str, n: int) -> None:
                progress.update(bar, advance=1, description=f"{name} ({n} casi)")

            run_demo(advance_cases, on_round)
    with session_scope() as session:
        summary = summarise(session)
    _print_summary(summary)
    console.print(f"done in {time.perf_counter() - started:.1f} s")


def _print_summary(summary: object) -> None:
    from ivc.demo.script import Summary

    assert isinstance(summary, Summary)
    table = Table(title=f"Casi per stato ({summary.people} persone)")
    table.add_column("stato")
    table.add_column("casi", justify="right")
    for state, n in sorted(summary.by_state.items()):
        table.add_row(state, str(n))
    console.print(table)
    outcomes = Table(title="Esiti dei casi chiusi")
    outcomes.add_column("esito")
    outcomes.add_column("casi", justify="right")
    for outcome, n in sorted(summary.by_outcome.items()):
        outcomes.add_row(outcome, str(n))
    console.print(outcomes)
    docs = Table(title="Documenti rilasciati")
    docs.add_column("tipo")
    docs.add_column("n.", justify="right")
    for kind, n in sorted(summary.documents.items()):
        docs.add_row(kind, str(n))
    console.print(docs)
    console.print("Per distretto ASL: " + ", ".join(f"{k}: {v}" for k, v in sorted(summary.by_district.items())))


@case_app.command("list")
def case_list(
    state: str | None = typer.Option(None, help="Only cases in this state (e.g. individuazione)."),
    district: str | None = typer.Option(None, help="Only cases of this ASL district (1-5)."),
    as_user: str = typer.Option("admin", "--as", help="Act as this user (territorial scope applies)."),
) -> None:
    """List cases with their state and what they wait for."""
    from ivc.auth.service import get_actor
    from ivc.case import service as cases
    from ivc.case.states import CaseState
    from ivc.database.core import session_scope
    from ivc.person.models import Person

    try:
        with session_scope() as session:
            actor = get_actor(session, as_user)
            rows = cases.list_cases(session, actor, CaseState(state) if state else None, district)
            table = Table()
            for col_name in ("id", "persona", "distretto", "stato", "esito", "in attesa di", "v."):
                table.add_column(col_name)
            for c in rows:
                person = session.get(Person, c.person_id)
                name = person.display_name if person else "?"
                waiting = f"{c.waiting_for} ({c.waiting_role})" if c.waiting_for else ""
                table.add_row(str(c.id), name, c.territory, c.state, c.outcome or "", waiting, str(c.version))
            console.print(table)
    except (IVCError, ValueError) as exc:
        _fail(exc)


@case_app.command("show")
def case_show(case_id: int, as_user: str = typer.Option("admin", "--as")) -> None:
    """Show one case: person, targets, timeline with time in each state, claims, documents."""
    from ivc.audit.service import events_for_case
    from ivc.auth.service import get_actor
    from ivc.case import service as cases
    from ivc.claim.service import claims_for_case
    from ivc.database.core import session_scope
    from ivc.framework.models import Competence, text_in
    from ivc.person.service import get_person

    try:
        with session_scope() as session:
            actor = get_actor(session, as_user)
            case = cases.get_case(session, case_id, actor)
            person = get_person(session, case.person_id)
            console.print(
                f"[bold]Caso {case.id}[/] — {person.display_name} — distretto {case.territory} — "
                f"stato [bold]{case.state}[/] {('(' + case.outcome + ')') if case.outcome else ''} — v{case.version}"
            )
            if case.waiting_for:
                console.print(f"in attesa di: {case.waiting_for} ({case.waiting_role})")
            if case.attention:
                console.print(f"[yellow]attenzione:[/] {case.attention}")
            console.print(
                "obiettivo: "
                + ", ".join(f"{q.code} {text_in(q.title, 'it')}" for q in cases.target_qualifications(session, case_id))
            )
            timeline = Table(title="Percorso")
            timeline.add_column("stato")
            timeline.add_column("giorni", justify="right")
            for state, seconds in cases.time_in_states(session, case_id):
                timeline.add_row(state, f"{seconds / 86400:.2f}")
            console.print(timeline)
            claim_table = Table(title="Competenze")
            for col_name in ("codice", "competenza", "stato", "fonte", "punteggio"):
                claim_table.add_column(col_name)
            for claim in claims_for_case(session, case_id):
                comp = session.get(Competence, claim.competence_id)
                claim_table.add_row(
                    comp.code if comp else "?",
                    text_in(comp.title, "it") if comp else "",
                    claim.status,
                    claim.source,
                    f"{claim.score:.2f}" if claim.score else "",
                )
            console.print(claim_table)
            for doc in cases.issued_documents(session, case_id):
                console.print(
                    f"documento {doc.doc_type} n. {doc.number} del {doc.issued_at:%Y-%m-%d} "
                    f"codice {doc.verification_code} sha256 {doc.sha256[:16]}…"
                )
            console.print(f"eventi di audit: {len(events_for_case(session, case_id))}")
    except IVCError as exc:
        _fail(exc)


@case_app.command("advance")
def case_advance(case_ids: list[int]) -> None:
    """Run the automated steps of these cases (the phase flows) until each waits for a person."""
    from ivc.bootstrap import bootstrap

    bootstrap()
    from ivc.flows.advance import advance_cases

    try:
        waiting = advance_cases(list(case_ids))
    except IVCError as exc:
        _fail(exc)
        return
    for cid, step in sorted(waiting.items()):
        console.print(f"case {cid}: {'waiting for ' + step if step else 'closed'}")


@app.command()
def ui(port: int = typer.Option(8501, help="Port of the web interface.")) -> None:
    """Start the Streamlit web interface."""
    from ivc.bootstrap import bootstrap

    bootstrap()
    app_path = Path(__file__).resolve().parent.parent / "ui" / "app.py"
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_path),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    raise typer.Exit(subprocess.call(cmd, env=os.environ.copy()))


if __name__ == "__main__":
    app()
