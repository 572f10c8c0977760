"""``ivc backup PATH``, ``ivc backup verify PATH`` and ``ivc restore PATH``: the database and
the evidence store in one archive (``ivc.ops.backup``)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ivc.errors import IVCError

console = Console()


def _fail(exc: Exception) -> None:
    console.print(f"[bold red]error:[/] {exc}")
    raise typer.Exit(code=2)


def _rows_table(rows: dict[str, int]) -> Table:
    table = Table(title="rows")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in rows.items():
        if n:
            table.add_row(name, str(n))
    return table


def backup(
    target: str = typer.Argument(..., help="Archive to write (e.g. ivc-2026-11-27.tar.gz), or `verify`."),
    archive: Path | None = typer.Argument(None, help="With `verify`: the archive to check."),
    force: bool = typer.Option(False, "--force", help="Replace an existing archive of that name."),
) -> None:
    """Back up the database and every stored file into one archive (`ivc backup PATH`), or check
    an archive without restoring it (`ivc backup verify PATH`; exit code 1 if it is damaged)."""
    from ivc.ops import backup as ops

    if target == "verify" and archive is None:
        _fail(ValueError("say which archive to check: ivc backup verify PATH (to write a file named verify: ./verify)"))
    if archive is not None and target != "verify":
        _fail(ValueError("one archive path only (or: ivc backup verify PATH)"))
    if target == "verify" and archive is not None:
        try:
            check = ops.check_archive(archive)
        except IVCError as exc:
            _fail(exc)
            return
        m = check.manifest
        console.print(
            f"archive of ivc {m.get('ivc_version')}, schema {m.get('alembic_revision')}, made {m.get('created_at')} "
            f"from {m.get('source_dialect')}: {sum(check.rows.values())} rows, {check.blobs} files "
            f"({check.blob_bytes / 1e6:.1f} MB)"
        )
        if check.chain is not None:
            console.print(check.chain.summary())
        for problem in check.problems:
            console.print(f"[bold red]problem:[/] {problem}")
        if not check.ok:
            raise typer.Exit(code=1)
        console.print("[green]archive OK[/]")
        return
    try:
        result = ops.create_backup(Path(target), overwrite=force)
    except IVCError as exc:
        _fail(exc)
        return
    console.print(_rows_table(result.rows))
    console.print(f"{result.blobs} stored files ({result.blob_bytes / 1e6:.1f} MB)")
    if result.chain is not None:
        console.print(result.chain.summary())
    console.print(f"[green]backup written:[/] {target}")


def restore(
    archive: Path = typer.Argument(..., help="Archive made by `ivc backup`."),
    force: bool = typer.Option(False, "--force", help="Replace whatever the target database holds."),
) -> None:
    """Restore an archive into the configured database and evidence store, then check that every
    stored file matches its hash and the audit chain verifies (exit code 1 if not)."""
    from ivc.ops import backup as ops

    try:
        report = ops.restore(archive, force=force)
    except IVCError as exc:
        _fail(exc)
        return
    console.print(_rows_table(report.rows))
    console.print(f"{report.blobs_imported} files imported; {report.blobs_checked} checked against their hash")
    for problem in report.blob_problems:
        console.print(f"[bold red]problem:[/] {problem}")
    console.print(report.chain.summary())
    if not report.ok:
        raise typer.Exit(code=1)
    console.print("[green]restore complete and verified[/]")
