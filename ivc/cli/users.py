"""``ivc users``: create accounts, set passwords, change roles and districts, list users.

Acts as an administrator account (``--as``, default ``admin``); the password is asked at the
prompt (never on the command line, where it would stay in the shell history) or read from
standard input with ``--password-stdin`` for provisioning scripts."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.table import Table

from ivc.auth.roles import Role
from ivc.errors import IVCError

users_app = typer.Typer(help="User accounts, roles and districts.", no_args_is_help=True)
console = Console()


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


def _fail(exc: Exception) -> None:
    console.print(f"[bold red]error:[/] {exc}")
    raise typer.Exit(code=2)


@users_app.command("add")
def users_add(
    username: str,
    role: Role = typer.Option(..., help="operator, mediator, assessor, alfa_reviewer, cpi_advisor, monitoring, admin"),
    name: str = typer.Option(..., "--name", help="Full name."),
    district: list[str] = typer.Option([], "--district", help="ASL district code (repeat for several)."),
    language: list[str] = typer.Option([], "--language", help="Language the user works in (repeat)."),
    email: str | None = typer.Option(None, help="E-mail known to the regional identity provider (OIDC)."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input."),
    no_password: bool = typer.Option(False, "--no-password", help="Only OIDC sign-in for this user."),
    as_user: str = typer.Option("admin", "--as"),
) -> None:
    """Create an account."""
    from ivc.auth.service import add_user, get_actor
    from ivc.database.core import session_scope

    password = None if no_password else _password(password_stdin)
    try:
        with session_scope() as session:
            actor = get_actor(session, as_user)
            user = add_user(session, actor, username, name, role, district, language, password=password, email=email)
            console.print(f"created {user.username} ({user.role}; districts: {', '.join(user.districts) or 'all'})")
    except IVCError as exc:
        _fail(exc)


@users_app.command("passwd")
def users_passwd(
    username: str,
    password_stdin: bool = typer.Option(False, "--password-stdin"),
    as_user: str = typer.Option("admin", "--as"),
) -> None:
    """Set a user's password (also unlocks the account)."""
    from ivc.auth.service import get_actor, set_password
    from ivc.database.core import session_scope

    password = _password(password_stdin)
    try:
        with session_scope() as session:
            set_password(session, username, password, get_actor(session, as_user))
        console.print(f"password set for {username}")
    except IVCError as exc:
        _fail(exc)


@users_app.command("set")
def users_set(
    username: str,
    role: Role | None = typer.Option(None),
    district: list[str] = typer.Option([], "--district", help="Replace the districts (repeat)."),
    active: bool | None = typer.Option(None, "--active/--disabled"),
    as_user: str = typer.Option("admin", "--as"),
) -> None:
    """Change a user's role, districts or whether the account is active."""
    from ivc.auth.service import get_actor, update_user
    from ivc.database.core import session_scope

    try:
        with session_scope() as session:
            user = update_user(
                session, get_actor(session, as_user), username, role=role, districts=district or None, active=active
            )
            console.print(f"{user.username}: {user.role}, districts {user.districts}, active {user.active}")
    except IVCError as exc:
        _fail(exc)


@users_app.command("list")
def users_list() -> None:
    """Every account with its role and districts."""
    from ivc.auth.service import list_users
    from ivc.database.core import session_scope

    table = Table()
    for column in ("username", "name", "role", "districts", "sign-in", "active"):
        table.add_column(column)
    with session_scope() as session:
        for u in list_users(session):
            sign_in = ", ".join(x for x, on in (("password", u.password_hash), ("oidc", u.email)) if on) or "-"
            table.add_row(u.username, u.full_name, u.role, ", ".join(u.districts) or "all", sign_in, str(u.active))
    console.print(table)
