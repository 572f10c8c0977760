"""Give audit events their chain position when their transaction commits.

A ``before_commit`` hook on every ORM session: it flushes the transaction's own changes first
(so every other row lock is already held), then locks the single ``audithead`` row as the last
lock of the transaction (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the transaction
already holds the database's write lock because its events are flushed), numbers and hashes the
transaction's events in the order they were recorded, and moves the head. Concurrent writers
queue on the head row only for the instant between that lock and their commit; a rollback undoes
the head move with everything else, so positions have no gaps and follow commit order.

Reads recorded with ``record_read`` are kept aside too: when the caller's transaction ends
without a commit (a read-only screen, an error), they are written in a transaction of their own
after it, so a look at special-category data is logged whatever the caller does next.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Integer, String, bindparam, column, event, inspect, select, update, values
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.attributes import set_committed_value

from ivc.audit.chain import GENESIS, event_hash
from ivc.audit.models import AuditEvent, AuditHead

log = logging.getLogger(__name__)

_PENDING = "ivc_audit_pending"
_READS = "ivc_audit_reads"


def _fields(ev: AuditEvent) -> dict[str, Any]:
    return {name: getattr(ev, name) for name in AuditEvent.model_fields}


def track(session: Session, ev: AuditEvent) -> None:
    """Queue an event for chaining in the order it was recorded (``record`` calls this)."""
    session.info.setdefault(_PENDING, []).append(ev)


def _collect(session: Session, _flush_context: Any = None, _instances: Any = None) -> None:
    """before_flush: also catch events added to the session without ``record``."""
    pending: list[AuditEvent] = session.info.setdefault(_PENDING, [])
    seen = {id(e) for e in pending}
    pending.extend(obj for obj in session.new if isinstance(obj, AuditEvent) and id(obj) not in seen)


def _lock_head(session: Session) -> tuple[int, str]:
    # Plain columns through Core, not an ORM object: a session that outlives its commits must
    # never reuse a head it read earlier.
    conn = session.connection()
    heads = AuditHead.__table__  # type: ignore[attr-defined]
    stmt = select(heads.c.seq, heads.c.hash).where(heads.c.id == 1).with_for_update()
    head = conn.execute(stmt).first()
    if head is None:
        # First event ever, or the head row was wiped: continue from the last chained event.
        events = AuditEvent.__table__  # type: ignore[attr-defined]
        last = conn.execute(
            select(events.c.seq, events.c.hash).where(events.c.seq.is_not(None)).order_by(events.c.seq.desc()).limit(1)
        ).first()
        seq, digest = (int(last[0]), str(last[1])) if last else (0, GENESIS)
        make_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        conn.execute(
            make_insert(heads).values(id=1, seq=seq, hash=digest).on_conflict_do_nothing()
        )  # racing first writer
        head = conn.execute(stmt).one()
    return int(head[0]), str(head[1])


def seal(session: Session) -> int:
    """Chain the transaction's unchained events now; returns how many were chained."""
    pending: list[AuditEvent] = session.info.get(_PENDING, [])
    if not pending and not any(isinstance(o, AuditEvent) for o in session.new):
        return 0
    session.flush()  # every other change (and its row locks) before the head lock
    pending = [
        ev for ev in session.info.get(_PENDING, []) if inspect(ev).persistent and ev.hash is None and ev.seq is None
    ]
    session.info[_PENDING] = []
    if not pending:
        return 0
    seq, prev = _lock_head(session)
    chained = []
    for ev in pending:
        seq += 1
        fields = _fields(ev) | {"seq": seq, "prev_hash": prev}
        prev = event_hash(fields)
        chained.append({"_id": ev.id, "seq": seq, "prev_hash": fields["prev_hash"], "hash": prev})
        # The rows are written below in one statement; the objects only need to show the values.
        for name in ("seq", "prev_hash", "hash"):
            set_committed_value(ev, name, chained[-1][name])
    conn = session.connection()  # Core statements: the ORM's bookkeeping is not needed here
    _write_positions(conn, chained)
    heads = AuditHead.__table__  # type: ignore[attr-defined]
    conn.execute(update(heads).where(heads.c.id == 1).values(seq=seq, hash=prev))
    return len(pending)


def _write_positions(conn: Connection, chained: list[dict[str, Any]]) -> None:
    table = AuditEvent.__table__  # type: ignore[attr-defined]
    if conn.dialect.name == "postgresql" and len(chained) > 1:
        # One round trip for all of them: UPDATE … FROM (VALUES …).
        rows = values(
            column("vid", Integer), column("vseq", Integer), column("vprev", String), column("vhash", String), name="v"
        ).data([(c["_id"], c["seq"], c["prev_hash"], c["hash"]) for c in chained])
        conn.execute(
            update(table)
            .where(table.c.id == rows.c.vid)
            .values(seq=rows.c.vseq, prev_hash=rows.c.vprev, hash=rows.c.vhash)
        )
        return
    conn.execute(
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values(seq=bindparam("seq"), prev_hash=bindparam("prev_hash"), hash=bindparam("hash")),
        chained,
    )


def _before_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint: the outer commit chains everything once
    seal(session)


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released: the outer transaction's events still wait for its commit
    session.info.pop(_PENDING, None)
    session.info.pop(_READS, None)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    session.info.pop(_PENDING, None)
    reads: list[dict[str, Any]] = session.info.pop(_READS, [])
    if reads:
        _write_reads_apart(session, reads)


def _write_reads_apart(session: Session, reads: list[dict[str, Any]]) -> None:
    """The caller ended without committing: log its reads in a transaction of their own."""
    bind = session.bind
    try:
        with Session(bind) as own:
            for fields in reads:
                own.add(AuditEvent(**fields))
            own.commit()
    except Exception:  # logging the read must not hide the caller's own error
        log.exception("could not record %d special-category read(s) in the audit log", len(reads))


def keep_read(session: Session, ev: AuditEvent) -> None:
    """Remember a read event so it survives the caller's rollback (see module docstring)."""
    fields = {k: v for k, v in _fields(ev).items() if k not in ("id", "seq", "prev_hash", "hash")}
    session.info.setdefault(_READS, []).append(fields)


_HOOKS = (
    ("before_flush", _collect),
    ("before_commit", _before_commit),
    ("after_commit", _after_commit),
    ("after_transaction_end", _after_transaction_end),
)


def install() -> None:
    for name, fn in _HOOKS:
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)


def uninstall() -> None:
    for name, fn in _HOOKS:
        if event.contains(Session, name, fn):
            event.remove(Session, name, fn)


@contextmanager
def unchained() -> Iterator[None]:
    """Only for measuring the cost of chaining (bench/audit.py); never in the application."""
    uninstall()
    try:
        yield
    finally:
        install()


install()
