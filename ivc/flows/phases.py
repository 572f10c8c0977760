"""One flow per phase of the IVC path. Each takes a batch of case ids (many small runs are slow
on Prefect; a batch per run is not) and returns, per case, the human step it now waits for.
The cases of a batch run one after the other inside the flow run (``ivc.flows.tasks``); an error
in one case is recorded on that case and the batch goes on (``tasks.run_isolated``)."""

from __future__ import annotations

from prefect import flow

from ivc.flows import tasks


@flow(name="ivc-access")
def access_flow(case_ids: list[int]) -> dict[int, str | None]:
    """Accoglienza: prepare the service agreement, then wait for consent, signature and the
    admissibility decision."""
    out: dict[int, str | None] = {}
    for case_id in case_ids:
        out[case_id] = tasks.run_isolated(tasks.access_case, case_id)
    return out


@flow(name="ivc-identification")
def identification_flow(case_ids: list[int]) -> dict[int, str | None]:
    """Individuazione e messa in trasparenza: suggest competences from the interview texts;
    issue the transparency document when it was requested."""
    out: dict[int, str | None] = {}
    for case_id in case_ids:
        out[case_id] = tasks.run_isolated(tasks.identification_case, case_id)
    return out


@flow(name="ivc-validation")
def validation_flow(case_ids: list[int]) -> dict[int, str | None]:
    """Validazione: issue the validation document when ALFA asked for it; otherwise wait for
    assessments and decisions."""
    out: dict[int, str | None] = {}
    for case_id in case_ids:
        out[case_id] = tasks.run_isolated(tasks.request_case, case_id)
    return out


@flow(name="ivc-certification")
def certification_flow(case_ids: list[int]) -> dict[int, str | None]:
    """Certificazione: wait for the exam, then issue the certificate when ALFA asked for it."""
    out: dict[int, str | None] = {}
    for case_id in case_ids:
        out[case_id] = tasks.run_isolated(tasks.request_case, case_id)
    return out
