"""``advance_cases``: run the phase flows that a set of cases needs, until each waits for a person.

This is what an interface calls after recording a human step, and what a scheduler or an
operator reruns after a crash: it reads everything it needs from the database.
"""

from __future__ import annotations

from prefect import Flow, flow

from ivc.case.states import CaseState
from ivc.flows.phases import access_flow, certification_flow, identification_flow, validation_flow
from ivc.flows.rounds import advance_with

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


@flow(name="ivc-advance")
def advance_cases(case_ids: list[int], max_rounds: int = 3) -> dict[int, str | None]:
    """Run each case's phase flow; repeat while a flow moved a case into another phase."""
    return advance_with(case_ids, PHASE_OF, lambda phase, ids: phase(ids), max_rounds)
