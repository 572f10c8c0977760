"""ALFA's random sample checks: reproducible from the seed and the population, recorded per
dossier with the outcome, and each check is a logged view of the dossier."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session

from ivc.case.states import CaseState
from ivc.consent import service as consents
from ivc.errors import PermissionDenied, ValidationFailed
from ivc.samplecheck import service as samples
from ivc.samplecheck.models import CheckOutcome

from .helpers import advance_to, staff


def test_the_same_seed_and_population_give_the_same_sample() -> None:
    population = list(range(1, 1001))
    first = samples.draw(population, 0.05, seed=20261127)
    assert len(first) == 50 and first == sorted(first)
    assert samples.draw(list(reversed(population)), 0.05, seed=20261127) == first  # order does not matter
    assert samples.draw(population, 0.05, seed=20261128) != first
    assert samples.draw([7, 3], 0.01, seed=1) in ([3], [7])  # at least one dossier is always drawn
    assert samples.draw([], 0.5, seed=1) == []


def test_alfa_draws_a_recorded_sample_and_records_each_check(session: Session) -> None:
    actors = staff(session)
    issued = [advance_to(session, actors, CaseState.VALIDATION_ISSUED).id for _ in range(3)]
    advance_to(session, actors, CaseState.IDENTIFICATION)  # nothing issued: not in the population
    today = date.today()
    alfa = actors["alfa"]
    with pytest.raises(PermissionDenied):
        samples.draw_sample(session, actors["op3"], today, today + timedelta(days=1), rate=0.5, seed=7)

    check = samples.draw_sample(session, alfa, today, today + timedelta(days=1), rate=0.5, seed=7)
    assert check.population == sorted(issued) and check.population_size == 3
    drawn = [i.case_id for i in samples.items(session, check.id or 0)]
    assert drawn == samples.draw(sorted(issued), 0.5, 7) and len(drawn) == 2
    again = samples.draw_sample(session, alfa, today, today + timedelta(days=1), rate=0.5, seed=7)
    assert [i.case_id for i in samples.items(session, again.id or 0)] == drawn
    unseeded = samples.draw_sample(session, alfa, today, today + timedelta(days=1), rate=0.5)
    assert [i.case_id for i in samples.items(session, unseeded.id or 0)] == samples.draw(
        unseeded.population, 0.5, unseeded.seed
    )  # the generated seed is stored, so any sample can be redrawn

    first, second = samples.items(session, check.id or 0)
    with pytest.raises(ValidationFailed):
        samples.record_outcome(session, second.id or 0, CheckOutcome.IRREGULAR, alfa)  # needs a note
    samples.record_outcome(session, first.id or 0, CheckOutcome.COMPLIANT, alfa)
    samples.record_outcome(session, second.id or 0, CheckOutcome.IRREGULAR, alfa, notes="manca la firma del datore")
    outcomes = [(i.outcome, i.checked_by) for i in samples.items(session, check.id or 0)]
    assert outcomes == [("compliant", "alfa"), ("irregular", "alfa")]

    from ivc.case.models import Case

    case = session.get(Case, first.case_id)
    assert case is not None
    log = consents.access_log(session, case.person_id)
    assert [(v.actor, v.purpose, v.what) for v in log] == [("alfa", "validation", f"sample check {check.id}")]
    assert log[0].legal_basis is not None

    with pytest.raises(ValidationFailed):
        samples.draw_sample(session, alfa, today, today, rate=0.5)
    with pytest.raises(ValidationFailed):
        samples.draw_sample(session, alfa, today, today + timedelta(days=1), rate=1.5)
