"""``advance_cases``: run the phase flows that a set of cases needs, until each waits for a person.

This is what an interface calls after recording a human step, and what a scheduler or an
operator reruns after a crash: it reads everything it needs from the database.
"""

from __future__ import annotations

from collections import defaultdict

from prefect import Flow, flow
from sqlmodel import col, select

from ivc.case.models import Case
from ivc.case.states import CaseState
from ivc.database.core import session_scope
from ivc.flows.phases import access_flow, certification_flow, identification_flow, validation_flow

PhaseFlow = Flow[[list[int]], dict[int, str | None]]

PHASE_OF: dict[CaseState, PhaseFlow] = {
    CaseState.ACCESS: access_flow,
    CaseState.IDENTIFICATION: identification_flow,
    CaseState.TRANSPARENCY_ISSUED: identification_flow,
    CaseState.VALIDATION: validation_flow,
    CaseState.VALIDATION_ISSUED: validation_flow,
    CaseState.CERTIFICATION_QUEUE: certification_flow,
    CaseState.EXAM: certification_flow,
}


def _states(case_ids: list[int]) -> dict[int, CaseState]:
    with session_scope() as session:
        rows = session.exec(select(Case.id, Case.state).where(col(Case.id).in_(case_ids))).all()
    return {cid: CaseState(state) for cid, state in rows if cid is not None}


@flow(name="ivc-advance")
def advance_cases(case_ids: list[int], max_rounds: int = 3) -> dict[int, str | None]:
    """Run each case's phase flow; repeat while a flow moved a case into another phase."""
    waiting: dict[int, str | None] = {}
    pending = sorted(set(case_ids))
    for _ in range(max_rounds):
        if not pending:
            break
        before = _states(pending)
        groups: dict[PhaseFlow, list[int]] = defaultdict(list)
        for cid, state in before.items():
            phase = PHASE_OF.get(state)
            if phase is None:
                waiting[cid] = None
            else:
                groups[phase].append(cid)
        for phase, ids in groups.items():
            waiting.update(phase(ids))
        after = _states(pending)
        pending = [cid for cid in pending if after.get(cid) != before.get(cid) and after.get(cid) in PHASE_OF]
    return waiting
