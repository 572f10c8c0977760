"""A recorded interview answer can be corrected, or removed with a reason, while the interview is
open: suggestions nobody reviewed follow the new words, what a person decided stays, and the
audit log names the fields changed without their values."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from ivc.audit.models import AuditEvent
from ivc.auth.roles import Actor
from ivc.case.models import Case
from ivc.case.states import CaseState
from ivc.claim import service as claims
from ivc.claim.models import ClaimStatus, CompetenceClaim
from ivc.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from ivc.experience.models import Experience
from ivc.experience.service import add_experience, correct_experience, remove_experience

from .helpers import EXPERIENCE, advance_to, staff, target_competences


def _with_answer(session: Session) -> tuple[dict[str, Actor], Case, Experience]:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    exp = add_experience(session, case, EXPERIENCE, actors["op3"])
    return actors, case, exp


def test_a_corrected_answer_drops_the_unreviewed_suggestions_of_its_old_words(session: Session) -> None:
    actors, case, exp = _with_answer(session)
    op = actors["op3"]
    first, second = target_competences(session, case)[:2]
    machine, _ = claims.suggest(session, case, first, score=0.7, rationale=[], experience_ids=[exp.id or 0], actor=op)
    kept = claims.add_by_operator(session, case, second, op, experience_ids=[exp.id or 0])
    old_key = exp.content_key
    fixed = EXPERIENCE.model_copy(update={"title": "Cuoca e aiuto pasticcera", "text_it": "Facevo dolci e pane."})
    correct_experience(session, case, exp.id or 0, fixed, op)
    session.flush()
    stored = session.get(Experience, exp.id)
    assert stored is not None and stored.title == "Cuoca e aiuto pasticcera"
    assert stored.text_it == "Facevo dolci e pane."
    assert stored.content_key != old_key  # the suggestion step reads the new words again
    assert session.get(CompetenceClaim, machine.id) is None  # rested on the old words, nobody reviewed it
    assert session.get(CompetenceClaim, kept.id).status == ClaimStatus.CONFIRMED.value  # type: ignore[union-attr]
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "experience.corrected")).one()
    assert event.after is not None and event.after["fields"] == ["text_it", "title"]
    assert "pasticcera" not in str(event.after) and "dolci" not in str(event.after)


def test_an_answer_is_removed_only_with_a_reason_and_when_nothing_decided_rests_on_it(session: Session) -> None:
    actors, case, exp = _with_answer(session)
    op = actors["op3"]
    with pytest.raises(ValidationFailed):
        remove_experience(session, case, exp.id or 0, "  ", op)
    comp = target_competences(session, case)[0]
    confirmed = claims.add_by_operator(session, case, comp, op, experience_ids=[exp.id or 0])
    with pytest.raises(DomainError) as refused:
        remove_experience(session, case, exp.id or 0, "registrata per errore", op)
    assert refused.value.code == "experience_in_use"
    session.delete(confirmed)
    session.flush()
    remove_experience(session, case, exp.id or 0, "registrata sulla persona sbagliata", op)
    session.flush()
    assert session.get(Experience, exp.id) is None
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "experience.removed")).one()
    assert event.after is not None and event.after["reason"] == "registrata sulla persona sbagliata"


def test_answers_are_corrected_only_while_the_interview_is_open_and_by_who_records_it(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.TRANSPARENCY_ISSUED)
    exp = session.exec(select(Experience).where(Experience.case_id == case.id)).first()
    assert exp is not None
    with pytest.raises(DomainError) as closed:
        correct_experience(session, case, exp.id or 0, EXPERIENCE, actors["op3"])
    assert closed.value.code == "interview_closed"
    other = advance_to(session, actors, CaseState.IDENTIFICATION)
    answer = add_experience(session, other, EXPERIENCE, actors["op3"])
    with pytest.raises(PermissionDenied):
        correct_experience(session, other, answer.id or 0, EXPERIENCE, actors["cpi3"])
    with pytest.raises(NotFound):  # another case's answer is not this case's to correct
        correct_experience(session, other, exp.id or 0, EXPERIENCE, actors["op3"])
