"""Learning from operators: accepted phrasings become synonyms of a concept; undoing or rejecting
the claim withdraws them. Kept apart from the suggester so the claim service can call it.

A phrase's lemmas are computed once, when it is accepted, and stored with it: loading the learned
phrasings in a new process then builds no analyser for their languages."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from ivc.auth.roles import Actor
from ivc.claim.models import ClaimStatus, CompetenceClaim
from ivc.experience.models import Experience
from ivc.framework.models import Competence
from ivc.mapping.models import LearnedPhrase


def learn(
    session: Session,
    concept_key: str,
    rationale: list[dict[str, Any]],
    case_id: int,
    source: str,
    accepted: bool,
    actor: Actor,
) -> int:
    """Accepted: the supporting phrases (from the person's words or their Italian rendering) become
    synonyms of the concept; not accepted (rejected, or undone): the phrases this source taught are
    withdrawn. Returns how many phrases changed."""
    changed = 0
    if accepted:
        from ivc.mapping.analysis import lemmas  # spaCy: only a process that learns loads it

        experiences = {e.id: e for e in session.exec(select(Experience).where(Experience.case_id == case_id))}
        for span in rationale:
            phrase = " ".join(str(span.get("text", "")).split())[:300]
            exp = experiences.get(span.get("experience_id"))
            if len(phrase) < 3 or exp is None:
                continue
            lang = "it" if span.get("field") == "text_it" else exp.language
            row = session.exec(
                select(LearnedPhrase).where(
                    LearnedPhrase.concept_key == concept_key, LearnedPhrase.lang == lang, LearnedPhrase.phrase == phrase
                )
            ).first()
            if row is None:
                session.add(
                    LearnedPhrase(
                        concept_key=concept_key,
                        lang=lang,
                        phrase=phrase,
                        source=source,
                        created_by=actor.username,
                        lemmas=lemmas(phrase, lang),
                    )
                )
                changed += 1
            elif not row.active:
                row.active, row.source = True, source
                if row.lemmas is None:
                    row.lemmas = lemmas(phrase, lang)
                session.add(row)
                changed += 1
    else:
        for row in session.exec(
            select(LearnedPhrase).where(LearnedPhrase.source == source, col(LearnedPhrase.active).is_(True))
        ):
            row.active = False
            session.add(row)
            changed += 1
    session.flush()
    return changed


def learn_from_claim(session: Session, claim: CompetenceClaim, actor: Actor) -> int:
    """A competence claim reviewed: confirmed teaches, anything else withdraws."""
    competence = session.get(Competence, claim.competence_id)
    if competence is None:
        return 0
    return learn(
        session,
        competence.code,
        claim.rationale,
        claim.case_id,
        f"claim:{claim.id}",
        claim.status == ClaimStatus.CONFIRMED.value,
        actor,
    )
