"""Evidence strength per competence of the target qualification, the cheapest next proof, the
training for what was never done, and the no-papers path with its weakness made explicit."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from ivc.case.states import CaseState
from ivc.claim import service as claims
from ivc.coverage import templates
from ivc.coverage.service import case_coverage
from ivc.errors import ValidationFailed
from ivc.evidence.models import EvidenceType
from ivc.evidence.service import add_evidence, link_evidence
from ivc.evidence.strength import StrengthRules, assess
from ivc.reference import evidence_strength

from .helpers import advance_to, staff, target_competences


def _evidence(session: Session, case, actors, claim, kinds: list[EvidenceType]) -> None:  # type: ignore[no-untyped-def]
    for i, kind in enumerate(kinds):
        item = add_evidence(
            session,
            case,
            f"{claim.id}-{kind.value}-{i}".encode(),
            title=f"{kind.value} {i}",
            evidence_type=kind,
            media_type="text/plain",
            actor=actors["op3"],
        )
        link_evidence(session, item, claim_id=claim.id)


def test_coverage_scores_next_proofs_and_training_on_a_known_dossier(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    uc1, uc2, uc3, uc4 = target_competences(session, case)
    op = actors["op3"]
    c1, c2, c3 = (claims.add_by_operator(session, case, c, op) for c in (uc1, uc2, uc3))
    _evidence(session, case, actors, c1, [EvidenceType.DOCUMENT, EvidenceType.EMPLOYER_STATEMENT])
    _evidence(session, case, actors, c2, [EvidenceType.TESTIMONY] * 3)
    _evidence(session, case, actors, c3, [EvidenceType.SELF_DECLARATION])

    result = case_coverage(session, case.id or 0, op)
    by_code = {c.code: c for c in result.competences}
    assert [c.code for c in result.competences] == [uc1.code, uc2.code, uc3.code, uc4.code]

    one = by_code[uc1.code]  # 0.6 + 0.5, capped at 1.0
    assert (one.score, one.status, one.contributions) == (
        1.0,
        "sufficient",
        {"document": 0.6, "employer_statement": 0.5},
    )
    assert one.next_proof is None and one.weak_basis is None

    two = by_code[uc2.code]  # three testimonies count as two (0.25 x 2), declarations only: capped at 0.5
    assert (two.score, two.status, two.evidence) == (0.5, "partial", {"testimony": 3})
    assert two.weak_basis == "testimony_only" and two.weak_basis_label == "basata solo su testimonianze"
    assert two.next_proof is not None and two.next_proof["kind"] == "employer_statement"
    assert two.next_proof["cost"] == 1.0

    three = by_code[uc3.code]  # 0.15: an employer statement (0.65) is not enough, a testimony more makes 0.9
    assert (three.score, three.status, three.weak_basis) == (0.15, "insufficient", "self_declaration_only")
    assert [p["kind"] for p in three.next_proofs] == ["employer_statement", "testimony"]

    four = by_code[uc4.code]  # never claimed: nothing to prove, training closes the gap (as matching says)
    assert (four.claimed, four.status, four.next_proof) == (False, "none", None)
    assert four.training is not None and uc4.code in four.training and "formazione" in four.training

    assert result.sufficient == 1 and result.documentary_evidence and not result.no_papers
    english = case_coverage(session, case.id or 0, op, lang="en")
    assert {c.code: c.weak_basis_label for c in english.competences}[uc2.code] == "based on testimony only"


def test_the_no_papers_path_is_flagged_never_hidden(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    uc1, uc2, *_ = target_competences(session, case)
    c1 = claims.add_by_operator(session, case, uc1, actors["op3"])
    c2 = claims.add_by_operator(session, case, uc2, actors["op3"])
    _evidence(session, case, actors, c1, [EvidenceType.SELF_DECLARATION, EvidenceType.TESTIMONY])
    _evidence(session, case, actors, c2, [EvidenceType.SELF_DECLARATION])

    result = case_coverage(session, case.id or 0, actors["op3"])
    assert result.no_papers and not result.documentary_evidence
    flagged = {c.code: c.weak_basis for c in result.competences if c.claimed}
    assert flagged == {uc1.code: "declarations_only", uc2.code: "self_declaration_only"}
    scores = {c.code: (c.score, c.status) for c in result.competences if c.claimed}
    assert scores == {uc1.code: (0.4, "partial"), uc2.code: (0.15, "insufficient")}
    assert {c.code: [p["kind"] for p in c.next_proofs] for c in result.competences if c.claimed} == {
        uc1.code: ["employer_statement"],
        uc2.code: ["employer_statement", "testimony"],
    }


def test_self_declaration_alone_never_reaches_sufficient_whatever_its_weight() -> None:
    data = dict(evidence_strength())
    data["weights"] = {**data["weights"], "self_declaration": 0.9}
    rules = StrengthRules.from_data(data)
    strength = assess({"self_declaration": 2}, rules)
    assert (strength.score, strength.status, strength.weak_basis) == (0.5, "partial", "self_declaration_only")
    assert assess({"self_declaration": 1, "practical_test": 1}, rules).status == "sufficient"
    with pytest.raises(ValueError):
        StrengthRules.from_data({**data, "combine": {**data["combine"], "weak_only_cap": 0.8}})


def test_a_translation_is_suggested_only_for_an_untranslated_foreign_title() -> None:
    rules = StrengthRules.from_data(evidence_strength())
    assert assess({"foreign_title": 1}, rules).next_proofs == ["employer_statement"]  # 0.3 + 0.5 = 0.8
    weights = {**evidence_strength()["weights"], "employer_statement": 0.2}
    rules = StrengthRules.from_data({**evidence_strength(), "weights": weights})
    assert assess({"foreign_title": 1}, rules).next_proofs[:2] == ["employer_statement", "foreign_title_translated"]
    assert "foreign_title_translated" not in assess({"testimony": 1}, rules).next_proofs


def test_testimony_and_self_declaration_templates_in_italian_and_english() -> None:
    fields = {
        "full_name": "N. N.",
        "activity": "cuoca",
        "place": "ristorante a Sfax",
        "period": "2010-2016",
        "tasks": "pulizia del pesce, cottura",
        "witness_name": "T. T.",
        "relation": "collega",
    }
    it = templates.fill("self_declaration", "it", fields)
    assert "art. 47" in it and "cuoca" in it and "{" not in it
    en = templates.fill("testimony", "en", fields)
    assert en.startswith("WITNESS STATEMENT") and "collega" in en
    assert templates.fill("skills_demonstration", "ar", {"competence": "UC1", "task": "x", "duration": "1h"})
    with pytest.raises(ValidationFailed):
        templates.fill("testimony", "it", {"full_name": "N. N."})
    assert templates.template_names() == ["self_declaration", "testimony", "skills_demonstration"]
