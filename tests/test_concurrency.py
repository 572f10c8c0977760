"""Two people editing one case at once: one wins, the other gets a clear conflict error."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlmodel import Session

from ivc.case import service as cases
from ivc.case.states import Action, CaseState
from ivc.database.core import get_engine, session_scope
from ivc.errors import ConflictError

from .helpers import advance_to, staff


def test_a_stale_version_from_the_screen_is_a_conflict(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.TRANSPARENCY_ISSUED)
    session.commit()
    seen = case.version
    with session_scope() as other:
        theirs = cases.get_case(other, case.id or 0)
        cases.suspend(other, theirs, "in attesa di documenti", date(2030, 1, 1), actors["op3"], expected_version=seen)
    with session_scope() as mine:
        stale = cases.get_case(mine, case.id or 0)
        with pytest.raises(ConflictError, match="reload"):
            cases.transition(mine, stale, Action.REQUEST_VALIDATION, actors["op3"], expected_version=seen)


def test_two_concurrent_transactions_on_one_case_one_wins(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.TRANSPARENCY_ISSUED)
    session.commit()
    case_id = case.id or 0
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def edit(action: Action) -> None:
        s = Session(get_engine(), expire_on_commit=False)
        try:
            loaded = cases.get_case(s, case_id)
            barrier.wait()  # both have read version N before either writes
            cases.transition(s, loaded, action, actors["op3"])
            s.commit()
            outcomes.append("ok")
        except ConflictError:
            s.rollback()
            outcomes.append("conflict")
        except Exception as exc:  # SQLite may report its writer lock instead; still one winner
            s.rollback()
            outcomes.append(f"error:{type(exc).__name__}")
        finally:
            s.close()

    threads = [
        threading.Thread(target=edit, args=(a,)) for a in (Action.REQUEST_VALIDATION, Action.CLOSE_AFTER_TRANSPARENCY)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["conflict", "ok"], outcomes
    with session_scope() as s:
        final = cases.get_case(s, case_id)
        assert final.version == case.version + 1
        assert final.state in (CaseState.VALIDATION.value, CaseState.CLOSED.value)
