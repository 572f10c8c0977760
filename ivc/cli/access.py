"""``ivc person access-code PERSON_ID``: a new personal access code for the person's own space,
printed once (the previous code is revoked); ``--revoke`` revokes it without a new one."""

from __future__ import annotations

import typer
from rich.console import Console

from ivc.errors import IVCError

console = Console()


def access_code(
    person_id: int,
    revoke: bool = typer.Option(False, "--revoke", help="Revoke the code in force; issue none."),
    as_user: str = typer.Option("admin", "--as"),
) -> None:
    """Issue a new personal access code (printed once; the previous one is revoked)."""
    from ivc.auth.service import get_actor
    from ivc.database.core import session_scope
    from ivc.personspace import access

    try:
        with session_scope() as session:
            actor = get_actor(session, as_user)
            if revoke:
                access.revoke_code(session, person_id, actor)
                code = None
            else:
                code = access.issue_code(session, person_id, actor)
    except IVCError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=2) from None
    if code is None:
        console.print(f"access code of person {person_id} revoked")
        return
    console.print(f"personal access code of person {person_id} (shown once; the previous one is revoked):")
    typer.echo(code)


def requests(
    close: int = typer.Option(0, "--close", help="Mark this request as dealt with."),
    as_user: str = typer.Option("admin", "--as"),
) -> None:
    """The open correction and erasure requests people sent from their own space (the operator's
    queue of their districts, oldest first)."""
    from ivc.auth.service import get_actor
    from ivc.database.core import session_scope
    from ivc.personspace import service as space

    try:
        with session_scope() as session:
            actor = get_actor(session, as_user)
            if close:
                space.close_request(session, actor, close)
            rows = [
                (r.id, r.person_id, r.kind, r.territory, r.created_at, r.text)
                for r in space.open_requests(session, actor)
            ]
    except IVCError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=2) from None
    if not rows:
        console.print("no open requests")
    for rid, person_id, kind, district, at, text in rows:
        console.print(f"#{rid} person {person_id} (district {district}) {kind} {at:%d/%m/%Y}: {text}")
