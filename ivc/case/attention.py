"""What an operator must see on a case when its automated steps ran into trouble.

A flow works through a batch of cases; one case's failure must not stop the others, and must not
vanish into a log. ``note_step_failure`` records on the case (``case.attention``, shown on the
case's page) which step failed, when, the kind of error and a reference the operator can quote to
support (the same reference is in the server log, with the traceback), and audits it.
``note_unreadable_evidence`` records that an evidence file's text could not be read, so nothing
was suggested from it. A later successful run of the case's steps clears a step failure.
"""

from __future__ import annotations

from sqlmodel import Session

from ivc.audit import service as audit
from ivc.auth.roles import SYSTEM_ACTOR
from ivc.case.models import Case
from ivc.case.service import lock_for_edit
from ivc.config import get_settings
from ivc.database.core import utcnow
from ivc.i18n import t


def _step_failed_prefix() -> str:
    """The start of a step-failure note, to recognise (and clear) one."""
    return t("case.step_failed", get_settings().default_language).split("{", 1)[0]


def _set(session: Session, case: Case, text: str | None) -> None:
    lock_for_edit(session, case, None)
    case.attention = text[:1000] if text else None
    session.add(case)


def note_step_failure(session: Session, case: Case, step: str, error: BaseException, ref: str) -> Case:
    """Record on the case that ``step`` failed now with ``error`` (its kind, never its message:
    it may quote personal data), under the support reference ``ref``."""
    at = utcnow()
    text = t(
        "case.step_failed",
        get_settings().default_language,
        step=step,
        at=at.strftime("%d/%m/%Y %H:%M UTC"),
        error=type(error).__name__,
        ref=ref,
    )
    _set(session, case, text)
    audit.record(
        session,
        SYSTEM_ACTOR,
        "case.step_failed",
        entity="case",
        entity_id=case.id,
        case_id=case.id,
        territory=case.territory,
        after={"step": step, "error": type(error).__name__, "ref": ref, "at": at.isoformat()},
    )
    session.flush()
    return case


def clear_step_failure(session: Session, case: Case) -> bool:
    """After the case's steps ran through, a step-failure note goes (other notes stay)."""
    if not case.attention or not case.attention.startswith(_step_failed_prefix()):
        return False
    _set(session, case, None)
    session.flush()
    return True


def note_unreadable_evidence(session: Session, case: Case, evidence_id: int, title: str, note: str) -> Case:
    """An evidence file whose text could not be read: no suggestions came from it; say so."""
    _set(session, case, t("case.evidence_unreadable", get_settings().default_language, title=title, note=note))
    audit.record(
        session,
        SYSTEM_ACTOR,
        "evidence.text_unreadable",
        entity="evidence",
        entity_id=evidence_id,
        case_id=case.id,
        territory=case.territory,
        after={"note": note},
    )
    session.flush()
    return case
