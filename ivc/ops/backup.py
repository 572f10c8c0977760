"""Backup and restore: the database and the evidence store in one archive.

The archive (``tar.gz``) holds, in this order: ``manifest.json`` (ivc version, Alembic revision,
creation time, each table's row count and SHA-256, every blob's SHA-256 and size, the audit chain's
head), one JSON-lines file per table (a portable logical dump: a SQLite backup restores into
PostgreSQL and back), and the blobs of evidence and issued documents, read through the
``EvidenceStore`` interface so the local and the S3 store both work. The database is read from
one consistent snapshot; the archive is written to a temporary name and renamed, so a crash never
leaves a half archive under the final name.

Restore checks the whole archive before it touches anything, refuses a target that holds data
(unless forced) or has another schema revision, loads every row with its id in one transaction,
resets PostgreSQL sequences, re-imports the blobs, and then checks that every stored file matches
its hash and that the audit chain verifies.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Connection, Date, DateTime, Integer, LargeBinary, Numeric, Table, Time, create_engine, text
from sqlalchemy import select as sa_select
from sqlalchemy.engine import make_url
from sqlalchemy.types import Float, TypeDecorator
from sqlmodel import Session, SQLModel

import ivc
from ivc.audit.chain import ChainReport, verify_rows
from ivc.errors import ConflictError, DomainError, IntegrityFailure, NotFound, ValidationFailed
from ivc.evidence.storage import EvidenceStore, get_store
from ivc.ops import manifest_auth
from ivc.private_files import private_file

FORMAT = "ivc-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_BATCH = 1000
# What ``ivc db upgrade`` puts in a new database: a target holding only these counts as empty.
_BOOTSTRAP_TABLES = frozenset(
    {
        "territory",
        "framework",
        "frameworklabel",
        "escoconcept",
        "escorelation",
        "importrecord",
        "competence",
        "qualification",
        "user",
    }
)
_BUILT_IN_USERS = ("system", "admin")


@dataclass
class ArchiveCheck:
    manifest: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    blobs: int = 0
    blob_bytes: int = 0
    chain: ChainReport | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and (self.chain is None or self.chain.ok)


@dataclass
class RestoreReport:
    rows: dict[str, int]
    blobs_imported: int
    blobs_checked: int
    blob_problems: list[str]
    chain: ChainReport

    @property
    def ok(self) -> bool:
        return not self.blob_problems and self.chain.ok


# --- the schema, as the code knows it ---------------------------------------------------------


def tables() -> list[Table]:
    """Every table in foreign-key order, the audit head before the events (for a one-pass check)."""
    import ivc.models  # noqa: F401  (registers every table)

    ordered = list(SQLModel.metadata.sorted_tables)
    names = [t.name for t in ordered]
    if "audithead" in names and "auditevent" in names:
        head = ordered.pop(names.index("audithead"))
        ordered.insert([t.name for t in ordered].index("auditevent"), head)
    return ordered


def _kind(column: Any) -> str:
    col_type = column.type
    if isinstance(col_type, TypeDecorator):
        col_type = col_type.impl_instance
    if isinstance(col_type, JSON):
        return "json"
    if isinstance(col_type, DateTime):
        return "datetime"
    if isinstance(col_type, Date):
        return "date"
    if isinstance(col_type, Time):
        return "time"
    if isinstance(col_type, LargeBinary):
        return "bytes"
    if isinstance(col_type, Numeric) and not isinstance(col_type, Float | Integer):
        return "decimal"
    return "plain"


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value


def _decode(kind: str, value: Any) -> Any:
    if value is None or kind in ("plain", "json"):
        return value
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "time":
        return time.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value)
    return Decimal(value)


def code_revision() -> str:
    from ivc.database.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return str(head)


def _db_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def _blob_sizes(conn: Connection) -> dict[str, int]:
    """Every stored file the database refers to: evidence and issued documents."""
    sizes: dict[str, int] = {}
    for name in ("evidenceitem", "issueddocument"):
        for key, size in conn.execute(text(f"SELECT sha256, size FROM {name}")):
            sizes[str(key)] = int(size)
    return dict(sorted(sizes.items()))


# --- backup -----------------------------------------------------------------------------------


@contextlib.contextmanager
def _snapshot(url: str) -> Iterator[Connection]:
    """A connection that sees one consistent state of the whole database."""
    if url.startswith("sqlite"):
        source = make_url(url).database or ""
        with tempfile.TemporaryDirectory(prefix="ivc-backup-") as work:
            copy = Path(work) / "snapshot.sqlite3"
            src, dst = sqlite3.connect(source), sqlite3.connect(copy)
            try:
                src.backup(dst)  # SQLite's online backup: a consistent copy while others write
            finally:
                src.close()
                dst.close()
            engine = create_engine(f"sqlite:///{copy}")
            try:
                with engine.connect() as conn:
                    yield conn
            finally:
                engine.dispose()
        return
    from ivc.database.core import get_engine

    with get_engine(url).connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def _dump_table(conn: Connection, table: Table, out: IO[bytes]) -> tuple[int, str]:
    stmt = sa_select(table)
    if table.name == "auditevent":  # chain order, so the archive's chain can be checked in one pass
        stmt = stmt.order_by(table.c.seq.is_(None), table.c.seq, table.c.id)
    else:
        stmt = stmt.order_by(*table.primary_key.columns)
    digest = hashlib.sha256()
    count = 0
    for row in conn.execute(stmt).mappings():
        line = (json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False, sort_keys=True) + "\n").encode()
        digest.update(line)
        out.write(line)
        count += 1
    return count, digest.hexdigest()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


def create_backup(
    path: Path, *, url: str | None = None, store: EvidenceStore | None = None, overwrite: bool = False
) -> ArchiveCheck:
    """Write the archive at ``path``; returns what it holds. Refuses to overwrite unless asked,
    and refuses if a referenced file is missing or damaged in the store (the backup would be
    incomplete)."""
    from ivc.config import get_settings
    from ivc.database.core import utcnow

    path = Path(path)
    if path.exists() and not overwrite:
        raise ValidationFailed(f"{path} exists: choose another name or replace it with --force", field="path")
    path.parent.mkdir(parents=True, exist_ok=True)
    url = url or get_settings().resolved_database_url
    store = store or get_store()
    result = ArchiveCheck()
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        with tempfile.TemporaryDirectory(prefix="ivc-backup-") as work, _snapshot(url) as conn:
            revision = _db_revision(conn)
            if revision != code_revision():
                raise DomainError(
                    f"the database is at schema revision {revision}, this ivc expects {code_revision()}: "
                    "run `ivc db upgrade` first"
                )
            table_entries: list[dict[str, Any]] = []
            for i, table in enumerate(tables()):
                file = Path(work) / f"{i:03d}-{table.name}.jsonl"
                with file.open("wb") as out:
                    rows, digest = _dump_table(conn, table, out)
                table_entries.append({"name": table.name, "file": f"db/{file.name}", "rows": rows, "sha256": digest})
                result.rows[table.name] = rows
            sizes = _blob_sizes(conn)
            with Session(bind=conn) as s:
                from ivc.audit.service import verify_chain

                result.chain = verify_chain(s)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "ivc_version": ivc.__version__,
                "alembic_revision": revision,
                "created_at": utcnow().isoformat(),
                "source_dialect": conn.dialect.name,
                "tables": table_entries,
                "blobs": [{"sha256": k, "size": n} for k, n in sizes.items()],
                "audit": {
                    "count": result.chain.count,
                    "head_seq": result.chain.head_seq,
                    "head_hash": result.chain.head_hash,
                    "verified": result.chain.ok,
                },
            }
            result.manifest = manifest = manifest_auth.seal(manifest)
            private_file(tmp)  # a backup holds everything: readable by its owner only, from the start
            with tarfile.open(tmp, "w:gz", compresslevel=6) as tar:
                _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False).encode())
                for entry in table_entries:
                    tar.add(Path(work) / Path(entry["file"]).name, arcname=entry["file"])
                for key in sizes:
                    try:
                        data = store.get(key)  # verifies the hash
                    except (NotFound, IntegrityFailure) as exc:
                        raise IntegrityFailure(f"cannot back up stored file {key}: {exc}; no archive written") from exc
                    _add_bytes(tar, f"blobs/{key}", data)
                    result.blobs += 1
                    result.blob_bytes += len(data)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
        with contextlib.suppress(OSError):  # make the rename itself durable where the OS allows
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return result


# --- reading and checking an archive -----------------------------------------------------------


def _read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    first = tar.next()
    if first is None or first.name != MANIFEST:
        raise ValidationFailed("not an ivc backup: the archive does not start with manifest.json", field="path")
    handle = tar.extractfile(first)
    assert handle is not None
    manifest: dict[str, Any] = json.loads(handle.read())
    if manifest.get("format") != FORMAT or int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise ValidationFailed(
            f"unsupported archive format {manifest.get('format')} {manifest.get('format_version')}", field="path"
        )
    return manifest


def read_manifest(path: Path) -> dict[str, Any]:
    with _open(path) as tar:
        return _read_manifest(tar)


@contextlib.contextmanager
def _open(path: Path) -> Iterator[tarfile.TarFile]:
    try:
        tar = tarfile.open(path, "r:gz")  # noqa: SIM115  (closed by the with below)
    except FileNotFoundError as exc:
        raise NotFound(f"no archive at {path}", entity="backup", key=str(path)) from exc
    except tarfile.TarError as exc:
        raise ValidationFailed(f"{path} is not a readable backup archive: {exc}", field="path") from exc
    with tar:
        yield tar


class _TableCheck:
    """One table file read once: hashed, counted, copied to the spool; the audit tables are also
    parsed so the archived chain can be verified without holding it in memory."""

    def __init__(self, name: str, out: IO[bytes] | None, head: dict[str, Any] | None) -> None:
        self.name, self.out, self.head = name, out, head
        self.digest = hashlib.sha256()
        self.count = 0
        self.chain: ChainReport | None = None
        self.unchained: list[dict[str, Any]] = []

    def _lines(self, handle: IO[bytes]) -> Iterator[bytes]:
        for line in handle:
            self.digest.update(line)
            self.count += 1
            if self.out:
                self.out.write(line)
            yield line

    def _chained(self, handle: IO[bytes]) -> Iterator[dict[str, Any]]:
        for line in self._lines(handle):
            row = json.loads(line)
            if row.get("seq") is None:
                self.unchained.append(row)
            else:
                yield row

    def read(self, handle: IO[bytes]) -> None:
        if self.name == "auditevent":
            rows = self._chained(handle)
            self.chain = verify_rows(rows, self.head, self.unchained)
            for _ in rows:  # the rest of the file, after a break
                pass
        elif self.name == "audithead":
            for line in self._lines(handle):
                row = json.loads(line)
                self.head = {"seq": row["seq"], "hash": row["hash"]}
        else:
            for _ in self._lines(handle):
                pass


def check_archive(path: Path, *, spool: Path | None = None, store: EvidenceStore | None = None) -> ArchiveCheck:
    """Read the whole archive once: every table file and blob must match the manifest, and the
    archived audit chain must verify. With ``spool``, keep the table files there; with ``store``,
    put every blob whose hash matches into it (content-addressed: a blob already there is kept)."""
    check = ArchiveCheck()
    try:
        with _open(path) as tar:
            manifest = check.manifest = _read_manifest(tar)
            if untrusted := manifest_auth.problem(manifest):
                check.problems.append(untrusted)
            expected_tables = {e["file"]: e for e in manifest["tables"]}
            expected_blobs = {b["sha256"]: int(b["size"]) for b in manifest["blobs"]}
            head: dict[str, Any] | None = None
            seen: set[str] = set()
            for member in tar:
                if member.name == MANIFEST and MANIFEST not in seen:  # read above
                    seen.add(MANIFEST)
                    continue
                handle = tar.extractfile(member)
                if handle is None:
                    check.problems.append(f"unexpected entry {member.name}")
                    continue
                seen.add(member.name)
                if member.name in expected_tables:
                    entry = expected_tables[member.name]
                    out = (spool / Path(member.name).name).open("wb") if spool else None
                    try:
                        table_check = _TableCheck(entry["name"], out, head)
                        table_check.read(handle)
                    finally:
                        if out:
                            out.close()
                    if entry["name"] == "audithead":
                        head = table_check.head
                    if table_check.chain is not None:
                        check.chain = table_check.chain
                    check.rows[entry["name"]] = table_check.count
                    if table_check.digest.hexdigest() != entry["sha256"] or table_check.count != entry["rows"]:
                        check.problems.append(
                            f"table {entry['name']}: content does not match the manifest "
                            f"({table_check.count} rows read, {entry['rows']} expected)"
                        )
                elif member.name.startswith("blobs/") and member.name[6:] in expected_blobs:
                    key = member.name[6:]
                    data = handle.read()
                    if hashlib.sha256(data).hexdigest() != key or len(data) != expected_blobs[key]:
                        check.problems.append(f"stored file {key} is damaged in the archive")
                        continue
                    check.blobs += 1
                    check.blob_bytes += len(data)
                    if store is not None:
                        store.put_bytes(data)
                else:
                    check.problems.append(f"unexpected entry {member.name}")
            for name in expected_tables.keys() - seen:
                check.problems.append(f"table file {name} is missing from the archive")
            for key in expected_blobs.keys() - {n[6:] for n in seen if n.startswith("blobs/")}:
                check.problems.append(f"stored file {key} is missing from the archive")
    except (tarfile.TarError, EOFError, OSError, json.JSONDecodeError) as exc:
        check.problems.append(f"the archive is truncated or unreadable: {exc}")
    return check


# --- restore ----------------------------------------------------------------------------------


def _has_data(conn: Connection) -> list[str]:
    """Tables of the target that hold more than a freshly prepared database does."""
    found = []
    for table in tables():
        if table.name in _BOOTSTRAP_TABLES:
            continue
        if conn.execute(sa_select(table).limit(1)).first() is not None:
            found.append(table.name)
    users = conn.execute(
        text('SELECT COUNT(*) FROM "user" WHERE username NOT IN (:a, :b)'),
        {"a": _BUILT_IN_USERS[0], "b": _BUILT_IN_USERS[1]},
    ).scalar()
    if users:
        found.append("user")
    return found


def _clear(conn: Connection, ordered: list[Table]) -> None:
    if conn.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in ordered)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    for table in reversed(ordered):
        conn.execute(table.delete())


def _load(conn: Connection, table: Table, file: Path) -> int:
    kinds = {c.name: _kind(c) for c in table.columns}
    batch: list[dict[str, Any]] = []
    count = 0
    with file.open("rb") as lines:
        for line in lines:
            raw = json.loads(line)
            batch.append({name: _decode(kinds[name], raw.get(name)) for name in kinds})
            if len(batch) >= _BATCH:
                conn.execute(table.insert(), batch)
                count += len(batch)
                batch = []
    if batch:
        conn.execute(table.insert(), batch)
        count += len(batch)
    return count


def _reset_sequences(conn: Connection, ordered: list[Table]) -> None:
    for table in ordered:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, Integer):
            continue
        quoted = f'"{table.name}"'
        seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": quoted, "c": pk[0].name}).scalar()
        if seq:
            conn.execute(
                text(
                    f'SELECT setval(:s, COALESCE((SELECT MAX("{pk[0].name}") FROM {quoted}), 1), '
                    f'(SELECT MAX("{pk[0].name}") FROM {quoted}) IS NOT NULL)'
                ),
                {"s": seq},
            )


def restore(
    path: Path, *, url: str | None = None, store: EvidenceStore | None = None, force: bool = False
) -> RestoreReport:
    """Replace the target database's content (and add the blobs to its store) with the archive's."""
    from ivc.database.core import get_engine

    path = Path(path)
    engine = get_engine(url)
    store = store or get_store()
    manifest = read_manifest(path)
    with engine.connect() as conn:
        revision = _db_revision(conn)
        if revision != manifest["alembic_revision"]:
            raise DomainError(
                f"the archive is from schema revision {manifest['alembic_revision']} (ivc "
                f"{manifest.get('ivc_version')}), this database is at {revision}: restore with the ivc "
                "version that made the archive, then upgrade"
            )
        busy = _has_data(conn)
        if busy and not force:
            raise ConflictError(
                f"the target database already holds data ({', '.join(busy)}): restore replaces all of it; "
                "use --force to do so"
            )
    ordered = tables()
    with tempfile.TemporaryDirectory(prefix="ivc-restore-") as work:
        check = check_archive(path, spool=Path(work), store=store)
        if check.problems:
            raise IntegrityFailure(
                f"the archive is damaged ({len(check.problems)} problem(s), first: {check.problems[0]}); "
                "nothing was restored"
            )
        files = {e["name"]: Path(work) / Path(e["file"]).name for e in manifest["tables"]}
        unknown = set(files) - {t.name for t in ordered}
        if unknown:
            raise DomainError(f"the archive has tables this ivc does not know: {', '.join(sorted(unknown))}")
        rows: dict[str, int] = {}
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.execute(text("PRAGMA defer_foreign_keys = ON"))
            _clear(conn, ordered)
            for table in ordered:
                if table.name in files:
                    rows[table.name] = _load(conn, table, files[table.name])
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn, ordered)
    return RestoreReport(rows, check.blobs, *integrity(url=url, store=store))


def integrity(*, url: str | None = None, store: EvidenceStore | None = None) -> tuple[int, list[str], ChainReport]:
    """Every file the database refers to is in the store and matches its hash; the audit chain
    verifies. Returns (files checked, problems, chain report)."""
    from ivc.audit.service import verify_chain
    from ivc.database.core import get_engine

    store = store or get_store()
    problems = []
    with get_engine(url).connect() as conn:
        keys = list(_blob_sizes(conn))
    for key in keys:
        try:
            store.get(key)
        except (NotFound, IntegrityFailure) as exc:
            problems.append(str(exc))
    with Session(get_engine(url)) as s:
        chain = verify_chain(s)
    return len(keys), problems, chain
