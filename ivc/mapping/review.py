"""What the operator reviews: the suggestions of a case, grouped by the experience they come from,
a short default list in each group and the rest behind "more", and "set the rest aside", which
rejects everything outside the default lists in one action.

The default list holds what passed the fusion's agreement cut (``suggest.agreed``: at least two
independent signals found it, the same meaning in every text and language), best first, at most
``SHORTLIST`` competences and ``SHORTLIST`` ESCO concepts per experience. Labels are in the
interface language; where ESCO has no label in it, the English preferred label stands in and says so.
Supporting words come as short passages around the spans (``snippets``), never the whole text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from ivc.auth.roles import Actor
from ivc.case import service as cases
from ivc.claim import service as claims
from ivc.claim.models import ClaimStatus, CompetenceClaim
from ivc.errors import DomainError
from ivc.experience.models import Experience
from ivc.framework.models import Competence, FrameworkLabel, text_in
from ivc.mapping.models import EscoSuggestion
from ivc.mapping.snippets import Snippet, snippets
from ivc.mapping.suggest import agreed

SHORTLIST = 5  # per experience and per framework: what fits on one screen beside its passages


@dataclass(frozen=True)
class Item:
    kind: str  # "competence" (a suggested claim) | "esco" (an ESCO suggestion)
    id: int  # claim id or ESCO suggestion id
    key: str  # competence code or ESCO URI
    label: str  # in the interface language where the framework has it
    fallback_label: str | None  # set (the English preferred label, shown as ``label``) when ESCO lacks the language
    entity: str  # competence | skill | occupation
    score: float
    passages: tuple[Snippet, ...]


@dataclass
class Group:
    experience_id: int | None  # None: suggestions from evidence that supports no experience
    title: str
    shown: list[Item] = field(default_factory=list)
    more: list[Item] = field(default_factory=list)


def _passages(session: Session, rationale: list[dict[str, Any]], cache: dict[int, Experience | None]) -> list[Snippet]:
    by_text: dict[tuple[int, str], list[tuple[int, int]]] = {}
    for r in rationale:
        if r.get("experience_id") is None or r.get("start") is None:
            continue
        key = (int(r["experience_id"]), str(r.get("field", "text_it")))
        by_text.setdefault(key, []).append((int(r["start"]), int(r["end"])))
    out: list[Snippet] = []
    for (exp_id, fld), spans in by_text.items():
        if exp_id not in cache:
            cache[exp_id] = session.get(Experience, exp_id)
        exp = cache[exp_id]
        if exp is None or fld not in ("text_it", "text_original"):
            continue
        text = getattr(exp, fld, None) or ""
        out.extend(snippets(text, spans, exp.language if fld == "text_original" else "it"))
    return out[:3]


def _esco_labels(session: Session, uris: Iterable[str], lang: str) -> dict[tuple[str, str], str]:
    uris = sorted(set(uris))
    if not uris:
        return {}
    rows = session.exec(
        select(FrameworkLabel.entity_key, FrameworkLabel.lang, FrameworkLabel.text).where(
            col(FrameworkLabel.entity_key).in_(uris),
            FrameworkLabel.kind == "preferred",
            col(FrameworkLabel.lang).in_(sorted({lang, "en"})),
        )
    ).all()
    return {(key, lng): text for key, lng, text in rows}


def _group_of(experience_ids: list[int], known: set[int]) -> int | None:
    return next((e for e in experience_ids if e in known), None)


def review_list(session: Session, case_id: int, lang: str) -> list[Group]:
    """The case's pending suggestions, grouped by experience (the order they were recorded in),
    each group's default list first and the rest in ``more``."""
    experiences = list(
        session.exec(select(Experience).where(Experience.case_id == case_id).order_by(col(Experience.id)))
    )
    known = {e.id or 0 for e in experiences}
    groups: dict[int | None, Group] = {e.id: Group(e.id, e.title) for e in experiences}
    cache: dict[int, Experience | None] = {e.id or 0: e for e in experiences}
    pending_claims = [c for c in claims.claims_for_case(session, case_id) if c.status == ClaimStatus.SUGGESTED.value]
    pending_esco = list(
        session.exec(
            select(EscoSuggestion).where(EscoSuggestion.case_id == case_id, EscoSuggestion.status == "suggested")
        )
    )
    labels = _esco_labels(session, (s.uri for s in pending_esco), lang)
    items: list[tuple[int | None, Item]] = []
    for claim in pending_claims:
        comp = session.get(Competence, claim.competence_id)
        if comp is None:
            continue
        items.append(
            (
                _group_of(claim.experience_ids, known),
                Item(
                    "competence",
                    claim.id or 0,
                    comp.code,
                    text_in(comp.title, lang),
                    None,
                    "competence",
                    float(claim.score or 0.0),
                    tuple(_passages(session, claim.rationale, cache)),
                ),
            )
        )
    for s in pending_esco:
        own = labels.get((s.uri, lang))
        english = labels.get((s.uri, "en")) or s.label
        items.append(
            (
                _group_of(s.experience_ids, known),
                Item(
                    "esco",
                    s.id or 0,
                    s.uri,
                    own or english,
                    None if own else english,
                    s.entity,
                    float(s.score),
                    tuple(_passages(session, s.rationale, cache)),
                ),
            )
        )
    for group_id, item in sorted(items, key=lambda gi: -gi[1].score):
        group = groups.setdefault(group_id, Group(None, ""))
        shown_same_kind = sum(1 for i in group.shown if i.kind == item.kind)
        if agreed(item.score) and shown_same_kind < SHORTLIST:
            group.shown.append(item)
        else:
            group.more.append(item)
    return [g for g in groups.values() if g.shown or g.more]


def set_rest_aside(session: Session, case_id: int, actor: Actor, lang: str = "it") -> int:
    """Reject, in one action, every pending suggestion outside the default lists (each rejection
    audited and un-teaching as a single one would). Returns how many were set aside."""
    from ivc.mapping.service import review_esco_suggestion

    case = cases.get_case(session, case_id, actor)
    if not claims.claims_reviewable(case):
        raise DomainError("suggestions are reviewed during identification only")
    done = 0
    for group in review_list(session, case_id, lang):
        for item in group.more:
            if item.kind == "competence":
                claim = session.get(CompetenceClaim, item.id)
                if claim is not None and claim.case_id == case_id:
                    claims.review(session, claim, case, ClaimStatus.REJECTED, actor)
                    done += 1
            else:
                review_esco_suggestion(session, item.id, "rejected", actor)
                done += 1
    return done
