"""Automated steps of the path, and what a phase does for one case.

Each step takes a case id, opens its own database transaction, and is idempotent: its effects and
its ledger entry commit together, so a rerun after a crash (or a retry) skips what is done and
redoes what was lost. Prefect tracks the phase flows, one run per batch of cases; the cases are
not Prefect tasks. A task run per case cost the Prefect server about as much CPU as the case's
own work (measured with ``ivc scale-test``: docs/BENCHMARKS.md), and what happened to each case
is in ivc's own records (the ``casestep`` ledger and the audit log)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from functools import partial

from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from ivc.agreement import service as agreements
from ivc.auth.roles import SYSTEM_ACTOR
from ivc.auth.service import get_actor
from ivc.case import attention, states
from ivc.case import service as cases
from ivc.case.models import Case
from ivc.case.states import Action, CaseState, DocumentType
from ivc.database.core import session_scope
from ivc.errors import ConflictError, IVCError
from ivc.evidence.models import EvidenceItem
from ivc.evidence.service import evidence_for_case
from ivc.experience.models import Experience
from ivc.experience.service import experiences_for_case
from ivc.faults import failpoint

log = logging.getLogger(__name__)

# The ledger step running now, so that a failure names it (e.g. "suggest-evidence:12").
_current_step: ContextVar[str | None] = ContextVar("ivc_current_step", default=None)


def prepare_agreement(case_id: int) -> None:
    with session_scope() as session:
        case = cases.get_case(session, case_id)
        if case.state != CaseState.ACCESS.value:
            return
        agreements.prepare(session, case, case.interview_language, SYSTEM_ACTOR)


def _once(case_id: int, step: str, work: Callable[[Session, Case], int], after: str | None = None) -> int:
    """Run one suggestion step for a case in its own transaction, unless its ledger says done;
    ``after`` names the failpoint reached once the step has committed."""
    _current_step.set(step)
    with session_scope() as session:
        if cases.step_done(session, case_id, step):
            return 0
        n = work(session, cases.get_case(session, case_id))
        cases.record_step(session, case_id, step, {"created": n})
    if after:
        failpoint(after)
    return n


def suggest_competences(case_id: int) -> int:
    """NLP suggestions for every experience and every evidence text not mapped yet (one ledger
    entry per source, committed with its suggestions)."""
    with session_scope() as session:
        if cases.get_case(session, case_id).state != CaseState.IDENTIFICATION.value:
            return 0
        experiences = experiences_for_case(session, case_id)
        items = evidence_for_case(session, case_id)
    created = 0
    for experience in experiences:
        work = partial(_from_experience, experience=experience)
        created += _once(
            case_id, f"suggest:{experience.id}:{experience.content_key[:16]}", work, after="after_suggestion_commit"
        )
    for item in items:
        created += _once(case_id, f"suggest-evidence:{item.id}", partial(_from_evidence, item=item))
    return created


def _from_experience(session: Session, case: Case, *, experience: Experience) -> int:
    from ivc.mapping.service import suggest_for_experience  # NLP: only flow runs that suggest load it

    return suggest_for_experience(session, case, experience, SYSTEM_ACTOR)


def _from_evidence(session: Session, case: Case, *, item: EvidenceItem) -> int:
    """Suggestions from an evidence file's text, read within limits (``ivc.evidence.extract``):
    a file the parser cannot read gives no suggestions and a note on the case, never an error."""
    from ivc.evidence.extract import extract_text
    from ivc.evidence.storage import get_store

    read = extract_text(get_store().get(item.sha256), item.media_type)
    if read.failed:
        log.warning("case %s: the text of evidence %s cannot be read (%s)", case.id, item.id, read.note)
        attention.note_unreadable_evidence(session, case, item.id or 0, item.title, read.note or "")
        return 0
    if not read.text or not read.text.strip():
        return 0
    from ivc.mapping.service import suggest_for_evidence  # reads the text again, from extract's cache

    return suggest_for_evidence(session, case, item, SYSTEM_ACTOR)


_ISSUED_BY: dict[Action, DocumentType] = {
    Action.ISSUE_TRANSPARENCY: DocumentType.TRANSPARENCY,
    Action.ISSUE_VALIDATION: DocumentType.VALIDATION,
    Action.CERTIFY: DocumentType.CERTIFICATE,
}


def carry_out_request(case_id: int) -> str | None:
    """Carry out a person's pending request (issue a document and move the case), all in one
    transaction. A request that cannot be carried out for a reason of the domain (a guard that no
    longer holds, a document that would lack an element, a refused signature…) is sent back with
    the reason on the case, approved or not, instead of failing again on every rerun; transient
    database errors and conflicts propagate, to be retried."""
    try:
        with session_scope() as session:
            case = cases.get_case(session, case_id)
            if not case.requested_action or not case.requested_by:
                return None
            action = Action(case.requested_action)
            requester = get_actor(session, case.requested_by)
            case_facts = cases.check_transition(session, case, action, requester, skip_document=True)
            if states.awaits_approval(case_facts):
                return None  # four eyes: stays pending until a second reviewer approves
            doc_type = _ISSUED_BY[action]
            if action is not Action.CERTIFY or states.certify_issues_document(case_facts):
                from ivc.document import service as documents  # reportlab: only when a document is due

                documents.issue(session, case, doc_type, requester)
            failpoint("before_issue_commit")
            cases.transition(session, case, action, requester, on_behalf_of=SYSTEM_ACTOR)
            case.attention = None
            session.add(case)
        failpoint("after_issue_commit")
        return action.value
    except ConflictError:
        raise  # someone changed the case meanwhile: the next run sees the new state
    except IVCError as exc:
        log.warning("case %s: request could not be carried out (%s): %s", case_id, exc.code, exc)
        with session_scope() as session:
            cases.fail_request(session, cases.get_case(session, case_id), str(exc), code=exc.code)
        return None


def mark_waiting(case_id: int) -> str | None:
    """Record which human step the case now waits for (derived from its facts)."""
    with session_scope() as session:
        case = cases.get_case(session, case_id)
        nxt = states.next_human_step(cases.facts(session, case))
        if nxt is None:
            return None
        step, role = nxt
        cases.mark_waiting(session, case, step, role)
        return step


def with_retries(step: Callable[[int], str | None], case_id: int) -> str | None:
    """Run one case's steps, again after a transient database error (a dropped connection, a
    deadlock or serialization failure, SQLite busy): every step is idempotent, so a repeat redoes
    only what was lost. Other errors go to the caller: ``run_isolated`` records them on the case."""
    for attempt in range(RETRIES + 1):
        try:
            return step(case_id)
        except OperationalError:
            if attempt == RETRIES:
                raise
            log.warning("case %s: transient database error, retrying (%d/%d)", case_id, attempt + 1, RETRIES)
            time.sleep(RETRY_DELAY_SECONDS)
    return None  # not reached


RETRIES = 2
RETRY_DELAY_SECONDS = 1.0


def run_isolated(step: Callable[[int], str | None], case_id: int) -> str | None:
    """One case of a batch: its steps (``with_retries``), with any error but a database that
    stays down recorded on that case (what failed, when, a reference for support, which the log
    repeats with the traceback) so that the batch goes on with the other cases. A conflict (someone
    changed the case meanwhile) is left to the next run. After a run that went through, an earlier
    step-failure note is cleared."""
    _current_step.set(None)
    try:
        waiting = with_retries(step, case_id)
    except OperationalError:
        raise  # the database is down for every case: stop the batch
    except ConflictError:
        log.info("case %s changed while its steps ran: the next run takes it up", case_id)
        return None
    except Exception as exc:  # one case's failure, whatever it is, must not stop the batch
        ref = uuid.uuid4().hex[:10]
        name = _current_step.get() or step.__name__
        log.exception("case %s: automated step %s failed [ref %s]", case_id, name, ref)
        try:
            with session_scope() as session:
                attention.note_step_failure(session, cases.get_case(session, case_id), name, exc, ref)
        except Exception:  # the failure stays in the log with its reference
            log.exception("case %s: the failure [ref %s] could not be recorded on the case", case_id, ref)
        return None
    try:
        with session_scope() as session:
            attention.clear_step_failure(session, cases.get_case(session, case_id))
    except ConflictError:  # changed meanwhile: the next run clears the note
        log.info("case %s changed meanwhile: its step-failure note is cleared at the next run", case_id)
    return waiting


def access_case(case_id: int) -> str | None:
    """Prepare the service agreement; return the human step the case now waits for."""
    prepare_agreement(case_id)
    return mark_waiting(case_id)


def identification_case(case_id: int) -> str | None:
    """Suggest competences from the interview and evidence texts; issue the transparency document
    when it was requested."""
    suggest_competences(case_id)
    carry_out_request(case_id)
    return mark_waiting(case_id)


def request_case(case_id: int) -> str | None:
    """Validation and certification: issue what ALFA asked for, if anything; then wait."""
    carry_out_request(case_id)
    return mark_waiting(case_id)
