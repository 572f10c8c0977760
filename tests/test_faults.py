"""Faults around the evidence store and the database: a full disk, a process killed in the middle
of an upload, the database dropping every connection while people work. After each, retrying the
same operation completes, and nothing is lost or duplicated.

(A flow killed mid-way and a document issuance killed before its commit: tests/test_crash_recovery.py.)
"""

from __future__ import annotations

import errno
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.pool import NullPool
from sqlmodel import Session, func, select

from ivc.audit.models import AuditEvent
from ivc.audit.service import verify_chain
from ivc.auth.roles import Actor
from ivc.case import service as cases
from ivc.case.models import Case
from ivc.case.states import CaseState
from ivc.config import get_settings
from ivc.crypto import keys
from ivc.database.core import session_scope
from ivc.errors import StorageFull
from ivc.evidence import service as evidence
from ivc.evidence import storage
from ivc.evidence.models import EvidenceItem, EvidenceKind, EvidenceType
from ivc.person.models import Person
from ivc.person.service import register_person

from .helpers import TARGET, advance_to, person_in, staff

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[1]


def _statement(size: int, who: str) -> bytes:
    """A plain-text employer statement of about ``size`` bytes (several store chunks when large),
    its own content for each test: the store outlives the database between tests."""
    line = f"Dichiarazione del datore per {who}: ha lavorato in cucina e pulito il pesce.\n".encode()
    return line * (size // len(line) + 1)


def _case_with_staff(session: Session) -> tuple[int, Actor]:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    session.commit()
    return case.id or 0, actors["op3"]


def _upload(case_id: int, data: bytes, actor: Actor) -> int:
    with session_scope() as s:
        item = evidence.add_evidence(
            s,
            cases.get_case(s, case_id),
            data,
            title="Dichiarazione del datore",
            evidence_type=EvidenceType.EMPLOYER_STATEMENT,
            media_type="text/plain",
            actor=actor,
        )
        return item.id or 0


def _evidence_rows(case_id: int) -> tuple[int, int]:
    """(evidence items, "evidence.added" audit events) committed for the case."""
    with session_scope() as s:
        items = s.exec(select(func.count()).select_from(EvidenceItem).where(EvidenceItem.case_id == case_id)).one()
        added = s.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.case_id == case_id, AuditEvent.action == "evidence.added")
        ).one()
    return int(items), int(added)


def _tmp_files() -> set[str]:
    storage.get_store()  # makes the directories on first use
    return {p.name for p in (get_settings().resolved_evidence_dir / "tmp").iterdir()}


def _assert_uploaded_once(case_id: int, data: bytes, actor: Actor) -> None:
    """The retried upload lands, a second identical one is the same item, and the blob reads back verified."""
    first = _upload(case_id, data, actor)
    assert _upload(case_id, data, actor) == first
    assert _evidence_rows(case_id) == (1, 1)
    store = storage.get_store()
    key = hashlib.sha256(data).hexdigest()
    assert store.get(key) == data  # opens and checks the hash
    assert list(store.iter_keys()).count(key) == 1


# -- a full disk in the evidence store ---------------------------------------------------------


def _full_while_writing(code: int) -> Callable[..., None]:
    def write(out: object, chunk: bytes | memoryview) -> None:
        out.write(chunk[: len(chunk) // 2])  # type: ignore[attr-defined]
        raise OSError(code, os.strerror(code))

    return write


def _full_at_fsync(code: int) -> Callable[[int], None]:
    def fsync(_fd: int) -> None:  # delayed allocation, NFS: the space runs out only at the flush
        raise OSError(code, os.strerror(code))

    return fsync


@pytest.mark.parametrize(
    ("code", "where"),
    [(errno.ENOSPC, "write"), (errno.EDQUOT, "write"), (errno.ENOSPC, "fsync")],
    ids=["no-space-while-writing", "quota-while-writing", "no-space-at-fsync"],
)
def test_a_full_evidence_store_refuses_the_upload_clearly_keeps_nothing_and_takes_it_once_freed(
    session: Session, monkeypatch: pytest.MonkeyPatch, code: int, where: str
) -> None:
    case_id, op = _case_with_staff(session)
    data = _statement(3 * 1024 * 1024, f"{errno.errorcode[code]} at {where}")
    keys.current()  # the data key exists already: only the blob write meets the full disk
    before = _tmp_files()

    with monkeypatch.context() as full:
        if where == "write":
            full.setattr(storage, "_write_chunk", _full_while_writing(code))
        else:
            full.setattr(storage.os, "fsync", _full_at_fsync(code))
        with pytest.raises(StorageFull, match="no space left") as refused:
            _upload(case_id, data, op)
    assert refused.value.code == "storage_full"
    assert isinstance(refused.value.__cause__, OSError) and refused.value.__cause__.errno == code

    assert _evidence_rows(case_id) == (0, 0)
    assert not storage.get_store().exists(hashlib.sha256(data).hexdigest())
    assert _tmp_files() == before  # no partial file left behind

    # Space freed: the same upload goes through, once.
    _assert_uploaded_once(case_id, data, op)


# -- a process killed during an upload ---------------------------------------------------------

_UPLOADER = """
import sys
from ivc.auth.service import get_actor
from ivc.case import service as cases
from ivc.database.core import session_scope
from ivc.evidence import service as evidence
from ivc.evidence.models import EvidenceType

case_id, path = int(sys.argv[1]), sys.argv[2]
with session_scope() as s:
    evidence.add_evidence(
        s,
        cases.get_case(s, case_id),
        open(path, "rb").read(),
        title="Dichiarazione del datore",
        evidence_type=EvidenceType.EMPLOYER_STATEMENT,
        media_type="text/plain",
        actor=get_actor(s, "op3"),
    )
"""


def test_an_upload_killed_mid_write_leaves_no_blob_or_record_and_the_retry_lands_once(
    session: Session, tmp_path: Path
) -> None:
    case_id, op = _case_with_staff(session)
    data = _statement(3 * 1024 * 1024, "the killed upload")
    source = tmp_path / "dichiarazione.txt"
    source.write_bytes(data)
    keys.current()  # created here, not by the process about to die
    before = _tmp_files()

    env = {**os.environ, "IVC_FAILPOINT": "evidence_mid_write", "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-c", _UPLOADER, str(case_id), str(source)],
        env=env,
        cwd=REPO,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode(errors="replace")

    # The process died with part of the blob on disk, in a temporary file only.
    leftovers = _tmp_files() - before
    assert len(leftovers) == 1
    partial = get_settings().resolved_evidence_dir / "tmp" / leftovers.pop()
    assert 0 < partial.stat().st_size < len(data)
    key = hashlib.sha256(data).hexdigest()
    store = storage.get_store()
    assert not store.exists(key) and key not in set(store.iter_keys())
    assert _evidence_rows(case_id) == (0, 0)

    _assert_uploaded_once(case_id, data, op)

    # The temporary file of the dead process is swept once nobody can still be writing it.
    a_day_ago = time.time() - 2 * 24 * 3600
    os.utime(partial, (a_day_ago, a_day_ago))
    storage.get_store()
    assert not partial.exists()


# -- the database drops every connection under load --------------------------------------------

_DROPPED = (OperationalError, InterfaceError)


def _retrying(op: Callable[[Session], T], retried: list[int]) -> T:
    """What an interface does when the database goes away: redo the whole unit of work."""
    for attempt in range(30):
        try:
            with session_scope() as s:
                return op(s)
        except _DROPPED:
            retried.append(1)
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("the database did not come back")


def _open_case_once(cf: str, actor: Actor) -> Callable[[Session], int]:
    def op(s: Session) -> int:
        # The codice fiscale makes the intake idempotent: a commit whose reply was lost is found
        # here on the retry instead of registering the person twice.
        person = s.exec(select(Person).where(Person.codice_fiscale == cf)).first()
        if person is not None:
            return s.exec(select(Case.id).where(Case.person_id == person.id)).one()  # type: ignore[return-value]
        person = register_person(s, person_in(codice_fiscale=cf), actor)
        return cases.open_case(s, person, [TARGET], actor, mediator="med").id or 0

    return op


def _add_note_once(case_id: int, note: bytes, actor: Actor) -> Callable[[Session], int]:
    def op(s: Session) -> int:
        item = evidence.add_evidence(
            s,
            cases.get_case(s, case_id),
            note,
            title="Nota del colloquio",
            evidence_type=EvidenceType.INTERVIEW_NOTE,
            media_type="text/plain",
            actor=actor,
            kind=EvidenceKind.NOTE,
        )
        return item.id or 0

    return op


def _drop_all_connections(url: str) -> int:
    """End every other session on our database, as a server restart would, leaving other
    databases on the machine alone."""
    killer = create_engine(url, poolclass=NullPool)
    try:
        with killer.connect() as conn:
            ended = conn.execute(
                text(
                    "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()) t WHERE ended"
                )
            ).scalar_one()
    finally:
        killer.dispose()
    return int(ended)


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    url = get_settings().resolved_database_url
    if not url.startswith("postgresql"):
        pytest.skip("drops server connections: needs IVC_TEST_DATABASE_URL on PostgreSQL")
    yield url


def test_work_survives_the_database_dropping_every_connection_without_loss_or_duplicates(
    postgres_url: str,
) -> None:
    with session_scope() as s:
        op = staff(s)["op3"]
    threads_n, per_thread = 4, 8
    done: list[tuple[str, int, int]] = []  # (codice fiscale, case id, evidence id) reported as saved
    retried: list[int] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        try:
            for i in range(per_thread):
                cf = f"9{n:02d}{i:08d}"
                case_id = _retrying(_open_case_once(cf, op), retried)
                note = f"Colloquio {cf}: racconta sei anni di lavoro in cucina.".encode()
                item_id = _retrying(_add_note_once(case_id, note, op), retried)
                with lock:
                    done.append((cf, case_id, item_id))
        except BaseException as exc:  # reported to the main thread, which fails the test
            failures.append(exc)

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads_n)]
    for w in workers:
        w.start()
    ended = 0
    for milestone in (3, 10, 18, 25):  # drop everything a few times while the work is under way
        while len(done) < milestone and any(w.is_alive() for w in workers):
            time.sleep(0.01)
        ended += _drop_all_connections(postgres_url)
    for w in workers:
        w.join(timeout=60)
    assert not any(w.is_alive() for w in workers)
    assert not failures, failures
    assert ended > 0 and retried  # connections really were cut under the workers, mid-transaction

    total = threads_n * per_thread
    assert len(done) == total
    with session_scope() as s:
        persons = s.exec(select(Person.codice_fiscale, Person.id)).all()
        assert sorted(cf for cf, _ in persons) == sorted(cf for cf, _, _ in done)  # each exactly once
        case_rows = s.exec(select(Case.id, Case.person_id)).all()
        assert sorted(c for c, _ in case_rows) == sorted(c for _, c, _ in done)
        assert len({p for _, p in case_rows}) == total  # one case per person: no duplicate intake
        items = s.exec(select(EvidenceItem.id, EvidenceItem.case_id)).all()
        assert sorted(items) == sorted((e, c) for _, c, e in done)

        def events(action: str) -> int:
            return int(s.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)).one())

        assert events("person.registered") == events("case.opened") == events("evidence.added") == total
        report = verify_chain(s)
        assert report.ok, report
    # The pool recovered (stale connections are pinged and replaced): fresh work needs no retry.
    _drop_all_connections(postgres_url)
    fresh: list[int] = []
    assert _retrying(lambda s: int(s.exec(select(func.count()).select_from(Case)).one()), fresh) == total
    assert not fresh
