"""``ivc audit``: check that the audit log has not been changed behind the application's back."""

from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(help="The audit log: verify its hash chain.", no_args_is_help=True)
console = Console()


@app.command("verify")
def verify(
    anchor: str | None = typer.Option(
        None, "--anchor", help="SEQ:HASH printed by an earlier verify and kept elsewhere: the chain must still hold it."
    ),
) -> None:
    """Walk the chain from the first event: prints OK with the count and the head (write the head
    down somewhere else to notice a rewrite of the whole log later), or the first broken link.
    Exit code 1 when the chain is broken."""
    from ivc.audit.service import hash_at, verify_chain
    from ivc.database.core import session_scope

    expected: tuple[int, str] | None = None
    if anchor:
        seq_text, _, digest = anchor.partition(":")
        if not seq_text.isdigit() or len(digest) != 64:
            console.print("[bold red]error:[/] --anchor must look like 1234:<64 hex digits>")
            raise typer.Exit(code=2)
        expected = (int(seq_text), digest.lower())
    with session_scope() as session:
        report = verify_chain(session)
        anchored = hash_at(session, expected[0]) if expected else None
    if not report.ok:
        console.print(f"[bold red]{report.summary()}[/]")
        for extra in report.breaks[1:]:
            console.print(f"  also: {extra.kind} (event id {extra.event_id}): {extra.detail}")
        raise typer.Exit(code=1)
    if expected and anchored != expected[1]:
        found = anchored or "no event"
        console.print(
            f"[bold red]audit chain REWRITTEN:[/] sequence {expected[0]} should be {expected[1]} but is {found}"
        )
        raise typer.Exit(code=1)
    console.print(f"[green]{report.summary()}[/]")
