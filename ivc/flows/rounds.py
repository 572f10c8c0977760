"""The loop both ways of running the automated steps share: run what each case's phase needs,
again while a case moved into another phase, until every case waits for a person.

``advance_cases`` (``ivc.flows.advance``) runs it through the Prefect phase flows; ``advance_now``
runs the same idempotent per-case steps in the calling process, without Prefect. The interface
uses the latter for the case a person has just changed (see docs/ARCHITECTURE.md): the result is
on screen at once and nobody waits for a Prefect server to start."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping
from typing import TypeVar

from sqlmodel import col, select

from ivc.case.models import Case
from ivc.case.states import CaseState
from ivc.database.core import session_scope
from ivc.flows import tasks

P = TypeVar("P", bound=Hashable)

# The per-case work of each phase, as the phase flows run it (ivc.flows.phases).
STEP_OF: dict[CaseState, Callable[[int], str | None]] = {
    CaseState.ACCESS: tasks.access_case,
    CaseState.IDENTIFICATION: tasks.identification_case,
    CaseState.TRANSPARENCY_ISSUED: tasks.identification_case,
    CaseState.VALIDATION: tasks.request_case,
    CaseState.VALIDATION_ISSUED: tasks.request_case,
    CaseState.CERTIFICATION_QUEUE: tasks.request_case,
    CaseState.EXAM: tasks.request_case,
}


def states_of(case_ids: list[int]) -> dict[int, CaseState]:
    with session_scope() as session:
        rows = session.exec(select(Case.id, Case.state).where(col(Case.id).in_(case_ids))).all()
    return {cid: CaseState(state) for cid, state in rows if cid is not None}


def advance_with(
    case_ids: list[int],
    phase_of: Mapping[CaseState, P],
    run: Callable[[P, list[int]], dict[int, str | None]],
    max_rounds: int = 3,
) -> dict[int, str | None]:
    """Group the cases by the phase their state needs, ``run`` each group, repeat for the cases
    that moved on to another phase. Returns what each case now waits for."""
    waiting: dict[int, str | None] = {}
    pending = sorted(set(case_ids))
    for _ in range(max_rounds):
        if not pending:
            break
        before = states_of(pending)
        groups: dict[P, list[int]] = defaultdict(list)
        for cid, state in before.items():
            phase = phase_of.get(state)
            if phase is None:
                waiting[cid] = None
            else:
                groups[phase].append(cid)
        for phase, ids in groups.items():
            waiting.update(run(phase, ids))
        after = states_of(pending)
        pending = [cid for cid in pending if after.get(cid) != before.get(cid) and after.get(cid) in phase_of]
    return waiting


def advance_now(case_ids: list[int], max_rounds: int = 3) -> dict[int, str | None]:
    """The automated steps of these cases, here and now, without Prefect."""

    def run(step: Callable[[int], str | None], ids: list[int]) -> dict[int, str | None]:
        return {cid: tasks.run_isolated(step, cid) for cid in ids}

    return advance_with(case_ids, STEP_OF, run, max_rounds)
