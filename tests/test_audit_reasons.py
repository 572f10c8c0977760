"""Withdrawal and suspension reasons may tell health or judicial facts: the case keeps them
encrypted, and the audit log records only that a reason was given (issue #21, point 3)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import text
from sqlmodel import Session, select

from ivc.audit.models import AuditEvent
from ivc.case import service as cases
from ivc.case.states import CaseState

from .helpers import advance_to, staff

HEALTH = "ricovero in psichiatria dopo il rimpatrio"
JUDICIAL = "detenuta presso la casa circondariale"


def test_reasons_stay_out_of_the_audit_log_and_the_raw_database(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    cases.suspend(session, case, HEALTH, date.today() + timedelta(days=30), actors["op3"])
    cases.request_withdrawal(session, case, JUDICIAL, actors["op3"])
    session.commit()
    events = {
        e.action: e.after
        for e in session.exec(select(AuditEvent).where(AuditEvent.case_id == case.id)).all()
        if e.action in ("case.suspended", "case.withdrawal_requested")
    }
    assert events["case.suspended"] == {
        "reason_given": True,
        "reason_chars": len(HEALTH),
        "until": events["case.suspended"]["until"],
    }
    assert events["case.withdrawal_requested"] == {"reason_given": True, "reason_chars": len(JUDICIAL)}
    for table in ("auditevent", "case"):
        dump = " ".join(str(row) for row in session.execute(text(f'SELECT * FROM "{table}"')).all())
        assert "psichiatria" not in dump and "circondariale" not in dump, table
    session.expire_all()
    assert cases.get_case(session, case.id or 0).suspension_reason == HEALTH  # readable through ivc
