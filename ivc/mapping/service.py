"""Suggestions for a case, stored for review, and learning from what operators accept.

For each experience (its Italian rendering and its original words) the suggester ranks the
repertory competences of the version the case cites and the loaded ESCO concepts; competences are
stored as 'suggested' claims, ESCO concepts as ESCO suggestions, each with its supporting spans.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from ivc.audit import service as audit
from ivc.auth.policy import Permission, authorize
from ivc.auth.roles import Actor
from ivc.case import service as cases
from ivc.case.models import Case
from ivc.claim import service as claims
from ivc.claim.models import ClaimStatus, CompetenceClaim
from ivc.errors import NotFound, ValidationFailed
from ivc.evidence.models import EvidenceItem, EvidenceLink
from ivc.evidence.storage import get_store
from ivc.experience.models import Experience, ExperienceKind
from ivc.framework.models import Competence, Qualification
from ivc.mapping.engine import concept_index as concept_index  # re-exported: callers import it from here
from ivc.mapping.engine import suggest_text as suggest_text
from ivc.mapping.engine import suggester
from ivc.mapping.learning import learn
from ivc.mapping.models import EscoSuggestion

Source = tuple[str, str, dict[str, Any]]  # text, language, where it comes from (experience field or evidence)


def _store(
    session: Session, case: Case, sources: list[Source], experience_ids: list[int], actor: Actor, top: int
) -> int:
    """Rank every source text; keep the best competences as 'suggested' claims and the best ESCO
    concepts as ESCO suggestions, each with the spans that support it. Returns new claims."""
    engine = suggester(session)
    competences: dict[str, tuple[float, list[dict[str, Any]]]] = {}
    esco: dict[str, tuple[float, str, str, list[dict[str, Any]]]] = {}
    for text, lang, ref in sources:
        result = engine.suggest(text, lang=lang, top=top * 3)
        for s in result.suggestions:
            spans: list[dict[str, Any]] = [{**ref, "start": sp.start, "end": sp.end, "text": sp.text} for sp in s.spans]
            if not spans:  # ranked on meaning alone: say so, and where it came from
                spans = [{**ref, "match": "meaning"}]
            if s.framework == "ESCO":
                prev = esco.get(s.id, (0.0, s.entity, s.label, []))
                esco[s.id] = (max(prev[0], s.score), s.entity, s.label, prev[3] + spans)
            else:
                prev_c = competences.get(s.id, (0.0, []))
                competences[s.id] = (max(prev_c[0], s.score), prev_c[1] + spans)
    created = 0
    for code, (score, spans) in sorted(competences.items(), key=lambda kv: -kv[1][0])[:top]:
        competence = session.exec(
            select(Competence).where(Competence.framework_id == case.framework_id, Competence.code == code)
        ).first()
        if competence is None:  # suggested from another repertory version than the case cites
            continue
        _, was_created = claims.suggest(
            session, case, competence, score=score, rationale=spans, experience_ids=experience_ids, actor=actor
        )
        created += int(was_created)
    for uri, (score, entity, label, spans) in sorted(esco.items(), key=lambda kv: -kv[1][0])[:top]:
        row = session.exec(
            select(EscoSuggestion).where(EscoSuggestion.case_id == case.id, EscoSuggestion.uri == uri)
        ).first()
        if row is None:
            session.add(
                EscoSuggestion(
                    case_id=case.id or 0,
                    uri=uri,
                    entity=entity,
                    label=label[:500],
                    score=round(score, 4),
                    rationale=spans,
                    experience_ids=experience_ids,
                    created_by=actor.username,
                    territory=case.territory,
                )
            )
        else:
            row.score = max(row.score, round(score, 4))
            row.experience_ids = sorted({*row.experience_ids, *experience_ids})
            row.rationale = row.rationale + spans
            session.add(row)
    session.flush()
    return created


def suggest_for_experience(session: Session, case: Case, experience: Experience, actor: Actor, top: int = 8) -> int:
    """Suggestions from one experience: its Italian rendering and the person's own words. The
    person's goals say what they want to do, not what they can do: they are never mapped."""
    if experience.kind == ExperienceKind.GOALS.value:
        return 0
    sources: list[Source] = []
    if experience.text_it:
        sources.append((experience.text_it, "it", {"experience_id": experience.id, "field": "text_it"}))
    if experience.text_original and experience.language != "it":
        sources.append(
            (experience.text_original, experience.language, {"experience_id": experience.id, "field": "text_original"})
        )
    return _store(session, case, sources, [experience.id or 0], actor, top)


EVIDENCE_TEXT_LIMIT = 200_000  # characters of an evidence file that are read for suggestions


def evidence_text(data: bytes, media_type: str) -> str | None:
    """The text of an evidence file (plain text or a PDF's text layer), or None: read within time,
    memory and size limits by ``ivc.evidence.extract``, where any parser failure is no text."""
    from ivc.evidence.extract import extract_text

    return extract_text(data, media_type, limit=EVIDENCE_TEXT_LIMIT).text


def suggest_for_evidence(session: Session, case: Case, item: EvidenceItem, actor: Actor, top: int = 8) -> int:
    """Suggestions from an evidence item that has text (interview notes, statements as PDF)."""
    text = evidence_text(get_store().get(item.sha256), item.media_type)
    if not text or not text.strip():
        return 0
    # The experiences this evidence supports are where the competence was learned.
    supported = sorted(
        {
            x
            for x in session.exec(
                select(EvidenceLink.experience_id).where(
                    EvidenceLink.evidence_id == item.id, col(EvidenceLink.experience_id).is_not(None)
                )
            ).all()
            if x
        }
    )
    return _store(session, case, [(text, "auto", {"evidence_id": item.id})], supported, actor, top)


ESCO_REVIEW = frozenset({"suggested", "accepted", "rejected"})


def review_esco_suggestion(session: Session, suggestion_id: int, status: str, actor: Actor) -> EscoSuggestion:
    """The operator accepts or rejects an ESCO suggestion (or undoes it: back to 'suggested');
    accepted phrasings teach later rankings, as for competences."""
    row = session.get(EscoSuggestion, suggestion_id)
    if row is None:
        raise NotFound(f"no ESCO suggestion {suggestion_id}", entity="esco_suggestion", key=suggestion_id)
    if status not in ESCO_REVIEW:
        raise ValidationFailed(f"status must be one of {sorted(ESCO_REVIEW)}", field="status")
    authorize(actor, Permission.MAPPING_REVIEW, row.territory)
    before = row.status
    row.status = status
    session.add(row)
    audit.record(
        session,
        actor,
        f"esco_suggestion.{status}",
        entity="esco_suggestion",
        entity_id=row.id,
        case_id=row.case_id,
        territory=row.territory,
        before={"status": before},
        after={"status": status},
    )
    learn(session, row.uri, row.rationale, row.case_id, f"esco:{row.id}", status == "accepted", actor)
    return row


def qualification_coverage(session: Session, case_id: int) -> list[dict[str, Any]]:
    """How much of each qualification the case's claims cover (suggested or confirmed): the target
    qualifications first, then the others the suggestions add up to, best first."""
    rows = session.exec(
        select(CompetenceClaim.status, Competence.qualification_id)
        .join(Competence, col(Competence.id) == col(CompetenceClaim.competence_id))
        .where(CompetenceClaim.case_id == case_id, CompetenceClaim.status != ClaimStatus.REJECTED.value)
    ).all()
    by_qual: dict[int, dict[str, int]] = {}
    for status, qual_id in rows:
        by_qual.setdefault(qual_id, {}).setdefault(status, 0)
        by_qual[qual_id][status] += 1
    targets = {q.id for q in cases.target_qualifications(session, case_id)}
    out = []
    for qual_id, statuses in by_qual.items():
        qual = session.get(Qualification, qual_id)
        if qual is None:
            continue
        total = len(session.exec(select(Competence.id).where(Competence.qualification_id == qual_id)).all())
        covered = sum(statuses.values())
        out.append(
            {
                "code": qual.code,
                "covered": covered,
                "total": total,
                "ratio": round(covered / max(total, 1), 2),
                "by_status": statuses,
                "target": qual_id in targets,
            }
        )
    return sorted(out, key=lambda r: (not r["target"], -r["ratio"], r["code"]))
