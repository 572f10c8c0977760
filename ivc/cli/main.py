"""``ivc``: run the demo, work on cases, start the UI. Calls services and flows; no rules here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ivc.cli import access as access_cli
from ivc.cli import privacy as privacy_cli
from ivc.cli.users import users_app
from ivc.errors import IVCError

app = typer.Typer(help="ivc: identification, validation and certification of competences.", no_args_is_help=True)
case_app = typer.Typer(help="Work on cases.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
frameworks_app = typer.Typer(help="Qualification frameworks: the regional repertory and ESCO.", no_args_is_help=True)
app.add_typer(case_app, name="case")
app.add_typer(db_app, name="db")
app.add_typer(frameworks_app, name="frameworks")
app.add_typer(users_app, name="users")
privacy_cli.register(app)  # ivc keys …, ivc person export|erase, ivc privacy retention
privacy_cli.person_app.command("access-code")(access_cli.access_code)  # the person's own space
privacy_cli.person_app.command("requests")(access_cli.requests)  # what people ask from their space
console = Console()


@app.callback()
def _ready(ctx: typer.Context) -> None:
    """Bring a new or older database up to date before any command that reads it."""
    if ctx.invoked_subcommand in (None, "demo", "scale-test", "deploy"):
        return
    from ivc.database.migrate import is_current

    if not is_current():
        from ivc.bootstrap import bootstrap

        console.print("[dim]preparing the database (migrations, reference data, frameworks)…[/]")
        bootstrap()


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
    from ivc.document import pades

    demo_seal = pades.use_demo_seal()  # a real seal, if configured, is kept
    if demo_seal is not None:
        console.print(f"Documents sealed (PAdES) with a [bold]DEMO certificate, of no legal value[/]: {demo_seal}")
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
            bar = progress.add_task("fasi", total=10)

            def on_round(name: str, n: int) -> None:
                progress.update(bar, advance=1, description=f"{name} ({n} casi)")

            run_demo(advance_cases, on_round)
    with session_scope() as session:
        summary = summarise(session)
    _print_summary(summary)
    from ivc.demo.script import DEMO_PASSWORD

    console.print(
        "Web interface: [bold].venv/bin/ivc ui[/] — demo accounts operatore1…operatore5, mediatrice.ar, "
        f"valutatore.ev, alfa.revisore, alfa.approvatrice, cpi.genova, monitoraggio, admin; password {DEMO_PASSWORD}"
    )
    from ivc.demo.network import waiting_work

    with session_scope() as session:  # what waits for whom (#18)
        for username, work in waiting_work(session):
            console.print(f"  {username}: {work}")
    from ivc.demo.script import demo_person_access

    with session_scope() as session:  # the person's own space (#22): a code printed once
        person = demo_person_access(session)
    if person is not None:
        born = f"{person.birth_date:%d/%m/%Y}" if person.birth_date else "—"
        console.print(
            f"Spazio personale ({person.name}, persona {person.person_id}, lingua {person.language}): "
            f"'Accedi con il codice personale' — codice [bold]{person.code}[/], data di nascita {born}"
        )
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


@frameworks_app.command("list")
def frameworks_list() -> None:
    """Every imported framework version with its languages and size."""
    from ivc.bootstrap import bootstrap
    from ivc.database.core import session_scope
    from ivc.framework.service import framework_overview

    bootstrap()
    with session_scope() as session:
        table = Table()
        for name in ("codice", "versione", "tipo", "lingue", "voci", "importato"):
            table.add_column(name)
        for row in framework_overview(session):
            table.add_row(
                row.code,
                row.version,
                row.kind,
                ", ".join(row.languages),
                str(row.entries),
                f"{row.imported_at:%Y-%m-%d %H:%M}",
            )
        console.print(table)


@frameworks_app.command("show")
def frameworks_show(code: str, lang: str = typer.Option("it", help="Language of the labels shown first.")) -> None:
    """Show a qualification, a competence (by code) or an ESCO concept (by URI)."""
    from ivc.database.core import session_scope
    from ivc.framework.service import describe

    try:
        with session_scope() as session:
            info = describe(session, code, lang)
    except IVCError as exc:
        _fail(exc)
        return
    console.print(f"[bold]{info['title']}[/] ({info['kind']}, {info['framework']})")
    for key, value in info["fields"].items():
        if value:
            console.print(f"[dim]{key}:[/] {value}")
    for heading, items in info["lists"].items():
        if items:
            console.print(f"[bold]{heading}[/]")
            for item in items:
                console.print(f"  • {item}")


@frameworks_app.command("import")
def frameworks_import(
    kind: str = typer.Argument(..., help="repertory | esco"),
    path: Path = typer.Argument(..., help="A repertory directory, or a directory of ESCO CSV files."),
    version: str | None = typer.Option(None, help="ESCO version (default: the directory name, e.g. v1.2.0)."),
) -> None:
    """Import a framework version: idempotent, all or nothing, errors name file, row and column."""
    from ivc.bootstrap import bootstrap
    from ivc.database.core import session_scope

    bootstrap()
    try:
        if kind == "repertory":
            from ivc.framework.service import import_repertory

            with session_scope() as session:
                framework, created = import_repertory(session, path)
                console.print(f"{framework.code} {framework.version}: {'imported' if created else 'already imported'}")
        elif kind == "esco":
            from ivc.framework.esco import import_esco

            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                console=console,
            ) as progress:
                bar = progress.add_task("ESCO", total=1)

                def on_progress(name: str, done: int, total: int) -> None:
                    progress.update(bar, description=name, completed=done, total=max(total, 1))

                with session_scope() as session:
                    summary = import_esco(session, path, version or path.name, on_progress=on_progress)
                progress.update(bar, description="indice dei suggerimenti / suggestion index")
                from ivc.bootstrap import build_index

                build_index()
            console.print(
                f"ESCO {summary.framework.version}: imported {', '.join(summary.imported) or 'nothing'}"
                f"{'; already there: ' + ', '.join(summary.skipped) if summary.skipped else ''} — "
                f"{summary.concepts} concepts, {summary.labels} labels, {summary.relations} relations"
            )
        else:
            raise typer.BadParameter("KIND must be 'repertory' or 'esco'")
    except IVCError as exc:
        _fail(exc)


@frameworks_app.command("search")
def frameworks_search(
    text: str,
    lang: str | None = typer.Option(None, help="Prefer labels in this language (it, en, fr, es, ar, uk…)."),
    framework: str | None = typer.Option(None, help="Only this framework (RL, ESCO)."),
    limit: int = typer.Option(20, min=1, max=200),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Search by code, or by words in any loaded language (accents and case do not matter)."""
    import dataclasses
    import json

    from ivc.database.core import session_scope
    from ivc.framework.search import search

    with session_scope() as session:
        hits = search(session, text, lang=lang, framework=framework, limit=limit)
    if as_json:
        print(json.dumps([dataclasses.asdict(h) for h in hits], ensure_ascii=False, indent=1))
        return
    table = Table()
    for name in ("framework", "tipo", "codice / URI", "etichetta", "trovato in"):
        table.add_column(name)
    for h in hits:
        table.add_row(h.framework, h.entity, h.key, h.label, f"{h.matched} [{h.lang}]" if h.matched != h.label else "")
    console.print(table if hits else "nessun risultato / no results")


@app.command()
def suggest(
    framework: str | None = typer.Option(None, help="Only this framework: RL (regional repertory) or esco."),
    top: int = typer.Option(10, min=1, max=100, help="How many suggestions."),
    lang: str = typer.Option("auto", help="Language of the text: auto, or a code such as it, ar, uk."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (stable contract)."),
) -> None:
    """Suggest competences and ESCO skills/occupations for a text read from standard input."""
    import json

    from ivc.database.core import session_scope
    from ivc.mapping.engine import suggest_text

    raw = sys.stdin.buffer.read(5 * 1024 * 1024 + 1)
    text = raw.decode("utf-8", errors="replace")
    # The database was brought up to date before the command (``_ready``); the index is built
    # on first use if the frameworks changed since.
    with session_scope() as session:
        result = suggest_text(session, text, lang=lang, framework=framework, top=top)
    if as_json:
        print(json.dumps(result.as_json(), ensure_ascii=False))
        return
    console.print(f"lingua / language: {result.language}")
    for note in result.notes:
        console.print(f"[yellow]{note}[/]")
    table = Table()
    for name in ("#", "framework", "id", "etichetta / label", "score", "dove / where"):
        table.add_column(name)
    for i, s in enumerate(result.suggestions, 1):
        table.add_row(
            str(i),
            s.framework,
            s.id.rsplit("/", 1)[-1] if s.framework == "ESCO" else s.id,
            s.label,
            f"{s.score:.2f}",
            "; ".join(sp.text for sp in s.spans[:3]),
        )
    console.print(table)


@app.command()
def verify(
    target: str = typer.Argument(..., help="A PDF or JSON file, or a verification code (e.g. 4HZ9-BMQ9-AQ4P)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    status_list: list[Path] = typer.Option(
        [], "--status-list", help="A published status list (JSON): check an exported credential offline with it."
    ),
) -> None:
    """Check a document: valid, tampered, revoked, unknown issuer or unknown, with the reason.
    A QR code's link is accepted as well as the bare code."""
    import dataclasses
    import json

    from ivc.database.core import session_scope
    from ivc.document.verify import Verdict, verify_bytes, verify_code, verify_offline

    path = Path(target)
    try:
        is_file = path.is_file()
    except (OSError, ValueError):  # a name too long (or with NUL) for a path: it is a code
        is_file = False
    if status_list and is_file:  # offline: signature, trusted issuer and status list, no register
        text = path.read_text(encoding="utf-8", errors="replace").strip()
        lists = [json.loads(p.read_text(encoding="utf-8")) for p in status_list]
        result = verify_offline(text if not text.startswith("{") else json.loads(text), lists)
    else:
        with session_scope() as session:
            if is_file:
                result = verify_bytes(session, path.read_bytes()[: 30 * 1024 * 1024 + 1])
            else:
                result = verify_code(session, target)
    if as_json:
        print(json.dumps(dataclasses.asdict(result), ensure_ascii=False, indent=1, default=str))
    else:
        colour = {"valid": "green", "revoked": "yellow"}.get(result.verdict.value, "red")
        console.print(f"[bold {colour}]{result.verdict.value.upper()}[/]: {result.reason}")
        doc = result.document
        if doc:
            console.print(f"{doc['type']} n. {doc['number']} — {doc['issued_at'][:10]} — {doc['issuer']}")
            console.print(f"titolare: {doc['holder']['name']}")
            for q in doc["qualifications"]:
                console.print(f"qualificazione: {q['code']} {q['title']} (EQF {q['eqf_level']})")
            for c in doc["competences"]:
                console.print(f"  • {c['code']} {c['title']}")
    raise typer.Exit(0 if result.verdict is Verdict.VALID else 1)


document_app = typer.Typer(help="Issued documents: export and revoke.", no_args_is_help=True)
app.add_typer(document_app, name="document")


@document_app.command("export")
def document_export(
    number_or_id: str = typer.Argument(..., help="Register number (CE/2026/000001) or document id."),
    fmt: str = typer.Option("pdf", "--format", help="pdf | json | vc | openbadge | europass | europass-jwt"),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the file."),
) -> None:
    """Write an issued document, or one of its machine-readable shapes, to a file."""
    import json

    from sqlmodel import select

    from ivc.database.core import session_scope
    from ivc.document.models import IssuedDocument
    from ivc.evidence.storage import get_store

    with session_scope() as session:
        stmt = select(IssuedDocument).where(
            (IssuedDocument.number == number_or_id)
            | (IssuedDocument.id == (int(number_or_id) if number_or_id.isdigit() else -1))
        )
        doc = session.exec(stmt).first()
        if doc is None:
            _fail(IVCError(f"no document {number_or_id!r}"))
            return
        key = {
            "json": "twin",
            "vc": "vc",
            "openbadge": "openbadge",
            "europass": "europass",
            "europass-jwt": "europass_jwt",
        }
        if fmt == "pdf":
            out.write_bytes(get_store().get(doc.sha256))
        elif fmt in key and key[fmt] in doc.credentials:
            value = doc.credentials[key[fmt]]
            out.write_text(
                value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=1), encoding="utf-8"
            )
        else:
            _fail(IVCError(f"document {doc.number} has no {fmt!r} form"))
    console.print(f"written {out}")


@document_app.command("revoke")
def document_revoke(
    number: str, reason: str = typer.Option(..., help="Why it is revoked."), as_user: str = typer.Option(..., "--as")
) -> None:
    """Revoke an issued document (ALFA); verification then reports it as revoked."""
    from sqlmodel import select

    from ivc.auth.service import get_actor
    from ivc.database.core import session_scope
    from ivc.document.models import IssuedDocument
    from ivc.document.service import revoke

    try:
        with session_scope() as session:
            doc = session.exec(select(IssuedDocument).where(IssuedDocument.number == number)).first()
            if doc is None:
                raise IVCError(f"no document {number!r}")
            revoke(session, doc, reason, get_actor(session, as_user))
    except IVCError as exc:
        _fail(exc)
    console.print(f"{number} revoked")


@document_app.command("status-list")
def document_status_list(
    prefix: str = typer.Argument(..., help="Register prefix: TR, VA or CE."),
    year: int = typer.Argument(...),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the signed status list."),
) -> None:
    """Write the signed Bitstring Status List of one document type and year (what is published)."""
    from ivc.database.core import session_scope
    from ivc.document.status import status_list_credential
    from ivc.reference import issuers

    types = {str(fmt["prefix"]): t for t, fmt in issuers()["register"].items()}
    if prefix.upper() not in types:
        _fail(IVCError(f"no register prefix {prefix!r}; one of {sorted(types)}"))
        return
    with session_scope() as session:
        data = status_list_credential(session, types[prefix.upper()], year)
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    console.print(f"written {out}")


match_app = typer.Typer(help="Job matching for CPI advisors (consented dossiers only).", no_args_is_help=True)
app.add_typer(match_app, name="match")
vacancies_app = typer.Typer(help="Vacancies for job matching.", no_args_is_help=True)
app.add_typer(vacancies_app, name="vacancies")


def _print_matches(title: str, matches: list[Any], as_json: bool) -> None:
    import dataclasses

    if as_json:
        print(json.dumps([dataclasses.asdict(m) for m in matches], ensure_ascii=False, indent=1, default=str))
        return
    table = Table(title=title)
    for name in ("#", "score", "chi / cosa", "competenze trovate", "mancano (essenziali)", "per colmare"):
        table.add_column(name)
    for i, m in enumerate(matches, 1):
        who = m.subject.get("name") or m.subject.get("title") or m.subject.get("label") or ""
        found = ", ".join(f"{x['label']} [{x['status']}]" for x in m.matched[:4])
        table.add_row(
            str(i),
            f"{m.score:.2f}",
            who,
            found,
            ", ".join(x["label"] for x in m.missing_essential[:3]),
            "; ".join(m.to_close_the_gap[:2]),
        )
    console.print(table)


@match_app.command("vacancy")
def match_vacancy_cmd(
    vacancy: str = typer.Argument(..., help="Vacancy id or reference."),
    top: int = typer.Option(20, min=1, max=200),
    as_user: str = typer.Option("admin", "--as"),
    as_json: bool = typer.Option(False, "--json"),
    csv_out: Path | None = typer.Option(None, "--csv", help="Also write the shortlist as CSV."),
    pdf_out: Path | None = typer.Option(None, "--pdf", help="Also write the shortlist as PDF."),
) -> None:
    """Rank consented dossiers for a vacancy, each with what matched and what is missing."""
    from sqlmodel import select

    from ivc.auth.service import get_actor
    from ivc.database.core import session_scope
    from ivc.matching.models import Vacancy
    from ivc.matching.service import match_vacancy

    try:
        with session_scope() as session:
            row = session.exec(
                select(Vacancy).where(
                    (Vacancy.reference == vacancy) | (Vacancy.id == (int(vacancy) if vacancy.isdigit() else -1))
                )
            ).first()
            if row is None:
                raise IVCError(f"no vacancy {vacancy!r}")
            matches = match_vacancy(session, row.id or 0, get_actor(session, as_user), top)
            _print_matches(f"{row.reference} {row.title} — {row.employer}", matches, as_json)
            if csv_out or pdf_out:
                from ivc.matching.service import shortlist_csv, shortlist_pdf, shortlist_rows

                rows = shortlist_rows(session, matches, get_actor(session, as_user))
                if csv_out:
                    csv_out.write_text(shortlist_csv(rows), encoding="utf-8")
                if pdf_out:
                    pdf_out.write_bytes(shortlist_pdf(row, rows))
    except IVCError as exc:
        _fail(exc)


@match_app.command("person")
def match_person_cmd(
    case_id: int,
    top: int = typer.Option(10, min=1, max=100),
    as_user: str = typer.Option("admin", "--as"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Rank open vacancies and ESCO occupations for a consented dossier."""
    import dataclasses

    from ivc.auth.service import get_actor
    from ivc.database.core import session_scope
    from ivc.matching.service import match_person

    try:
        with session_scope() as session:
            result = match_person(session, case_id, get_actor(session, as_user), top)
            if as_json:
                print(
                    json.dumps(
                        {k: [dataclasses.asdict(m) for m in v] for k, v in result.items()},
                        ensure_ascii=False,
                        indent=1,
                        default=str,
                    )
                )
            else:
                _print_matches("Offerte di lavoro / vacancies", result["vacancies"], False)
                _print_matches("Professioni ESCO / ESCO occupations", result["occupations"], False)
    except IVCError as exc:
        _fail(exc)


@vacancies_app.command("import")
def vacancies_import(path: Path, as_user: str = typer.Option("admin", "--as")) -> None:
    """Import vacancies from CSV (see ivc/matching/service.py for the columns); idempotent by reference."""
    from ivc.auth.service import get_actor
    from ivc.bootstrap import bootstrap
    from ivc.database.core import session_scope
    from ivc.matching.service import import_vacancies

    bootstrap()
    try:
        with session_scope() as session:
            n = import_vacancies(session, path, get_actor(session, as_user))
        console.print(f"{n} vacancies imported")
    except IVCError as exc:
        _fail(exc)


monitoring_app = typer.Typer(help="Programme monitoring (aggregates and pseudonymised exports).", no_args_is_help=True)
app.add_typer(monitoring_app, name="monitoring")


@monitoring_app.command("indicators")
def monitoring_indicators(
    as_user: str = typer.Option("monitoraggio", "--as"),
    district: str | None = typer.Option(None),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Indicators (AMIF/FAMI output and result, as data), the funnel and median days per phase."""
    from ivc.auth.service import get_actor
    from ivc.database.core import session_scope
    from ivc.monitoring.service import indicators, suppress

    try:
        with session_scope() as session:
            figures = indicators(session, get_actor(session, as_user), territory=district)
    except IVCError as exc:
        _fail(exc)
        return
    if as_json:
        print(json.dumps(figures, ensure_ascii=False, indent=1, default=str))
        return
    table = Table(title=f"Indicatori ({figures['people']} persone)")
    for name in ("codice", "indicatore", "totale"):
        table.add_column(name)
    for ind in figures["indicators"]:
        table.add_row(ind["code"], ind["label"]["it"], suppress(ind["total"]))
    console.print(table)
    console.print("imbuto / funnel: " + ", ".join(f"{k}: {suppress(v)}" for k, v in figures["funnel"].items()))
    console.print("giorni mediani / median days: " + ", ".join(f"{k}: {v}" for k, v in figures["median_days"].items()))


@monitoring_app.command("export")
def monitoring_export(
    out: Path = typer.Option(..., "--out", help="Directory for records.csv and indicators.csv."),
    key: str = typer.Option(..., "--key", help="Export key (≥ 16 characters): same key, same pseudonyms."),
    as_user: str = typer.Option("monitoraggio", "--as"),
) -> None:
    """Pseudonymised records and aggregated indicators (small cells suppressed) for the partner."""
    from ivc.auth.service import get_actor
    from ivc.database.core import session_scope
    from ivc.monitoring.service import export_csv

    try:
        with session_scope() as session:
            records, aggregates = export_csv(session, get_actor(session, as_user), key)
    except IVCError as exc:
        _fail(exc)
        return
    out.mkdir(parents=True, exist_ok=True)
    (out / "records.csv").write_text(records, encoding="utf-8")
    (out / "indicators.csv").write_text(aggregates, encoding="utf-8")
    console.print(f"written {out / 'records.csv'} and {out / 'indicators.csv'}")


@monitoring_app.command("report")
def monitoring_report(month: str = typer.Option(..., help="YYYY-MM")) -> None:
    """Write the monthly monitoring report (PDF) — the same flow the server runs each month."""
    from ivc.flows.schedules import monthly_report

    console.print(f"written {monthly_report(month)}")


@app.command("deploy")
def deploy(pool: str = typer.Option("ivc-process", help="Prefect work pool (type process).")) -> None:
    """Register the phase flows as deployments on the Prefect server named by PREFECT_API_URL."""
    if not os.environ.get("PREFECT_API_URL"):
        _fail(IVCError("set PREFECT_API_URL to the Prefect server (see docs/DEPLOY.md)"))
    from ivc.ops.cluster import register

    for name in register(pool):
        console.print(f"deployment {name} on pool {pool}")


@app.command("scale-test")
def scale_test(
    cases: int = typer.Option(500, min=1, help="Synthetic people to push through the path."),
    workers: str = typer.Option("1,2", help="Worker counts to run, e.g. '2' or '1,2'."),
    batch: int = typer.Option(
        250, min=1, help="Most cases per flow run (each run is a new process: seconds of start-up)."
    ),
    embedded_cases: int = typer.Option(0, min=0, help="Also run this many on the embedded default (baseline)."),
    pg: str = typer.Option("postgresql://postgres@127.0.0.1:5432", help="PostgreSQL server (databases are created)."),
    logs: Path = typer.Option(Path(".ivc/scale-logs"), help="Where the processes' logs go."),
) -> None:
    """Exercise the scale-out mode: Prefect server on PostgreSQL, N workers, deployments."""
    from ivc.ops.scale import run

    result = run(cases, [int(w) for w in workers.split(",") if w.strip()], batch, pg, embedded_cases or None, logs)
    table = Table(title=f"{cases} cases through every automated step")
    for name in ("mode", "cases", "automated s", "s / case", "cases / s", "problems"):
        table.add_column(name)
    rows = ([("embedded (SQLite, no server)", result.embedded)] if result.embedded else []) + [
        (f"server + PostgreSQL, {n} worker(s)", r) for n, r in result.clusters.items()
    ]
    for name, r in rows:
        table.add_row(
            name,
            str(r["cases"]),
            str(r["automated_seconds"]),
            str(r["seconds_per_case"]),
            str(r["cases_per_second"]),
            str(len(r["problems"])),
        )
    console.print(table)
    if 1 in result.clusters and 2 in result.clusters:
        ratio = result.clusters[2]["cases_per_second"] / result.clusters[1]["cases_per_second"]
        console.print(f"2 workers / 1 worker throughput: {ratio:.2f}×")
    for _, r in rows:
        for problem in r["problems"][:20]:
            console.print(f"[red]{problem}[/]")
    print("IVC-SCALE " + json.dumps({"embedded": result.embedded, "clusters": result.clusters}))
    raise typer.Exit(0 if result.ok else 1)


# Streamlit options `ivc ui` sets unless the user set them (a --server.* flag, STREAMLIT_* in the
# environment or a .streamlit/config.toml): flags would override those, so they are only defaults.
UI_DEFAULTS = {"server.headless": "true", "browser.gatherUsageStats": "false", "client.toolbarMode": "viewer"}


def _unset_streamlit_options(script: Path, options: dict[str, str], env: dict[str, str]) -> list[str]:
    """Flags for the ``options`` that neither the environment nor a config.toml sets."""
    from streamlit import config as st_config
    from streamlit.config_option import ConfigOption

    try:
        st_config._main_script_path = str(script)  # as `streamlit run` does: script-level config too
        known = st_config.get_config_options(force_reparse=True)
    except Exception:  # an unreadable config.toml: Streamlit itself will say what is wrong
        known = {}
    flags: list[str] = []
    for key, value in options.items():
        option = known.get(key)
        env_var = option.env_var if option is not None else "STREAMLIT_" + key.upper().replace(".", "_")
        if env_var in env or (option is not None and option.where_defined != ConfigOption.DEFAULT_DEFINITION):
            continue
        flags += [f"--{key}", value]
    return flags


@app.command()
def ui(
    port: int | None = typer.Option(
        None, help="Port of the web interface; unset: Streamlit's own (STREAMLIT_SERVER_PORT, config.toml, 8501)."
    ),
) -> None:
    """Start the web interface (Streamlit, with the session routes of ivc/ui/server.py)."""
    from ivc.bootstrap import bootstrap

    bootstrap()
    server = Path(__file__).resolve().parent.parent / "ui" / "server.py"
    env = os.environ.copy()
    cmd = [sys.executable, "-m", "streamlit", "run", str(server)]
    if port is not None:
        cmd += ["--server.port", str(port)]
    cmd += _unset_streamlit_options(server, UI_DEFAULTS, env)
    raise typer.Exit(subprocess.call(cmd, env=env))


# Network around the person (mediators, referrals, timeline): commands live in ivc/cli/network.py.
from ivc.cli import network as _network  # noqa: E402

case_app.command("timeline")(_network.case_timeline)
app.add_typer(_network.mediators_app, name="mediators")
app.add_typer(_network.referrals_app, name="referrals")

# Trust: the audit chain and backups (commands live in their own modules).
from ivc.cli import audit as _audit_cli  # noqa: E402
from ivc.cli import backup as _backup_cli  # noqa: E402

app.add_typer(_audit_cli.app, name="audit")
app.command("backup")(_backup_cli.backup)
app.command("restore")(_backup_cli.restore)

# Consent history, coverage, reminders and sample checks (ivc/cli/ledger.py).
from ivc.cli.ledger import consent_app, coverage_app, reminders_app, samples_app  # noqa: E402

app.add_typer(consent_app, name="consent")
app.add_typer(coverage_app, name="coverage")
app.add_typer(reminders_app, name="reminders")
app.add_typer(samples_app, name="samples")

# Courses, Italian levels, integration feedback and course registers (ivc/cli/participation.py).
from ivc.cli.participation import app as participation_app  # noqa: E402

app.add_typer(participation_app, name="participation")


if __name__ == "__main__":
    app()
