"""Capture experiences told in interviews, keeping the original words and the Italian rendering."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import date

from pydantic import BaseModel, Field, field_validator, model_validator
from sqlmodel import Session, col, select

from ivc.audit import service as audit
from ivc.auth.policy import Permission, authorize
from ivc.auth.roles import Actor
from ivc.case.models import Case
from ivc.case.states import CaseState
from ivc.errors import DomainError, NotFound, ValidationFailed
from ivc.experience.models import Experience, ExperienceKind, LearningContext
from ivc.person.iso import country_code, language_code

_CONTEXT = {
    ExperienceKind.WORK: LearningContext.NON_FORMAL,
    ExperienceKind.TRAINING: LearningContext.FORMAL,
    ExperienceKind.VOLUNTEERING: LearningContext.NON_FORMAL,
    ExperienceKind.FAMILY: LearningContext.INFORMAL,
    ExperienceKind.LANGUAGES: LearningContext.INFORMAL,
    ExperienceKind.DIGITAL: LearningContext.INFORMAL,
    ExperienceKind.GOALS: LearningContext.INFORMAL,
}


# Zero-width (non-)joiners are format characters that Persian, Arabic and Indic words need.
_JOINERS = "\u200c\u200d"
_EARLIEST = date(1900, 1, 1)


def clean_text(text: str) -> str:
    """NFC-normalise and drop control and format characters (keeping newlines, tabs and the
    zero-width joiners that words need)."""
    text = unicodedata.normalize("NFC", text)
    return "".join(ch for ch in text if ch in "\n\t" or ch in _JOINERS or unicodedata.category(ch)[0] != "C").strip()


class ExperienceIn(BaseModel):
    kind: ExperienceKind
    title: str = Field(min_length=1, max_length=300)
    place: str | None = Field(default=None, max_length=300)
    country: str | None = None  # ISO 3166-1 alpha-2 (``ivc.person.iso.countries`` offers them)
    started_on: date | None = None
    ended_on: date | None = None
    language: str  # of the original words: ISO 639-1, else 639-3 (``ivc.person.iso.languages``)
    text_original: str = Field(min_length=1, max_length=20000)
    text_it: str | None = Field(default=None, max_length=20000)
    translated_by: str | None = None
    learning_context: LearningContext | None = None

    @field_validator("text_original", "text_it", "title", "place")
    @classmethod
    def _clean(cls, value: str | None) -> str | None:
        return clean_text(value) if value is not None else None

    @field_validator("translated_by")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return " ".join(clean_text(value).split())[:64] or None

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        return language_code(value, "language")

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None  # where it happened is not always known
        return country_code(value, "country")

    @model_validator(mode="after")
    def _dates(self) -> ExperienceIn:
        if self.started_on and self.ended_on and self.ended_on < self.started_on:
            raise ValueError("the experience ends before it starts")
        if self.started_on and self.started_on > date.today():
            raise ValueError("the experience starts in the future")
        latest = date.today().replace(year=date.today().year + 10, day=1)
        if any(d is not None and not _EARLIEST <= d <= latest for d in (self.started_on, self.ended_on)):
            raise ValueError(f"experience dates must fall between {_EARLIEST.year} and {latest.year}")
        if not self.text_original:
            raise ValueError("the text is empty")
        return self


INTERVIEW_STATES = frozenset({CaseState.ACCESS.value, CaseState.IDENTIFICATION.value})


def interview_open(case: Case) -> bool:
    """Experiences are recorded during access and identification only (the interface offers the
    interview form only then; ``add_experience`` refuses otherwise)."""
    return case.state in INTERVIEW_STATES


def add_experience(session: Session, case: Case, data: ExperienceIn, actor: Actor) -> Experience:
    """Record an experience. Recording the same text twice for a case returns the first record."""
    authorize(actor, Permission.INTERVIEW_RECORD, case.territory)
    if not interview_open(case):
        raise DomainError(
            f"experiences are recorded during access and identification, not in '{case.state}'",
            code="interview_closed",
            state=case.state,
        )
    key = hashlib.sha256("\x1f".join([data.kind.value, data.title, data.text_original]).encode("utf-8")).hexdigest()
    existing = session.exec(
        select(Experience).where(Experience.case_id == case.id, Experience.content_key == key)
    ).first()
    if existing is not None:
        return existing
    text_it = data.text_it if data.text_it else (data.text_original if data.language == "it" else None)
    experience = Experience(
        case_id=case.id or 0,
        kind=data.kind.value,
        learning_context=(data.learning_context or _CONTEXT[data.kind]).value,
        title=data.title,
        place=data.place,
        country=data.country,
        started_on=data.started_on,
        ended_on=data.ended_on,
        language=data.language,
        text_original=data.text_original,
        text_it=text_it,
        translated_by=data.translated_by if text_it and data.language != "it" else None,
        content_key=key,
        created_by=actor.username,
        territory=case.territory,
    )
    session.add(experience)
    session.flush()
    audit.record(
        session,
        actor,
        "experience.added",
        entity="experience",
        entity_id=experience.id,
        case_id=case.id,
        territory=case.territory,
        after={"kind": experience.kind, "language": experience.language},
    )
    return experience


def _editable(session: Session, case: Case, experience_id: int, actor: Actor) -> Experience:
    authorize(actor, Permission.INTERVIEW_RECORD, case.territory)
    if not interview_open(case):
        raise DomainError(
            f"experiences are corrected during access and identification, not in '{case.state}'",
            code="interview_closed",
            state=case.state,
        )
    experience = session.get(Experience, experience_id)
    if experience is None or experience.case_id != case.id:
        raise NotFound(f"no experience {experience_id} in case {case.id}", entity="experience", key=experience_id)
    return experience


def _forget_unreviewed(session: Session, case_id: int, experience_id: int) -> int:
    """Machine suggestions nobody reviewed yet stop resting on this experience's old words: those
    that rest on it alone are dropped, the others keep their other sources. Reviewed ones stay
    (the operator decided on them). Returns how many were dropped."""
    from ivc.claim.models import ClaimStatus, CompetenceClaim
    from ivc.mapping.models import EscoSuggestion

    dropped = 0
    rows: list[CompetenceClaim | EscoSuggestion] = [
        *session.exec(
            select(CompetenceClaim).where(
                CompetenceClaim.case_id == case_id, CompetenceClaim.status == ClaimStatus.SUGGESTED.value
            )
        ),
        *session.exec(
            select(EscoSuggestion).where(EscoSuggestion.case_id == case_id, EscoSuggestion.status == "suggested")
        ),
    ]
    for row in rows:
        if experience_id not in row.experience_ids:
            continue
        rest = [e for e in row.experience_ids if e != experience_id]
        if not rest:
            session.delete(row)
            dropped += 1
            continue
        row.experience_ids = rest
        row.rationale = [r for r in row.rationale if r.get("experience_id") != experience_id]
        session.add(row)
    return dropped


def correct_experience(
    session: Session, case: Case, experience_id: int, data: ExperienceIn, actor: Actor
) -> Experience:
    """Correct a recorded answer (a typo, a wrong date, words that belong to another step) while
    the interview is open. Suggestions nobody reviewed that came from the old words are dropped,
    and the suggestion step reads the corrected words again (its ledger is keyed by the content).
    The audit log names the fields changed, not their values (the story is special-category)."""
    experience = _editable(session, case, experience_id, actor)
    text_it = data.text_it if data.text_it else (data.text_original if data.language == "it" else None)
    new = {
        "kind": data.kind.value,
        "learning_context": (data.learning_context or _CONTEXT[data.kind]).value,
        "title": data.title,
        "place": data.place,
        "country": data.country,
        "started_on": data.started_on,
        "ended_on": data.ended_on,
        "language": data.language,
        "text_original": data.text_original,
        "text_it": text_it,
        "translated_by": data.translated_by if text_it and data.language != "it" else None,
    }
    changed = sorted(k for k, v in new.items() if getattr(experience, k) != v)
    if not changed:
        return experience
    for k, v in new.items():
        setattr(experience, k, v)
    experience.content_key = hashlib.sha256(
        "\x1f".join([experience.kind, experience.title, experience.text_original]).encode("utf-8")
    ).hexdigest()
    words_changed = bool({"kind", "text_original", "text_it"} & set(changed))
    dropped = _forget_unreviewed(session, case.id or 0, experience_id) if words_changed else 0
    session.add(experience)
    session.flush()
    audit.record(
        session,
        actor,
        "experience.corrected",
        entity="experience",
        entity_id=experience_id,
        case_id=case.id,
        territory=case.territory,
        after={"fields": changed, "suggestions_dropped": dropped},
    )
    return experience


def remove_experience(session: Session, case: Case, experience_id: int, reason: str, actor: Actor) -> None:
    """Remove an answer recorded by mistake (the wrong person, a test) while the interview is
    open, with a reason. Refused while anything rests on it that a person decided or brought: a
    reviewed suggestion, an evidence link, a mediator's statement — each is named."""
    from ivc.claim.models import ClaimStatus, CompetenceClaim
    from ivc.evidence.models import EvidenceLink
    from ivc.mapping.models import EscoSuggestion
    from ivc.mediation.models import Statement

    experience = _editable(session, case, experience_id, actor)
    reason = " ".join(clean_text(reason or "").split())[:500]
    if not reason:
        raise ValidationFailed("removing an answer needs a reason", field="reason", code="removal_reason_required")
    blocking: list[str] = []
    reviewed_claims = [
        c
        for c in session.exec(select(CompetenceClaim).where(CompetenceClaim.case_id == case.id))
        if experience_id in c.experience_ids and c.status != ClaimStatus.SUGGESTED.value
    ]
    reviewed_esco = [
        e
        for e in session.exec(select(EscoSuggestion).where(EscoSuggestion.case_id == case.id))
        if experience_id in e.experience_ids and e.status != "suggested"
    ]
    if reviewed_claims or reviewed_esco:
        blocking.append("reviewed_suggestions")
    if session.exec(select(EvidenceLink).where(EvidenceLink.experience_id == experience_id)).first() is not None:
        blocking.append("evidence_links")
    if session.exec(select(Statement).where(Statement.experience_id == experience_id)).first() is not None:
        blocking.append("statements")
    if blocking:
        raise DomainError(
            f"experience {experience_id} cannot be removed: {', '.join(blocking)} rest on it",
            code="experience_in_use",
            uses=", ".join(blocking),
        )
    dropped = _forget_unreviewed(session, case.id or 0, experience_id)
    session.delete(experience)
    session.flush()
    audit.record(
        session,
        actor,
        "experience.removed",
        entity="experience",
        entity_id=experience_id,
        case_id=case.id,
        territory=case.territory,
        after={"kind": experience.kind, "reason": reason, "suggestions_dropped": dropped},
    )


def experiences_for_case(session: Session, case_id: int) -> list[Experience]:
    return list(session.exec(select(Experience).where(Experience.case_id == case_id).order_by(col(Experience.id))))
