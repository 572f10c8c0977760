"""Suggest competences for a case from its experiences, stored as 'suggested' claims."""

from __future__ import annotations

from functools import lru_cache

from sqlmodel import Session, select

from ivc.auth.roles import Actor
from ivc.case.models import Case
from ivc.claim import service as claims
from ivc.experience.models import Experience
from ivc.framework.models import Competence
from ivc.mapping.matcher import Concept, LexicalMatcher, doc_of, stems


def _concepts(competences: list[Competence]) -> list[Concept]:
    out = []
    for c in competences:
        phrases = [*c.title.values()]
        for words in c.keywords.values():
            phrases.extend(words)
        vocabulary_texts = [*c.description.values()]
        for item in c.abilities + c.knowledge + c.performance_indicators:
            vocabulary_texts.extend(item.values())
        concept = Concept(key=c.id or 0, phrases=phrases)
        for text in vocabulary_texts:
            concept.vocabulary |= stems(doc_of(text))
        out.append(concept)
    return out


@lru_cache(maxsize=4)
def _matcher_for(framework_id: int, fingerprint: int) -> LexicalMatcher:
    from ivc.database.core import session_scope

    with session_scope() as session:
        comps = list(session.exec(select(Competence).where(Competence.framework_id == framework_id)))
        return LexicalMatcher(_concepts(comps))


def matcher_for(session: Session, framework_id: int) -> LexicalMatcher:
    count = len(session.exec(select(Competence.id).where(Competence.framework_id == framework_id)).all())
    return _matcher_for(framework_id, count)


def suggest_for_experience(session: Session, case: Case, experience: Experience, actor: Actor, top: int = 8) -> int:
    """Match the Italian rendering and the original text; store new suggestions. Returns how
    many claims were created."""
    matcher = matcher_for(session, case.framework_id)
    created = 0
    by_key: dict[int, tuple[float, list[dict[str, object]]]] = {}
    for field_name in ("text_it", "text_original"):
        text = getattr(experience, field_name)
        if not text or (field_name == "text_original" and experience.language == "it"):
            continue
        for m in matcher.match(text, top=top):
            score, spans = by_key.get(m.key, (0.0, []))
            spans = spans + [
                {"experience_id": experience.id, "field": field_name, "start": s.start, "end": s.end, "text": s.text}
                for s in m.spans
            ]
            by_key[m.key] = (max(score, m.score), spans)
    for key, (score, spans) in sorted(by_key.items(), key=lambda kv: -kv[1][0])[:top]:
        competence = session.get(Competence, key)
        if competence is None:
            continue
        _, was_created = claims.suggest(
            session,
            case,
            competence,
            score=score,
            rationale=spans,
            experience_ids=[experience.id or 0],
            actor=actor,
        )
        created += int(was_created)
    return created
