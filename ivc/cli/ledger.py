"""``ivc consent``, ``ivc coverage``, ``ivc reminders``, ``ivc samples``: the person's consent
history, evidence coverage, the reminders outbox and ALFA's sample checks. Calls services only."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from ivc.errors import IVCError

consent_app = typer.Typer(help="Consent ledger and who viewed a person's dossier.", no_args_is_help=True)
coverage_app = typer.Typer(help="Evidence coverage of a case's target qualification.", no_args_is_help=True)
reminders_app = typer.Typer(help="Deadlines, reminders and the outbox.", no_args_is_help=True)
samples_app = typer.Typer(help="ALFA's random sample checks of dossiers.", no_args_is_help=True)
console = Console()


def _fail(exc: Exception) -> None:
    console.print(f"[bold red]error:[/] {exc}")
    raise typer.Exit(code=2)


def _json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=1, default=str))


@consent_app.command("history")
def consent_history_cmd(person_id: int, as_json: bool = typer.Option(False, "--json")) -> None:
    """What the person consented to, to whom, who explained it, and who viewed the dossier."""
    from ivc.consent.service import consent_history
    from ivc.database.core import session_scope

    with session_scope() as session:
        history = consent_history(session, person_id)
    if as_json:
        _json(dataclasses.asdict(history))
        return
    table = Table(title=f"Consensi / consents — persona {person_id}")
    for name in (
        "#",
        "scopo",
        "destinatario",
        "stato",
        "lingua",
        "spiegato da",
        "testo",
        "dato il",
        "scade",
        "visto da",
    ):
        table.add_column(name)
    for c in history.consents:
        seen = "; ".join(f"{v['organisation']} {v['viewed_at']:%Y-%m-%d} ({v['what']})" for v in c.views[:5])
        table.add_row(
            str(c.consent_id),
            c.purpose,
            c.recipient,
            c.status,
            c.language,
            c.explained_by or "",
            c.text_version,
            f"{c.given_at:%Y-%m-%d}",
            f"{c.expires_at:%Y-%m-%d}" if c.expires_at else "",
            seen + (f" … +{len(c.views) - 5}" if len(c.views) > 5 else ""),
        )
    console.print(table)
    if history.views_on_legal_basis:
        console.print(f"{len(history.views_on_legal_basis)} viste per compito di interesse pubblico (art. 6(1)(e))")


@coverage_app.command("show")
def coverage_show(
    case_id: int,
    as_user: str = typer.Option("admin", "--as"),
    lang: str = typer.Option("it"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Coverage per competence, the weak bases, and the next proof or training for each gap."""
    from ivc.auth.service import get_actor
    from ivc.coverage.service import case_coverage
    from ivc.database.core import session_scope

    try:
        with session_scope() as session:
            result = case_coverage(session, case_id, get_actor(session, as_user), lang)
    except IVCError as exc:
        _fail(exc)
        return
    if as_json:
        _json(dataclasses.asdict(result))
        return
    table = Table(
        title=f"Caso {case_id} — copertura delle evidenze" + (" (senza documenti)" if result.no_papers else "")
    )
    for name in ("competenza", "punteggio", "stato", "evidenze", "base debole", "prossimo passo"):
        table.add_column(name)
    for c in result.competences:
        step = c.training or (c.next_proof["label"] if c.next_proof else "")
        evidence = ", ".join(f"{k}×{n}" for k, n in sorted(c.evidence.items()))
        table.add_row(c.code, f"{c.score:.2f}", c.status, evidence, c.weak_basis_label or "", step)
    console.print(table)


@reminders_app.command("list")
def reminders_list(
    pending: bool = typer.Option(False, "--pending", help="Only messages not sent yet."),
    case_id: int | None = typer.Option(None, "--case"),
) -> None:
    """The outbox: every reminder, when it was sent, to whom."""
    from ivc.database.core import session_scope
    from ivc.reminder.service import notifications

    with session_scope() as session:
        rows = notifications(session, pending=True if pending else None, case_id=case_id)
    table = Table(title="Promemoria / reminders")
    for name in ("#", "tipo", "caso", "periodo", "destinatario", "creato", "inviato", "oggetto"):
        table.add_column(name)
    for n in rows:
        table.add_row(
            str(n.id),
            n.kind,
            str(n.case_id),
            n.period,
            n.recipient,
            f"{n.created_at:%Y-%m-%d}",
            f"{n.sent_at:%Y-%m-%d %H:%M}" if n.sent_at else "—",
            n.subject,
        )
    console.print(table)


@reminders_app.command("run")
def reminders_run(deliver: bool = typer.Option(True, help="Hand the outbox to the sender afterwards.")) -> None:
    """Run the deadline jobs now (what the daily ``ivc-reminders`` flow does); safe to repeat."""
    from ivc.database.core import session_scope
    from ivc.reminder import service

    with session_scope() as session:
        counts = service.run_jobs(session)
    if deliver:
        with session_scope() as session:
            counts["delivered"] = service.deliver(session)
    console.print(", ".join(f"{k}: {v}" for k, v in counts.items()) or "every job is switched off")


@reminders_app.command("contest")
def reminders_contest(case_id: int, reason: str, as_user: str = typer.Option(..., "--as")) -> None:
    """Record the person's objection to archiving: the case is not archived until ALFA reviews it."""
    from ivc.auth.service import get_actor
    from ivc.case.service import get_case
    from ivc.database.core import session_scope
    from ivc.reminder.service import contest_archiving

    try:
        with session_scope() as session:
            contest = contest_archiving(session, get_case(session, case_id), reason, get_actor(session, as_user))
            console.print(f"contest {contest.id} recorded (pending)")
    except IVCError as exc:
        _fail(exc)


@reminders_app.command("review")
def reminders_review(
    contest_id: int,
    uphold: bool = typer.Option(..., "--uphold/--reject"),
    note: str | None = typer.Option(None),
    as_user: str = typer.Option("admin", "--as"),
) -> None:
    """ALFA's decision on a contest: upheld keeps (or reopens) the case, rejected lets it be archived."""
    from ivc.auth.service import get_actor
    from ivc.database.core import session_scope
    from ivc.reminder.service import review_contest

    try:
        with session_scope() as session:
            contest = review_contest(session, contest_id, uphold, get_actor(session, as_user), note)
            console.print(f"contest {contest.id}: {contest.status}")
    except IVCError as exc:
        _fail(exc)


@samples_app.command("draw")
def samples_draw(
    start: str = typer.Option(..., help="First day of the period (YYYY-MM-DD)."),
    end: str = typer.Option(..., help="Day after the period (YYYY-MM-DD)."),
    rate: float | None = typer.Option(None, help="Share drawn (default: settings)."),
    seed: int | None = typer.Option(None, help="Seed to reproduce a draw (default: a new one, recorded)."),
    as_user: str = typer.Option("admin", "--as"),
) -> None:
    """Draw a sample of the dossiers with validation documents or certificates issued in the period."""
    from ivc.auth.service import get_actor
    from ivc.database.core import session_scope
    from ivc.samplecheck.service import draw_sample, items

    try:
        period = (date.fromisoformat(start), date.fromisoformat(end))
    except ValueError as exc:
        _fail(exc)
        return
    try:
        with session_scope() as session:
            check = draw_sample(session, get_actor(session, as_user), *period, rate=rate, seed=seed)
            drawn = [i.case_id for i in items(session, check.id or 0)]
    except IVCError as exc:
        _fail(exc)
        return
    console.print(
        f"check {check.id}: seed {check.seed}, rate {check.rate}, {len(drawn)} of {check.population_size} "
        f"dossiers drawn: {', '.join(map(str, drawn)) or '—'}"
    )


@samples_app.command("show")
def samples_show(check_id: int) -> None:
    """The dossiers drawn by a check and the outcome of each."""
    from ivc.database.core import session_scope
    from ivc.samplecheck.service import items

    with session_scope() as session:
        rows = items(session, check_id)
    table = Table(title=f"Controllo a campione {check_id}")
    for name in ("voce", "caso", "esito", "controllato da", "note"):
        table.add_column(name)
    for i in rows:
        table.add_row(str(i.id), str(i.case_id), i.outcome, i.checked_by or "", i.notes or "")
    console.print(table)


@samples_app.command("record")
def samples_record(
    item_id: int,
    outcome: str = typer.Argument(..., help="compliant | irregular | false_declaration"),
    notes: str | None = typer.Option(None),
    as_user: str = typer.Option("admin", "--as"),
) -> None:
    """Record the outcome of checking one drawn dossier (logged as a view of the dossier)."""
    from ivc.auth.service import get_actor
    from ivc.database.core import session_scope
    from ivc.samplecheck.models import CheckOutcome
    from ivc.samplecheck.service import record_outcome

    try:
        with session_scope() as session:
            item = record_outcome(session, item_id, CheckOutcome(outcome), get_actor(session, as_user), notes)
            console.print(f"item {item.id} (case {item.case_id}): {item.outcome}")
    except ValueError:
        _fail(ValueError(f"unknown outcome {outcome!r}"))
    except IVCError as exc:
        _fail(exc)
