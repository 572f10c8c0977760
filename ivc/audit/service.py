"""Write, read and verify audit events. Every write happens in the caller's transaction, so an
audit event exists exactly when the change it describes was committed; the event gets its place
in the hash chain at that commit (``ivc.audit.sealing``). Reads of special-category data are
logged with ``record_read`` (which fields, never their values)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from ivc.audit import sealing
from ivc.audit.chain import ChainReport, verify_rows
from ivc.audit.models import AuditEvent, AuditHead
from ivc.auth.roles import Actor

SPECIAL_READ = "person.special_read"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    entity: str,
    entity_id: Any = None,
    case_id: int | None = None,
    territory: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    on_behalf_of: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor=actor.username,
        actor_role=actor.role.value,
        on_behalf_of=on_behalf_of,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        case_id=case_id,
        territory=territory,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
    )
    session.add(event)
    sealing.track(session, event)
    return event


def record_read(
    session: Session,
    actor: Actor,
    *,
    entity: str,
    entity_id: Any,
    fields: list[str],
    territory: str | None = None,
    case_id: int | None = None,
    count: int | None = None,
    action: str = SPECIAL_READ,
) -> AuditEvent:
    """Log that ``actor`` looked at special-category ``fields`` (health, vulnerability, judicial)
    of one record: the names of the fields, never their values. Logged even if the caller's
    transaction then rolls back or is closed without a commit."""
    after: dict[str, Any] = {"fields": sorted(set(fields))}
    if count is not None:
        after["count"] = count
    event = record(
        session, actor, action, entity=entity, entity_id=entity_id, case_id=case_id, territory=territory, after=after
    )
    sealing.keep_read(session, event)
    return event


def events_for_case(session: Session, case_id: int) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)  # type: ignore[arg-type]
        )
    )


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the whole chain in sequence order (in batches, so memory stays flat) and report the
    count and head, or the first broken link. Reads plain rows: the session's objects are left alone."""
    events = AuditEvent.__table__  # type: ignore[attr-defined]

    def chained() -> Iterator[dict[str, Any]]:
        last = 0
        while True:
            stmt = sa_select(events).where(events.c.seq > last).order_by(events.c.seq).limit(batch)
            page = [dict(r) for r in session.execute(stmt).mappings()]
            if not page:
                return
            yield from page
            last = int(page[-1]["seq"])

    unchained = [
        dict(r)
        for r in session.execute(
            sa_select(events).where(events.c.seq.is_(None)).order_by(events.c.id).limit(10)
        ).mappings()
    ]
    heads = AuditHead.__table__  # type: ignore[attr-defined]
    head = session.execute(sa_select(heads.c.seq, heads.c.hash).where(heads.c.id == 1)).mappings().first()
    return verify_rows(chained(), None if head is None else dict(head), unchained)


def hash_at(session: Session, seq: int) -> str | None:
    """The stored hash of one chain position (to check an anchor kept outside the database)."""
    events = AuditEvent.__table__  # type: ignore[attr-defined]
    value = session.execute(sa_select(events.c.hash).where(events.c.seq == seq)).scalar()
    return None if value is None else str(value)
