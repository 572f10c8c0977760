"""The demo population end to end through the real Prefect flows and the real database."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlmodel import Session, func, select

from ivc.audit.models import AuditEvent
from ivc.case.models import Case, CaseStep
from ivc.claim.models import CompetenceClaim
from ivc.database.core import session_scope
from ivc.demo.population import JOURNEY_END
from ivc.demo.script import run_demo
from ivc.document.models import IssuedDocument
from ivc.evidence.models import EvidenceItem

pytestmark = pytest.mark.slow


def _counts(session: Session) -> dict[str, int]:
    return {
        model.__name__: int(session.exec(select(func.count()).select_from(model)).one())
        for model in (AuditEvent, CompetenceClaim, IssuedDocument, EvidenceItem, CaseStep)
    }


def test_the_demo_population_runs_from_intake_to_certificate_through_the_flows() -> None:
    from ivc.flows.advance import advance_cases

    run = run_demo(advance_cases)
    assert len(run.people) >= 20
    with session_scope() as session:
        for person in run.people:
            case = session.get(Case, run.case_of[person.key])
            assert case is not None
            assert (case.state, case.outcome) == JOURNEY_END[person.journey], (person.key, person.journey)
            if case.state != "chiuso":
                assert case.activity == "waiting" and case.waiting_for, person.key
        journeys = Counter(p.journey for p in run.people)
        docs = Counter(d.doc_type for d in session.exec(select(IssuedDocument)).all())
        reached_transparency = sum(
            n for j, n in journeys.items() if j not in ("not_admitted", "withdrawn", "in_identification")
        )
        assert docs["documento_trasparenza"] == reached_transparency
        assert docs["documento_validazione"] == sum(
            n for j, n in journeys.items() if j.startswith(("validated", "certified"))
        )
        assert docs["certificato"] == journeys["certified_full"] + journeys["certified_partial"]
        nlp_claims = session.exec(select(CompetenceClaim).where(CompetenceClaim.source == "nlp")).all()
        assert nlp_claims, "the identification flow suggested nothing"
        assert all(c.rationale for c in nlp_claims)
        before = _counts(session)

    # Running every case's flows again changes nothing: the flows are idempotent.
    advance_cases(list(run.case_of.values()))
    with session_scope() as session:
        assert _counts(session) == before
