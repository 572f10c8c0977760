"""Backup and restore: one archive holds the database and every stored file; restoring it gives
back the same rows and files, checked; a damaged archive or a busy target is refused."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session
from typer.testing import CliRunner

from ivc.case import service as cases
from ivc.case.states import CaseState
from ivc.cli.main import app
from ivc.database.core import get_engine
from ivc.database.migrate import upgrade
from ivc.errors import ConflictError, DomainError, IntegrityFailure
from ivc.evidence.models import EvidenceType
from ivc.evidence.service import add_evidence
from ivc.evidence.storage import LocalContentStore, get_store
from ivc.ops import backup as ops

from .helpers import advance_to, staff, tiny_pdf

runner = CliRunner()


def _populate(session: Session) -> int:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.VALIDATION_ISSUED)
    add_evidence(
        session,
        case,
        tiny_pdf("lettera del datore di lavoro"),
        title="Dichiarazione del datore di lavoro",
        evidence_type=EvidenceType.EMPLOYER_STATEMENT,
        media_type="application/pdf",
        actor=actors["op3"],
    )
    session.commit()
    return case.id or 0


def _contents(url: str | None = None) -> dict[str, list[dict[str, Any]]]:
    out = {}
    with get_engine(url).connect() as conn:
        for table in ops.tables():
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).mappings()
            out[table.name] = [dict(r) for r in rows]
    return out


def _target(tmp_path: Path) -> tuple[str, LocalContentStore]:
    url = f"sqlite:///{tmp_path}/target.sqlite3"
    upgrade(url)
    return url, LocalContentStore(tmp_path / "target-store")


def test_a_populated_database_survives_a_round_trip(session: Session, tmp_path: Path) -> None:
    _populate(session)
    archive = tmp_path / "ivc.tar.gz"
    made = ops.create_backup(archive)
    assert made.blobs >= 3 and made.chain is not None and made.chain.ok
    assert made.manifest["alembic_revision"] == ops.code_revision()
    url, store = _target(tmp_path)
    report = ops.restore(archive, url=url, store=store)
    assert report.ok, (report.blob_problems, report.chain.summary())
    assert report.blobs_checked == made.blobs and report.chain.count == made.chain.count
    assert report.rows == made.rows
    assert _contents(url) == _contents()  # every row of every table, ids included
    evidence_keys = {r["sha256"] for r in _contents(url)["evidenceitem"]}
    assert all(store.get(k) == get_store().get(k) for k in evidence_keys)


def test_the_command_line_backs_up_verifies_and_refuses_a_busy_target(session: Session, tmp_path: Path) -> None:
    _populate(session)
    archive = tmp_path / "nightly.tar.gz"
    made = runner.invoke(app, ["backup", str(archive)])
    assert made.exit_code == 0, made.output
    assert archive.is_file() and not [p for p in tmp_path.iterdir() if ".partial" in p.name]
    again = runner.invoke(app, ["backup", str(archive)])
    assert again.exit_code == 2 and "exists" in again.output
    checked = runner.invoke(app, ["backup", "verify", str(archive)])
    assert checked.exit_code == 0, checked.output
    assert "archive OK" in checked.output and "audit chain OK" in checked.output
    refused = runner.invoke(app, ["restore", str(archive)])
    assert refused.exit_code == 2 and "already holds data" in refused.output and "--force" in refused.output
    before = _contents()
    forced = runner.invoke(app, ["restore", str(archive), "--force"])
    assert forced.exit_code == 0, forced.output
    assert "restore complete and verified" in forced.output
    assert _contents() == before


def _rewrite(archive: Path, out: Path, change: Any) -> None:
    """Copy an archive, letting ``change(name, data)`` alter or drop (None) each member."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(out, "w:gz") as dst:
        for member in src:
            handle = src.extractfile(member)
            data = change(member.name, handle.read() if handle else b"")
            if data is None:
                continue
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))


def test_a_damaged_file_in_the_archive_is_found_and_nothing_is_restored(session: Session, tmp_path: Path) -> None:
    _populate(session)
    archive = tmp_path / "ivc.tar.gz"
    ops.create_backup(archive)
    damaged = tmp_path / "damaged.tar.gz"
    victim: list[str] = []

    def flip(name: str, data: bytes) -> bytes:
        if name.startswith("blobs/") and not victim:
            victim.append(name[6:])
            return data[:-1] + bytes([data[-1] ^ 1])
        return data

    _rewrite(archive, damaged, flip)
    check = ops.check_archive(damaged)
    assert not check.ok and check.problems == [f"stored file {victim[0]} is damaged in the archive"]
    result = runner.invoke(app, ["backup", "verify", str(damaged)])
    assert result.exit_code == 1 and "damaged" in result.output
    url, store = _target(tmp_path)
    with pytest.raises(IntegrityFailure, match="nothing was restored"):
        ops.restore(damaged, url=url, store=store)
    assert _contents(url)["case"] == []


def test_an_edited_table_or_audit_row_in_the_archive_is_found(session: Session, tmp_path: Path) -> None:
    _populate(session)
    archive = tmp_path / "ivc.tar.gz"
    ops.create_backup(archive)

    def edit_audit(name: str, data: bytes) -> bytes:
        if name.endswith("-auditevent.jsonl"):
            lines = data.splitlines(keepends=True)
            row = json.loads(lines[2])
            row["actor"] = "someone-else"
            lines[2] = (json.dumps(row, sort_keys=True) + "\n").encode()
            return b"".join(lines)
        return data

    edited = tmp_path / "edited.tar.gz"
    _rewrite(archive, edited, edit_audit)
    check = ops.check_archive(edited)
    assert any("table auditevent" in p for p in check.problems)
    assert check.chain is not None and (check.chain.breaks[0].seq, check.chain.breaks[0].kind) == (3, "edited")

    dropped = tmp_path / "dropped.tar.gz"
    _rewrite(archive, dropped, lambda name, data: None if name.endswith("-person.jsonl") else data)
    assert any("person" in p and "missing" in p for p in ops.check_archive(dropped).problems)


def test_an_archive_from_another_schema_revision_is_refused(session: Session, tmp_path: Path) -> None:
    _populate(session)
    archive = tmp_path / "ivc.tar.gz"
    ops.create_backup(archive)
    old = tmp_path / "old.tar.gz"

    def older(name: str, data: bytes) -> bytes:
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["alembic_revision"] = "0001"
            return json.dumps(manifest).encode()
        return data

    _rewrite(archive, old, older)
    url, store = _target(tmp_path)
    with pytest.raises(DomainError, match="schema revision 0001"):
        ops.restore(old, url=url, store=store)


def test_a_backup_that_cannot_be_complete_leaves_no_archive(session: Session, tmp_path: Path) -> None:
    _populate(session)
    store = get_store()
    assert isinstance(store, LocalContentStore)
    key = _contents()["evidenceitem"][0]["sha256"]
    blob = store.root / key[:2] / key[2:4] / key
    saved = blob.read_bytes()
    blob.unlink()
    try:
        with pytest.raises(IntegrityFailure, match="no archive written"):
            ops.create_backup(tmp_path / "ivc.tar.gz")
        assert list(tmp_path.iterdir()) == []
    finally:
        store.put_bytes(saved)


@pytest.mark.skipif(
    not os.environ.get("IVC_DATABASE_URL", "").startswith("postgresql"), reason="needs the PostgreSQL test database"
)
def test_a_backup_moves_from_postgresql_to_sqlite_and_back(session: Session, tmp_path: Path) -> None:
    actors = staff(session)
    _populate(session)
    original = _contents()
    from_pg = tmp_path / "from-pg.tar.gz"
    ops.create_backup(from_pg)
    url, store = _target(tmp_path)
    assert ops.restore(from_pg, url=url, store=store).ok
    assert _contents(url) == original
    from_sqlite = tmp_path / "from-sqlite.tar.gz"
    made = ops.create_backup(from_sqlite, url=url, store=store)
    assert made.manifest["source_dialect"] == "sqlite"
    with pytest.raises(ConflictError):
        ops.restore(from_sqlite)
    report = ops.restore(from_sqlite, force=True)
    assert report.ok, report.chain.summary()
    assert _contents() == original
    # Sequences were reset: new records get fresh ids and the chain goes on.
    session.expunge_all()
    later = advance_to(session, actors, CaseState.IDENTIFICATION)
    session.commit()
    assert (later.id or 0) > max(r["id"] for r in original["case"])
    with Session(get_engine()) as s:
        assert cases.get_case(s, later.id or 0).state == CaseState.IDENTIFICATION.value
    from ivc.audit.service import verify_chain

    with Session(get_engine()) as s:
        assert verify_chain(s).ok


def test_an_edited_backup_with_its_manifest_recomputed_is_refused(session: Session, tmp_path: Path) -> None:
    """Issue #21, point 4: an operator made admin in the archive, table hash and row count
    recomputed in the manifest, gave "archive OK" and restored. The manifest is now authenticated
    with a key outside the archive."""
    _populate(session)
    archive = tmp_path / "ivc.tar.gz"
    ops.create_backup(archive)
    assert ops.check_archive(archive).ok
    with tarfile.open(archive, "r:gz") as tar:
        name = next(m.name for m in tar if m.name.endswith("-user.jsonl"))
        handle = tar.extractfile(name)
        assert handle is not None
        users = handle.read()
    promoted = users.replace(b'"role": "operator"', b'"role": "admin"', 1)
    assert promoted != users

    def forge(member: str, data: bytes) -> bytes:
        if member == "manifest.json":
            manifest = json.loads(data)
            for entry in manifest["tables"]:
                if entry["file"] == name:
                    entry["sha256"] = hashlib.sha256(promoted).hexdigest()
            return json.dumps(manifest).encode()
        return promoted if member == name else data

    forged = tmp_path / "forged.tar.gz"
    _rewrite(archive, forged, forge)
    check = ops.check_archive(forged)
    assert check.problems == ["the manifest was changed after the backup was made (its authentication does not match)"]
    url, store = _target(tmp_path)
    with pytest.raises(IntegrityFailure, match="nothing was restored"):
        ops.restore(forged, url=url, store=store)

    def strip(member: str, data: bytes) -> bytes:
        if member == "manifest.json":
            return json.dumps({k: v for k, v in json.loads(data).items() if k != "authentication"}).encode()
        return data

    stripped = tmp_path / "stripped.tar.gz"
    _rewrite(archive, stripped, strip)
    assert any("not authenticated" in p for p in ops.check_archive(stripped).problems)
