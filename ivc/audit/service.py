"""Write and read audit events. Every write happens in the caller's transaction, so an audit
event exists exactly when the change it describes was committed."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlmodel import Session, select

from ivc.audit.models import AuditEvent
from ivc.auth.roles import Actor


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
    return event


def events_for_case(session: Session, case_id: int) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)  # type: ignore[arg-type]
        )
    )
