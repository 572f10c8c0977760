"""What the operator reviews: a short default list that keeps the right answer, the rest set aside
in one action, passages instead of whole texts, and relations that reach further."""

from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import Session, select

from ivc.audit.models import AuditEvent
from ivc.case.states import CaseState
from ivc.claim import service as claims
from ivc.experience.service import ExperienceIn, add_experience
from ivc.framework.models import EscoRelation
from ivc.mapping.engine import suggester
from ivc.mapping.models import EscoSuggestion
from ivc.mapping.review import review_list, set_rest_aside
from ivc.mapping.service import suggest_for_experience, suggest_text
from ivc.mapping.snippets import snippets
from ivc.mapping.suggest import agreed

from .helpers import advance_to, staff

# Fixture texts and an answer a careful operator would want first (repertory unit prefixes).
FIXTURES = {
    "ho lavorato 4 anni come muratore a Tunisi, facevo intonaci e posavo piastrelle": "LIG-PIT",
    "ho lavorato tre anni in un ristorante a Tunisi, pulivo il pesce e preparavo il couscous": "LIG-CUC",
    "I fixed cars in my uncle's garage in Lagos": "LIG-AUT",
    "Я доглядала за літньою жінкою": "LIG-ASF",
}


@pytest.mark.parametrize(("text", "answer"), list(FIXTURES.items()))
def test_the_default_list_is_shorter_than_the_candidates_and_keeps_the_right_answer(
    session: Session, text: str, answer: str
) -> None:
    candidates = suggest_text(session, text, top=30).suggestions
    default = [s for s in candidates if agreed(s.score)]
    assert 0 < len(default) < len(candidates)
    assert any(s.id.startswith(answer) for s in default), [(s.id, s.score) for s in candidates[:10]]


def _case_with_bricklaying(session: Session):  # type: ignore[no-untyped-def]
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    exp = add_experience(
        session,
        case,
        ExperienceIn(
            kind="work",
            title="Muratore a Tunisi",
            language="it",
            text_original="Ho lavorato 4 anni come muratore a Tunisi, facevo intonaci e posavo piastrelle. " * 3,
        ),
        actors["op3"],
    )
    suggest_for_experience(session, case, exp, actors["op3"])
    session.commit()
    return actors, case, exp


def test_the_review_list_is_grouped_short_and_shows_passages(session: Session) -> None:
    _, case, exp = _case_with_bricklaying(session)
    groups = review_list(session, case.id or 0, "it")
    assert [g.experience_id for g in groups] == [exp.id]
    group = groups[0]
    assert group.shown and group.more and len(group.shown) <= 10
    assert any(i.key.startswith("LIG-PIT") for i in group.shown)
    for item in group.shown + group.more:
        for passage in item.passages:
            assert len(passage.text) < 250  # a passage, not the whole text
            for s, e in passage.marks:
                assert passage.text[s:e].strip()
    esco = [i for i in group.shown + group.more if i.kind == "esco"]
    assert esco and all(i.label for i in esco)
    # the slice has Italian labels for most concepts: English only where Italian is missing
    assert any(i.fallback_label is None for i in esco)


def test_set_the_rest_aside_records_rejections_in_one_action(session: Session) -> None:
    actors, case, _ = _case_with_bricklaying(session)
    group = review_list(session, case.id or 0, "it")[0]
    shown = {(i.kind, i.id) for i in group.shown}
    rest = {(i.kind, i.id) for i in group.more}
    n = set_rest_aside(session, case.id or 0, actors["op3"])
    session.commit()
    assert n == len(rest) > 0
    statuses = {("competence", c.id): c.status for c in claims.claims_for_case(session, case.id or 0)}
    statuses |= {
        ("esco", s.id): s.status for s in session.exec(select(EscoSuggestion).where(EscoSuggestion.case_id == case.id))
    }
    assert all(statuses[k] == "rejected" for k in rest)
    assert all(statuses[k] == "suggested" for k in shown)
    events = session.exec(select(AuditEvent).where(AuditEvent.case_id == case.id)).all()
    assert sum(e.action in ("claim.rejected", "esco_suggestion.rejected") for e in events) == len(rest)
    after = review_list(session, case.id or 0, "it")
    assert sum(len(g.more) for g in after) == 0 and sum(len(g.shown) for g in after) == len(shown)


def test_passages_of_a_long_text_are_short_and_point_at_the_words() -> None:
    text = ("parole qualunque " * 600) + "posavo piastrelle in bagno" + (" altre parole" * 600)
    start = text.index("posavo piastrelle")
    found = snippets(text, [(start, start + len("posavo piastrelle"))], "it")
    assert len(found) == 1 and found[0].cut_before and found[0].cut_after
    assert len(found[0].text) < 160
    s, e = found[0].marks[0]
    assert found[0].text[s:e] == "posavo piastrelle"


def test_an_occupation_raises_its_essential_skills(session: Session) -> None:
    engine = suggester(session)
    index = engine.index
    text = "Per dieci anni ho fatto il muratore."
    result = engine.suggest(text, lang="it", top=200)
    occupation = next(s for s in result.suggestions if s.entity == "occupation" and agreed(s.score))
    essential = {
        r
        for r in session.exec(
            select(EscoRelation.skill_uri).where(
                EscoRelation.occupation_uri == occupation.id, EscoRelation.relation_type == "essential"
            )
        ).all()
    }
    assert essential
    without = type(engine)(dataclasses.replace(index, essential={}), engine.learned).suggest(text, lang="it", top=200)
    score_with = {s.id: s.score for s in result.suggestions}
    score_without = {s.id: s.score for s in without.suggestions}
    raised = [u for u in essential if score_with.get(u, 0) > score_without.get(u, 0)]
    assert len(raised) == len(essential), "every essential skill of the recognised occupation is raised"
    top_with = [s.id for s in result.suggestions[:20]]
    top_without = [s.id for s in without.suggestions[:20]]
    assert len(essential & set(top_with)) > len(essential & set(top_without))
