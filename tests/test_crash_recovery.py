"""A flow killed mid-way in a real separate process, then rerun: it completes, and nothing is
lost or duplicated (evidence, claims, documents, audit events, register numbers)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from datetime import date

import pytest
from sqlmodel import Session, func, select

from ivc.audit.models import AuditEvent
from ivc.case import service as cases
from ivc.case.models import CaseStep
from ivc.case.states import Action, CaseState
from ivc.claim import service as claims
from ivc.claim.models import CompetenceClaim
from ivc.database.core import session_scope
from ivc.document.models import IssuedDocument, RegisterCounter
from ivc.experience.service import ExperienceIn, add_experience

from .helpers import EXPERIENCE, advance_to, staff, target_competences

pytestmark = pytest.mark.slow

SECOND = ExperienceIn(
    kind="family",
    title="Cucina per le feste del quartiere",
    language="it",
    started_on=date(2002, 1, 1),
    text_original="Cucinavo per matrimoni e feste: impastavo il pane, friggevo i brik e lavavo le pentole.",
)


def _advance_in_subprocess(case_id: int, failpoint: str | None) -> int:
    env = dict(os.environ)
    env.pop("IVC_FAILPOINT", None)
    if failpoint:
        env["IVC_FAILPOINT"] = failpoint
    # Output goes to a file, not a pipe: the orphaned Prefect server would hold a pipe open.
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ivc.cli.main", "case", "advance", str(case_id)],
            env=env,
            start_new_session=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            proc.wait(timeout=240)
        finally:
            try:  # the Prefect ephemeral server survives a killed client: end the whole group
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        log.seek(0)
        text = log.read().decode(errors="replace")
    if failpoint is None:
        assert proc.returncode == 0, text
    else:
        assert proc.returncode == -signal.SIGKILL, text
    return proc.returncode


def _snapshot(session: Session, case_id: int) -> dict[str, object]:
    def count(model: type, *where: object) -> int:
        return int(session.exec(select(func.count()).select_from(model).where(*where)).one())  # type: ignore[arg-type]

    return {
        "claims": count(CompetenceClaim, CompetenceClaim.case_id == case_id),
        "documents": count(IssuedDocument, IssuedDocument.case_id == case_id),
        "steps": count(CaseStep, CaseStep.case_id == case_id),
        "suggested_events": count(AuditEvent, AuditEvent.case_id == case_id, AuditEvent.action == "claim.suggested"),
        "issued_events": count(AuditEvent, AuditEvent.case_id == case_id, AuditEvent.action == "document.issued"),
        "state": cases.get_case(session, case_id).state,
        "register": sum(r.last for r in session.exec(select(RegisterCounter)).all()),
    }


def test_a_killed_identification_flow_completes_on_rerun_without_loss_or_duplicates(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    first = add_experience(session, case, EXPERIENCE, actors["op3"])
    add_experience(session, case, SECOND, actors["op3"])
    for comp in target_competences(session, case):
        claims.add_by_operator(session, case, comp, actors["op3"], experience_ids=[first.id or 0])
    cases.request_action(session, case, Action.ISSUE_TRANSPARENCY, actors["op3"])
    session.commit()
    case_id = case.id or 0
    with session_scope() as s:
        start = _snapshot(s, case_id)

    # 1. Killed right after the first experience's suggestions were committed.
    assert _advance_in_subprocess(case_id, "after_suggestion_commit") == -signal.SIGKILL
    with session_scope() as s:
        after_kill = _snapshot(s, case_id)
    assert after_kill["steps"] == 1 and after_kill["documents"] == 0
    assert after_kill["state"] == CaseState.IDENTIFICATION.value

    # 2. Killed while issuing the document, before its transaction committed: nothing of it remains.
    assert _advance_in_subprocess(case_id, "before_issue_commit") == -signal.SIGKILL
    with session_scope() as s:
        after_second = _snapshot(s, case_id)
        assert cases.get_case(s, case_id).requested_action == Action.ISSUE_TRANSPARENCY.value
    assert after_second["steps"] == 2
    assert after_second["documents"] == 0 and after_second["issued_events"] == 0
    assert after_second["register"] == start["register"]

    # 3. Rerun: completes.
    _advance_in_subprocess(case_id, None)
    with session_scope() as s:
        done = _snapshot(s, case_id)
    assert done["state"] == CaseState.TRANSPARENCY_ISSUED.value
    assert done["documents"] == 1 and done["issued_events"] == 1
    assert done["register"] == start["register"] + 1
    assert done["steps"] == 2
    assert done["claims"] == after_second["claims"]
    assert done["suggested_events"] == done["claims"] - start["claims"]

    # 4. And once more: nothing changes.
    _advance_in_subprocess(case_id, None)
    with session_scope() as s:
        assert _snapshot(s, case_id) == done
