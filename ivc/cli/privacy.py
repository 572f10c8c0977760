"""CLI for personal-data protection: ``ivc keys`` (data-encryption keys: status, rotation,
retirement), ``ivc person export|erase`` (GDPR access and erasure) and ``ivc privacy retention``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from ivc.auth.roles import Actor
from ivc.errors import IVCError

console = Console()
keys_app = typer.Typer(help="Data-encryption keys: status, rotation, retirement.", no_args_is_help=True)
person_app = typer.Typer(help="A person's data: export (access request) and erasure.", no_args_is_help=True)
privacy_app = typer.Typer(help="Retention of personal data.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
    app.add_typer(person_app, name="person")
    app.add_typer(privacy_app, name="privacy")


def _fail(exc: Exception) -> None:
    console.print(f"[bold red]error:[/] {exc}")
    raise typer.Exit(code=2)


def _actor(as_user: str) -> Actor:
    from ivc.auth.service import get_actor
    from ivc.database.core import session_scope

    with session_scope() as session:
        return get_actor(session, as_user)


@keys_app.command("status")
def keys_status() -> None:
    """Key ids in the key file, the active one, and how many values and blobs each encrypts."""
    from ivc.crypto import keys
    from ivc.crypto.rotation import usage

    try:
        keyring = keys.current(refresh=True)
        used = usage()
    except IVCError as exc:
        _fail(exc)
        return
    console.print(f"key file: {keyring.path}" + ("  [yellow](rotation in progress)[/]" if keyring.rotating else ""))
    for kid in sorted(set(keyring.keys) | set(used.fields) | set(used.blobs)):
        mark = "active" if kid == keyring.active else ("" if kid in keyring.keys else "[red]MISSING[/]")
        console.print(f"  {kid:20} {used.fields[kid]:8} fields {used.blobs[kid]:8} blobs  {mark}")


@keys_app.command("rotate")
def keys_rotate(
    as_user: str = typer.Option("admin", "--as"),
    prepare: bool = typer.Option(False, "--prepare", help="Only add the new key (copy the key file, then rerun)."),
) -> None:
    """Add a new active key and re-encrypt every field and blob under it. If a previous rotation
    was interrupted (or prepared), finish that one instead (no second key)."""
    from ivc.crypto.rotation import rotate

    try:
        report = rotate(_actor(as_user), progress=lambda line: console.print(f"[dim]{line}[/]"), prepare_only=prepare)
    except IVCError as exc:
        _fail(exc)
        return
    if prepare:
        console.print(f"new active key {report.active} added: copy the key file to every machine, then run rotate")
        return
    what = "new key" if report.new_key else "finished the interrupted rotation to"
    console.print(f"{what} {report.active}: {report.fields} fields and {report.blobs} blobs re-encrypted")


@keys_app.command("reencrypt")
def keys_reencrypt() -> None:
    """Encrypt what is still plaintext (data from before encryption) or under an older key,
    with the active key; no new key."""
    from ivc.crypto.rotation import reencrypt_all

    try:
        fields, blobs = reencrypt_all(progress=lambda line: console.print(f"[dim]{line}[/]"))
    except IVCError as exc:
        _fail(exc)
        return
    console.print(f"{fields} fields and {blobs} blobs now under the active key")


@keys_app.command("retire")
def keys_retire(key_id: str, as_user: str = typer.Option("admin", "--as")) -> None:
    """Remove an old key from the key file once nothing is encrypted with it."""
    from ivc.crypto.rotation import retire

    try:
        retire(key_id, _actor(as_user))
    except IVCError as exc:
        _fail(exc)
        return
    console.print(f"{key_id} retired")


@person_app.command("export")
def person_export(
    person_id: int,
    out: Path = typer.Option(..., "--out", "-o", help="The zip file to write."),
    as_user: str = typer.Option("admin", "--as"),
) -> None:
    """Everything held about a person: summary in their language, data.json, files."""
    from ivc.auth.service import get_actor
    from ivc.database.core import session_scope
    from ivc.evidence.storage import get_store
    from ivc.privacy.export import export_person

    try:
        with session_scope() as session:
            data = export_person(session, person_id, get_actor(session, as_user), get_store())
    except IVCError as exc:
        _fail(exc)
        return
    out.write_bytes(data)
    console.print(f"written {out} ({len(data)} bytes)")


@person_app.command("erase")
def person_erase(
    person_id: int,
    as_user: str = typer.Option("admin", "--as"),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Erase a person's data (GDPR art. 17); prints what was removed and what was kept, and why."""
    from ivc.auth.service import get_actor
    from ivc.database.core import session_scope
    from ivc.evidence.storage import get_store
    from ivc.privacy.erasure import delete_pending_blobs, erase_person

    if not yes:
        typer.confirm(f"Erase all personal data of person {person_id}? This cannot be undone.", abort=True)
    try:
        with session_scope() as session:
            record = erase_person(session, person_id, get_actor(session, as_user))
            removed, kept = dict(record.removed), list(record.kept)
        with session_scope() as session:
            blobs = delete_pending_blobs(session, get_store())
    except IVCError as exc:
        _fail(exc)
        return
    console.print(f"person {person_id} erased; files deleted: {blobs}")
    for name, count in removed.items():
        console.print(f"  removed {count:5} {name}")
    for item in kept:
        console.print(f"  kept: {item['what']}\n        [dim]why: {item['why']}[/]")


@privacy_app.command("retention")
def privacy_retention(
    dry_run: bool = typer.Option(False, "--dry-run", help="Report what is due; change nothing."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Apply the retention rules now (the server runs the ivc-retention flow every night)."""
    from ivc.flows.schedules import retention

    try:
        result = retention.fn(dry_run=dry_run)
    except IVCError as exc:
        _fail(exc)
        return
    if as_json:
        console.print_json(json.dumps(result))
        return
    verb = "due" if dry_run else "erased"
    for item in result["erased"]:
        console.print(
            f"  {verb}: case {item['case_id']} (person {item['person_id']}) — {item['rule']}, {item['action']}"
        )
    console.print(f"{len(result['erased'])} {verb}; files deleted: {result['blobs_deleted']}")
