"""Match consented dossiers and vacancies, both ways, with explanations.

A dossier's skills are its claims (repertory competences, and the ESCO skills they link to) and
its accepted ESCO suggestions, weighted by how far the path took them as the issued documents in
force say (``ivc.document.recognition``): certified (a certificate carries it) > validated (a
validation document carries it) > identified (a transparency document carries it) > confirmed
(the operator confirmed it; no document yet) > declared. ALFA's decisions alone never make a skill
validated or certified here. A vacancy asks for essential and optional skills (ESCO or
repertory). Only people with an active consent to job matching are ever considered.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ivc.audit import service as audit
from ivc.auth.policy import Permission, authorize
from ivc.auth.roles import Actor
from ivc.case.models import Case, CaseTarget
from ivc.claim.models import ClaimStatus, CompetenceClaim
from ivc.consent import service as consents
from ivc.consent.models import ConsentPurpose
from ivc.consent.service import active_consent
from ivc.document.models import IssuedDocument
from ivc.document.recognition import level_of, recognition
from ivc.errors import NotFound, PermissionDenied, ValidationFailed
from ivc.experience.models import Experience
from ivc.framework.models import Competence, EscoRelation, FrameworkLabel, Qualification, text_in
from ivc.mapping.models import EscoSuggestion
from ivc.matching.models import Vacancy, VacancySkill
from ivc.person.models import CEFR_LEVELS, Person
from ivc.territory.service import require_territory
from ivc.text import forbidden_char

STATUS_WEIGHT = {"certified": 1.0, "validated": 0.85, "identified": 0.6, "confirmed": 0.5, "declared": 0.3}
# A claim no document in force carries: what the operator's review made of it. ALFA's decisions
# (validated, certified…) are not recognition until a document carries them: such a claim is
# only as far as the operator took it, confirmed. Rejected and not validated claims are left out.
# What the working state of a claim says to a CPI advisor when no document carries it. A machine
# suggestion nobody reviewed says nothing about the person, so it is not listed at all.
_WORKING_STATUS = {
    ClaimStatus.CONFIRMED.value: "confirmed",
    ClaimStatus.VALIDATED.value: "confirmed",
    ClaimStatus.CERTIFIED.value: "confirmed",
    ClaimStatus.NOT_CERTIFIED.value: "confirmed",
}
ESSENTIAL, OPTIONAL = 1.0, 0.4
_CHUNK = 5000  # ids per IN (…) list


@dataclass
class Skill:
    weight: float
    status: str
    evidence: list[str] = field(default_factory=list)
    document: str | None = None  # the number of the document in force that recognises it


@dataclass
class Profile:
    case_id: int
    person_id: int
    name: str
    territory: str
    italian_level: str
    skills: dict[str, Skill]
    consent_id: int | None = None  # the job-matching consent that lets this dossier be matched


@dataclass
class Match:
    score: float
    subject: dict[str, Any]  # the person (case id, name, district) or the vacancy / occupation
    matched: list[dict[str, Any]]
    missing_essential: list[dict[str, Any]]
    to_close_the_gap: list[str]


def _require(actor: Actor) -> None:
    authorize(actor, Permission.MATCHING)


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def profiles(
    session: Session,
    case_ids: list[int] | None = None,
    actor: Actor | None = None,
    *,
    keys: set[str] | None = None,
    with_evidence: bool = True,
) -> list[Profile]:
    """Dossiers of people who consented to job matching (now; to the actor's organisation when an
    actor is given), with their weighted skills. The consent ledger is read on every call and no
    index outlives a call, so a withdrawal removes the person from the very next match. A handful
    of queries whatever the number of dossiers (experience titles, claims, suggestions and the
    documents in force are read for all of them at once, in chunks).

    ``keys`` (competence codes and ESCO skill URIs) limits each profile to the skills a query asks
    about, and ``with_evidence=False`` leaves out the experience titles: what a search needs to rank
    thousands of dossiers, without reading the rest of them."""
    recipients = consents.organisations(actor) if actor is not None else None
    consenting = consents.consenting(ConsentPurpose.JOB_MATCHING, recipients)
    stmt = (
        sa_select(  # six columns: past sqlmodel's typed select overloads
            col(Case.id),
            col(Case.territory),
            col(Person.id),
            col(Person.given_name),
            col(Person.family_name),
            col(Person.italian_level),
        )
        .join(Person, col(Person.id) == col(Case.person_id))
        .where(col(Person.id).in_(consenting))
        .order_by(col(Case.id))
    )
    pairs: list[tuple[int, str, int, str, str, str]] = []
    if case_ids is None:
        pairs = [(c or 0, t, p or 0, g, f, i) for c, t, p, g, f, i in session.execute(stmt)]
    else:  # ids no database key can hold match nothing (and must not reach the driver)
        for chunk in _chunks(sorted({i for i in case_ids if 0 < i < 2**63})):
            found = session.execute(stmt.where(col(Case.id).in_(chunk)))
            pairs += [(c or 0, t, p or 0, g, f, i) for c, t, p, g, f, i in found]
    consented = consents.consented_people(
        session, ConsentPurpose.JOB_MATCHING, recipients, person_ids=[p for _, _, p, _, _, _ in pairs]
    )
    ids = [cid for cid, *_ in pairs]
    wanted_comps = _competences_for(session, keys) if keys is not None else None
    wanted_set = set(wanted_comps or [])
    # Columns, not records: what matching needs of each row, nothing to decrypt or parse beyond it.
    titles: dict[int, dict[int, str]] = defaultdict(dict)
    claims: dict[int, list[tuple[int, str, list[int]]]] = defaultdict(list)  # case -> (competence, status, exps)
    suggestions: dict[int, list[tuple[str, list[int]]]] = defaultdict(list)  # case -> (ESCO uri, exps)
    for chunk in _chunks(ids):
        if with_evidence:
            for eid, cid, title in session.exec(
                select(Experience.id, Experience.case_id, Experience.title).where(col(Experience.case_id).in_(chunk))
            ):
                titles[cid][eid or 0] = title
        claim_rows = select(
            CompetenceClaim.case_id,
            CompetenceClaim.competence_id,
            CompetenceClaim.status,
            CompetenceClaim.experience_ids,
        ).where(col(CompetenceClaim.case_id).in_(chunk))
        if wanted_comps is not None:
            claim_rows = claim_rows.where(col(CompetenceClaim.competence_id).in_(wanted_comps))
        for cid, claimed_id, claim_status, exps in session.exec(claim_rows.order_by(col(CompetenceClaim.id))):
            claims[cid].append((claimed_id, claim_status, list(exps)))
        suggestion_rows = select(EscoSuggestion.case_id, EscoSuggestion.uri, EscoSuggestion.experience_ids).where(
            col(EscoSuggestion.case_id).in_(chunk), EscoSuggestion.status == "accepted"
        )
        if keys is not None:
            suggestion_rows = suggestion_rows.where(col(EscoSuggestion.uri).in_(sorted(keys)))
        for cid, uri, exps in session.exec(suggestion_rows.order_by(col(EscoSuggestion.id))):
            suggestions[cid].append((uri, list(exps)))
    recognised = recognition(session, ids)
    wanted = sorted(
        {comp_id for rows in claims.values() for comp_id, _, _ in rows}
        | {comp_id for held in recognised.values() for comp_id in held}
    )
    competences: dict[int, tuple[str, list[str]]] = {}  # id -> (code, ESCO skills)
    for chunk in _chunks(wanted):
        for found_id, code, esco in session.exec(
            select(Competence.id, Competence.code, Competence.esco_skills).where(col(Competence.id).in_(chunk))
        ):
            competences[found_id or 0] = (code, list(esco))
    out = []
    for cid, territory, person_id, given_name, family_name, italian_level in pairs:
        case_titles = titles[cid]
        held = recognised.get(cid, {})
        skills: dict[str, Skill] = {}

        def add(
            key: str, status: str, evidence: list[str], document: str | None = None, skills: dict[str, Skill] = skills
        ) -> None:
            weight = STATUS_WEIGHT[status]
            if key not in skills or skills[key].weight < weight:
                skills[key] = Skill(weight, status, evidence, document)

        def add_competence(comp_id: int, status: str, evidence: list[str], document: str | None) -> None:
            if comp_id not in competences:
                return
            code, esco = competences[comp_id]
            add(code, status, evidence, document)
            for uri in esco:
                add(uri, status, evidence, document)

        for comp_id, working, exps in claims[cid]:
            evidence = [case_titles[e] for e in exps if e in case_titles]
            rec = held.get(comp_id)
            if rec is not None:
                add_competence(comp_id, rec.level.value, evidence, rec.document_number)
            elif (status := _WORKING_STATUS.get(working)) is not None:
                add_competence(comp_id, status, evidence, None)
        # Competences a document in force carries without a claim row behind it: still recognised.
        claimed = {comp_id for comp_id, _, _ in claims[cid]}
        for comp_id, rec in held.items():
            if comp_id not in claimed and (wanted_comps is None or comp_id in wanted_set):
                add_competence(comp_id, rec.level.value, [], rec.document_number)
        for uri, exps in suggestions[cid]:
            add(uri, "declared", [case_titles[e] for e in exps if e in case_titles])
        out.append(
            Profile(
                cid,
                person_id,
                f"{given_name} {family_name}",
                territory,
                italian_level,
                skills,
                consented.get(person_id),
            )
        )
    return out


class MatchIndex:
    """Profiles as posting lists (skill -> dossier indices, weights): a vacancy's score over every
    dossier is a handful of vectorised additions, whatever the number of dossiers."""

    def __init__(self, people: list[Profile]) -> None:
        self.people = people
        postings: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        for i, p in enumerate(people):
            for key, skill in p.skills.items():
                postings[key][0].append(i)
                postings[key][1].append(skill.weight)
        self.postings = {
            k: (np.asarray(ix, dtype=np.int32), np.asarray(w, dtype=np.float32)) for k, (ix, w) in postings.items()
        }
        self.territory = np.asarray([p.territory for p in people])
        self.italian = np.asarray([_level(p.italian_level) for p in people], dtype=np.int8)

    def scores(self, wanted: dict[str, float], territory: str | None = None, italian: str | None = None) -> np.ndarray:
        total = np.zeros(len(self.people), dtype=np.float32)
        for key, weight in wanted.items():
            posting = self.postings.get(key)
            if posting is not None:
                np.add.at(total, posting[0], weight * posting[1])
        total /= max(sum(wanted.values()), 1e-9)
        if territory is not None:
            total += 0.05 * (self.territory == territory)
        if italian is not None:
            total -= 0.1 * (self.italian < _level(italian))
        return total

    def top(self, wanted: dict[str, float], k: int = 20, **kw: Any) -> list[tuple[int, float]]:
        scores = self.scores(wanted, **kw)
        k = min(k, len(scores))
        if k == 0:
            return []
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(int(i), float(scores[i])) for i in best if scores[i] > 0]


def _level(cefr: str) -> int:
    return CEFR_LEVELS.index(cefr) if cefr in CEFR_LEVELS else 0


def _labels(session: Session, keys: set[str]) -> dict[str, str]:
    rows = session.exec(
        select(FrameworkLabel.entity_key, FrameworkLabel.lang, FrameworkLabel.text).where(
            col(FrameworkLabel.entity_key).in_(keys), FrameworkLabel.kind == "preferred"
        )
    ).all()
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for key, lang, text in rows:
        found[key][lang] = text
    return {k: v.get("it") or v.get("en") or next(iter(v.values())) for k, v in found.items()}


class _GapIndex:
    """The repertory's competences by code and by the ESCO skills they link to, read once for a
    whole matching (a match explains hundreds of missing skills)."""

    def __init__(self, session: Session) -> None:
        self.by_code: dict[str, Competence] = {}
        self.by_uri: dict[str, Competence] = {}
        for comp in session.exec(select(Competence).order_by(col(Competence.id))):
            self.by_code.setdefault(comp.code, comp)
            for uri in comp.esco_skills:
                self.by_uri[uri] = comp  # the latest competence linking a skill answers for it

    def action(self, key: str, profile: Profile | None = None) -> str:
        return _gap(key, self.by_code.get(key) or self.by_uri.get(key), profile)


def _gap(key: str, comp: Competence | None, profile: Profile | None) -> str:
    if comp is None:
        return f"formazione sul tema '{key.rsplit('/', 1)[-1]}' (CPIA o formazione regionale)"
    held = profile.skills.get(comp.code) if profile is not None else None
    if held is not None and held.status in ("confirmed", "identified"):
        return f"completare la validazione di {comp.code} (passo IVC aperto)"
    return f"percorso di formazione regionale per {comp.code} — {text_in(comp.title, 'it')}"


def gap_action(session: Session, key: str, profile: Profile | None = None) -> str:
    """The cheapest way to close a missing skill: an open IVC step, or the repertory's training."""
    comp = session.exec(select(Competence).where(Competence.code == key).order_by(col(Competence.id))).first()
    return _gap(key, comp, profile) if comp is not None else _GapIndex(session).action(key, profile)


def _explain(
    gaps: _GapIndex, wanted: dict[str, float], profile: Profile, labels: dict[str, str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    matched = [
        {
            "skill": k,
            "label": labels.get(k, k),
            "status": profile.skills[k].status,
            "evidence": profile.skills[k].evidence,
            "document": profile.skills[k].document,
            "essential": w >= ESSENTIAL,
        }
        for k, w in wanted.items()
        if k in profile.skills
    ]
    missing = [
        {"skill": k, "label": labels.get(k, k)} for k, w in wanted.items() if w >= ESSENTIAL and k not in profile.skills
    ]
    return matched, missing, [gaps.action(m["skill"], profile) for m in missing]


def vacancy_wants(session: Session, vacancy: Vacancy) -> dict[str, float]:
    return {
        s.concept_key: ESSENTIAL if s.essential else OPTIONAL
        for s in session.exec(select(VacancySkill).where(VacancySkill.vacancy_id == vacancy.id))
    }


def _competences_for(session: Session, keys: set[str]) -> list[int]:
    """Ids of the competences a set of keys names: by code, or by an ESCO skill they link to."""
    if not keys:
        return []
    return [
        comp_id or 0
        for comp_id, code, esco in session.exec(select(Competence.id, Competence.code, Competence.esco_skills))
        if code in keys or not keys.isdisjoint(esco)
    ]


def _holders(session: Session, keys: set[str]) -> Any:
    """A subquery of the cases that hold one of ``keys`` (competence codes, ESCO skill URIs) in
    some way: a claim on a competence with that code or linked to that skill, or an accepted ESCO
    suggestion. A document in force carries only competences claimed on its case, so these find
    every dossier where one of the keys can count; ``profiles`` then decides how much."""
    comps = _competences_for(session, keys)
    return (
        select(CompetenceClaim.case_id)
        .where(col(CompetenceClaim.competence_id).in_(comps))
        .union(
            select(EscoSuggestion.case_id).where(
                col(EscoSuggestion.uri).in_(sorted(keys)), EscoSuggestion.status == "accepted"
            )
        )
    )


def match_vacancy(session: Session, vacancy_id: int, actor: Actor, top: int = 20) -> list[Match]:
    """Consented dossiers ranked for a vacancy, best first, each with its explanation."""
    _require(actor)
    vacancy = session.get(Vacancy, vacancy_id)
    if vacancy is None:
        raise NotFound(f"no vacancy {vacancy_id}", entity="vacancy", key=vacancy_id)
    wanted = vacancy_wants(session, vacancy)
    if not wanted:
        return []
    # Ranked on the dossiers holding a wanted skill, read for those skills only; the few shown
    # are then read whole, for their explanation. Nobody is listed for the district alone.
    holders = select(Case.id).where(col(Case.id).in_(_holders(session, set(wanted))))
    holding = [cid or 0 for cid in session.exec(holders)]
    people = profiles(session, holding, actor=actor, keys=set(wanted), with_evidence=False)
    # A claim rejected or not validated counts for nothing: such a holder is not a match at all,
    # not a row of 0.05 for sharing the vacancy's district.
    people = [p for p in people if not wanted.keys().isdisjoint(p.skills)]
    index = MatchIndex(people)
    best = index.top(wanted, top, territory=vacancy.territory, italian=vacancy.italian_level)
    whole = {p.case_id: p for p in profiles(session, [people[i].case_id for i, _ in best], actor=actor)}
    labels = _labels(session, set(wanted))
    gaps = _GapIndex(session)
    out = []
    for i, score in best:
        p = whole.get(people[i].case_id)
        if p is None:  # consent withdrawn between the two reads
            continue
        basis = consents.authorise_view(session, actor, p.person_id, "job_matching")
        consents.log_view(session, actor, basis, p.person_id, f"matching: vacancy {vacancy.reference}", p.case_id)
        matched, missing, gap = _explain(gaps, wanted, p, labels)
        out.append(
            Match(
                round(score, 4),
                {"case_id": p.case_id, "name": p.name, "district": p.territory, "italian_level": p.italian_level},
                matched,
                missing,
                gap,
            )
        )
        audit.record(
            session,
            actor,
            "matching.dossier_viewed",
            entity="case",
            entity_id=p.case_id,
            case_id=p.case_id,
            territory=p.territory,
            after={"vacancy": vacancy.reference, "consent_id": basis.consent_id},
        )
    return out


def match_person(session: Session, case_id: int, actor: Actor, top: int = 20) -> dict[str, list[Match]]:
    """Open vacancies and ESCO occupations ranked for one consented dossier."""
    _require(actor)
    found = profiles(session, [case_id], actor=actor)
    if not found:
        raise PermissionDenied(f"case {case_id} has no active consent to job matching (or does not exist)")
    p = found[0]
    basis = consents.authorise_view(session, actor, p.person_id, "job_matching")
    consents.log_view(session, actor, basis, p.person_id, "matching: person", case_id)
    single = MatchIndex([p])  # built once, scored against every vacancy and occupation
    gaps = _GapIndex(session)
    vacancies = []
    for vacancy in session.exec(select(Vacancy).where(col(Vacancy.open).is_(True))).all():
        wanted = vacancy_wants(session, vacancy)
        score = float(single.scores(wanted, territory=vacancy.territory, italian=vacancy.italian_level)[0])
        if score > 0:
            matched, missing, gap = _explain(gaps, wanted, p, _labels(session, set(wanted)))
            vacancies.append(
                Match(
                    round(score, 4),
                    {
                        "vacancy_id": vacancy.id,
                        "reference": vacancy.reference,
                        "title": vacancy.title,
                        "employer": vacancy.employer,
                    },
                    matched,
                    missing,
                    gap,
                )
            )
    occupations: dict[str, dict[str, float]] = defaultdict(dict)
    reached = select(EscoRelation.occupation_uri).where(col(EscoRelation.skill_uri).in_(list(p.skills)))
    for r in session.exec(select(EscoRelation).where(col(EscoRelation.occupation_uri).in_(reached))):
        occupations[r.occupation_uri][r.skill_uri] = ESSENTIAL if r.relation_type == "essential" else OPTIONAL
    ranked = [(float(single.scores(wanted)[0]), occ, wanted) for occ, wanted in occupations.items()]
    ranked.sort(key=lambda t: -t[0])
    labels = _labels(session, {o for _, o, _ in ranked[:top]})
    occ_matches = []
    for score, occ, wanted in ranked[:top]:
        skill_labels = _labels(session, set(wanted))
        matched, missing, gap = _explain(gaps, wanted, p, skill_labels)
        occ_matches.append(
            Match(round(score, 4), {"occupation": occ, "label": labels.get(occ, occ)}, matched, missing[:10], gap[:3])
        )
    audit.record(
        session,
        actor,
        "matching.person_viewed",
        entity="case",
        entity_id=case_id,
        case_id=case_id,
        territory=p.territory,
        after={"consent_id": basis.consent_id},
    )
    return {"vacancies": sorted(vacancies, key=lambda m: -m.score)[:top], "occupations": occ_matches}


def _text(value: str | None, field: str, limit: int) -> str:
    """One field of a vacancy: one line, no hidden characters, within its column."""
    if value is None:
        return ""
    if forbidden_char(value, " \t\n\r") is not None:
        raise ValidationFailed(f"{field} holds an invisible control character", field=field)
    value = " ".join(value.split())
    if len(value) > limit:
        raise ValidationFailed(f"{field} is longer than {limit} characters", field=field, limit=limit)
    return value


_COLUMNS = (
    "reference",
    "title",
    "employer",
    "esco_occupation",
    "essential_skills",
    "optional_skills",
    "district",
    "italian_level",
    "start_date",
)


def import_vacancies(session: Session, path: Path, actor: Actor) -> int:
    """Vacancies from CSV (columns: reference, title, employer, esco_occupation, essential_skills,
    optional_skills — ';'-separated ESCO URIs or competence codes —, district, italian_level,
    start_date). Without listed skills, the occupation's ESCO essential/optional skills are used.
    Idempotent by reference; the whole file or nothing."""
    authorize(actor, Permission.VACANCY_MANAGE)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            f"{path.name}: not UTF-8 text (byte {exc.start}); save it as CSV UTF-8", file=str(path)
        ) from exc
    except OSError as exc:
        raise ValidationFailed(f"{path.name}: cannot read the file ({exc.strerror})", file=str(path)) from exc
    try:
        return _import_rows(session, path, text, actor)
    except csv.Error as exc:
        raise ValidationFailed(f"{path.name}: not a readable CSV ({exc})", file=str(path)) from exc


def _skills(row: dict[str, str]) -> dict[str, bool]:
    """The skills a CSV row asks for, essential first: key -> essential."""
    skills: dict[str, bool] = {}
    for column, essential in (("essential_skills", True), ("optional_skills", False)):
        for raw in (row.get(column) or "").split(";"):
            key = _text(raw, column, 200)
            if key:
                skills.setdefault(key, essential)
    return skills


def _import_rows(session: Session, path: Path, text: str, actor: Actor) -> int:
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    missing = [c for c in ("reference", "title", "employer", "district") if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationFailed(f"{path.name}: missing column(s) {', '.join(missing)}", file=str(path))
    created = 0
    for row in reader:
        line = reader.line_num
        try:
            ref = _text(row.get("reference"), "reference", 60)
            title = _text(row.get("title"), "title", 300)
            employer = _text(row.get("employer"), "employer", 300)
            occupation = _text(row.get("esco_occupation"), "esco_occupation", 200)
            district = (row.get("district") or "").strip()
            require_territory(session, district)
            skills = _skills(row)
        except ValidationFailed as exc:
            raise ValidationFailed(f"{path.name}, row {line}: {exc}", file=str(path), row=line) from exc
        if not ref or not title:
            raise ValidationFailed(f"{path.name}, row {line}: reference and title are required", file=str(path))
        if session.exec(select(Vacancy).where(Vacancy.reference == ref)).first() is not None:
            continue
        level = (row.get("italian_level") or "A2").strip()
        if level not in CEFR_LEVELS:
            raise ValidationFailed(
                f"{path.name}, row {line}, column 'italian_level': {level!r} is not CEFR", file=str(path)
            )
        start = (row.get("start_date") or "").strip()
        try:
            start_date = date.fromisoformat(start) if start else None
        except ValueError as exc:
            raise ValidationFailed(f"{path.name}, row {line}, column 'start_date': {start!r}", file=str(path)) from exc
        vacancy = Vacancy(
            reference=ref,
            title=title,
            employer=employer,
            esco_occupation=occupation or None,
            italian_level=level,
            start_date=start_date,
            territory=district,
            created_by=actor.username,
        )
        session.add(vacancy)
        session.flush()
        if not skills and vacancy.esco_occupation:
            for r in session.exec(select(EscoRelation).where(EscoRelation.occupation_uri == vacancy.esco_occupation)):
                skills.setdefault(r.skill_uri, r.relation_type == "essential")
        for key, essential in skills.items():
            session.add(VacancySkill(vacancy_id=vacancy.id or 0, concept_key=key, essential=essential))
        created += 1
    session.flush()
    return created


def create_vacancy(
    session: Session,
    actor: Actor,
    *,
    reference: str,
    title: str,
    employer: str,
    district: str,
    essential: list[str],
    optional: list[str] | None = None,
    esco_occupation: str | None = None,
    italian_level: str = "A2",
    start_date: date | None = None,
) -> Vacancy:
    """A vacancy entered by hand (the UI form)."""
    authorize(actor, Permission.VACANCY_MANAGE)
    reference, title = _text(reference, "reference", 60), _text(title, "title", 300)
    employer = _text(employer, "employer", 300)
    if not reference or not title:
        raise ValidationFailed("reference and title are required", field="title")
    if italian_level not in CEFR_LEVELS:
        raise ValidationFailed(f"{italian_level!r} is not a CEFR level", field="italian_level")
    require_territory(session, district)
    essential = [_text(k, "skills", 200) for k in essential]
    optional = [_text(k, "skills", 200) for k in optional or []]
    esco_occupation = _text(esco_occupation, "esco_occupation", 200) or None
    if session.exec(select(Vacancy).where(Vacancy.reference == reference)).first() is not None:
        raise ValidationFailed(f"a vacancy {reference!r} exists already", field="reference")
    vacancy = Vacancy(
        reference=reference,
        title=title,
        employer=employer,
        esco_occupation=esco_occupation,
        italian_level=italian_level,
        start_date=start_date,
        territory=district,
        created_by=actor.username,
    )
    session.add(vacancy)
    session.flush()
    for key in dict.fromkeys(k for k in essential if k):
        session.add(VacancySkill(vacancy_id=vacancy.id or 0, concept_key=key, essential=True))
    for key in dict.fromkeys(k for k in optional if k):
        if key not in essential:
            session.add(VacancySkill(vacancy_id=vacancy.id or 0, concept_key=key, essential=False))
    session.flush()
    return vacancy


def shortlist_rows(session: Session, matches: list[Match], actor: Actor | None = None) -> list[dict[str, str]]:
    """A shortlist to share with an employer: only what each person consented to share — name,
    district, matched and missing skills; contacts only with consent to contact by employers
    (to the actor's organisation, and the disclosure logged, when the actor is given)."""
    out = []
    for m in matches:
        case = session.get(Case, m.subject["case_id"])
        person = session.get(Person, case.person_id) if case else None
        contact = ""
        if person is not None and actor is not None:
            try:
                basis = consents.authorise_view(session, actor, person.id or 0, "employer_contact")
            except PermissionDenied:
                pass
            else:
                consents.log_view(
                    session, actor, basis, person.id or 0, "shortlist: contacts", case.id if case else None
                )
                contact = "; ".join(x for x in (person.phone, person.email) if x)
        elif person is not None and active_consent(session, person.id or 0, ConsentPurpose.EMPLOYER_CONTACT):
            contact = "; ".join(x for x in (person.phone, person.email) if x)
        out.append(
            {
                "name": m.subject["name"],
                "district": m.subject["district"],
                "score": f"{m.score:.2f}",
                "skills": "; ".join(f"{x['label']} ({x['status']})" for x in m.matched),
                "missing": "; ".join(x["label"] for x in m.missing_essential),
                "contact": contact,
            }
        )
    return out


def shortlist_csv(rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["name", "district", "score", "skills", "missing", "contact"])
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def shortlist_pdf(vacancy: Vacancy, rows: list[dict[str, str]]) -> bytes:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

    from ivc.document import typography
    from ivc.document.typography import BOLD, REGULAR, fonts, markup

    fonts()
    style = ParagraphStyle("s", fontName=REGULAR, fontSize=8, leading=10)
    head = ParagraphStyle("h", fontName=BOLD, fontSize=13, leading=16)
    data = [
        [
            Paragraph(markup(h, True), style)
            for h in ("Nome", "Distretto", "Punteggio", "Competenze", "Mancano", "Contatto")
        ]
    ]
    data += [
        [Paragraph(markup(r[k] or "—"), style) for k in ("name", "district", "score", "skills", "missing", "contact")]
        for r in rows
    ]
    buf = io.BytesIO()
    typography.build(
        SimpleDocTemplate(buf, pagesize=landscape(A4), invariant=1, title=f"Shortlist {vacancy.reference}"),
        [
            Paragraph(markup(f"Shortlist — {vacancy.reference} {vacancy.title} ({vacancy.employer})", True), head),
            Table(data, colWidths=[110, 50, 50, 250, 170, 120], repeatRows=1),
        ],
    )
    return buf.getvalue()


# ---------------------------------------------------------------------------- dossier search (CPI)


@dataclass(frozen=True)
class DossierHit:
    case_id: int
    name: str
    district: str
    italian_level: str
    languages: list[str]
    qualifications: list[str]
    score: float
    matched: list[dict[str, Any]]  # key, label, status, document of the skills that answered the query


def _keys_for_text(session: Session, text: str) -> set[str]:
    from ivc.framework.search import search  # framework search pulls the text tools in only when used

    return {h.key for h in search(session, text, limit=40) if h.entity in ("competence", "skill")}


def search_dossiers(
    session: Session,
    actor: Actor,
    *,
    skill: str | None = None,
    occupation: str | None = None,
    qualification: str | None = None,
    district: str | None = None,
    language: str | None = None,
    limit: int = 50,
) -> list[DossierHit]:
    """Consented dossiers (job-matching consent, now) that answer a CPI advisor's query: a skill
    in words, an ESCO occupation (its essential and optional skills), a qualification of the
    repertory, a district, a language the person speaks. Best matches first."""
    authorize(actor, Permission.DOSSIER_SEARCH)
    wanted: dict[str, float] = {}
    if skill and skill.strip():
        wanted.update(dict.fromkeys(_keys_for_text(session, skill), ESSENTIAL))
        if not wanted:
            return []
    if occupation and occupation.strip():
        uri = occupation.strip()
        if not uri.startswith("http"):
            from ivc.framework.search import search

            uri = next((h.key for h in search(session, uri, entity="occupation", limit=5)), "")
        for r in session.exec(select(EscoRelation).where(EscoRelation.occupation_uri == uri)):
            wanted.setdefault(r.skill_uri, ESSENTIAL if r.relation_type == "essential" else OPTIONAL)
        if not wanted:
            return []
    recipients = consents.organisations(actor)
    # What the database can decide is decided there: consent, district, qualification and, for a
    # query about skills, the cases holding one of them. Only those dossiers are then read.
    candidates = (
        select(Case.id, Case.person_id)
        .where(col(Case.person_id).in_(consents.consenting(ConsentPurpose.JOB_MATCHING, recipients)))
        .order_by(col(Case.id))
    )
    if district:
        candidates = candidates.where(Case.territory == district)
    if qualification and qualification.strip():
        code = qualification.strip().upper()
        candidates = candidates.where(
            col(Case.id).in_(
                select(CaseTarget.case_id)
                .join(Qualification, col(Qualification.id) == col(CaseTarget.qualification_id))
                .where(Qualification.code == code)
            )
        )
    if wanted:
        candidates = candidates.where(col(Case.id).in_(_holders(session, set(wanted))))
    rows = [(cid or 0, pid) for cid, pid in session.exec(candidates)]
    labels = _labels(session, set(wanted))
    hits: list[DossierHit] = []
    # Without skills every dossier scores 0 and the first by case number are shown: read them a
    # page at a time until enough pass the language filter. With skills, all candidates are ranked.
    page = len(rows) if wanted else max(limit, 200)
    for start in range(0, len(rows), page or 1):
        batch = rows[start : start + page]
        people = profiles(session, [cid for cid, _ in batch], actor=actor, keys=set(wanted), with_evidence=False)
        spoken_of: dict[int, list[str]] = {}
        preferred: dict[int, str | None] = {}
        for chunk in _chunks(sorted({p.person_id for p in people})):
            for pid, spoken, pref in session.exec(
                select(Person.id, Person.languages, Person.preferred_language).where(col(Person.id).in_(chunk))
            ):
                spoken_of[pid or 0] = sorted({lang.get("code", "") for lang in spoken or []} - {""})
                preferred[pid or 0] = pref
        for p in people:
            spoken = spoken_of.get(p.person_id, [])
            if language and language not in spoken and preferred.get(p.person_id) != language:
                continue
            matched: list[dict[str, Any]] = [
                {"key": k, "label": labels.get(k, k), "status": p.skills[k].status, "document": p.skills[k].document}
                for k in wanted
                if k in p.skills
            ]
            if wanted and not matched:
                continue
            score = sum(wanted[m["key"]] * p.skills[m["key"]].weight for m in matched)
            hits.append(
                DossierHit(p.case_id, p.name, p.territory, p.italian_level, spoken, [], round(score, 3), matched)
            )
        if not wanted and len(hits) >= limit:
            break
    hits.sort(key=lambda h: (-h.score, h.case_id))
    hits = hits[:limit]
    quals_of: dict[int, list[str]] = defaultdict(list)
    for case_id, code in session.exec(
        select(CaseTarget.case_id, Qualification.code)
        .join(Qualification, col(Qualification.id) == col(CaseTarget.qualification_id))
        .where(col(CaseTarget.case_id).in_([h.case_id for h in hits]))
        .order_by(col(CaseTarget.case_id), col(Qualification.code))
    ):
        quals_of[case_id].append(code)
    return [replace(h, qualifications=quals_of[h.case_id]) for h in hits]


@dataclass(frozen=True)
class Dossier:
    """What a CPI advisor sees of a consented dossier: skills with status and evidence, languages,
    documents issued with their verification codes. No notes, no special-category data."""

    case_id: int
    name: str
    district: str
    italian_level: str
    languages: list[str]
    skills: list[dict[str, Any]]
    documents: list[dict[str, str]]


def open_dossier(session: Session, actor: Actor, case_id: int) -> Dossier:
    """One consented dossier, for a CPI advisor; the view is written to the audit log."""
    authorize(actor, Permission.DOSSIER_SEARCH)
    found = profiles(session, [case_id], actor=actor)
    if not found:
        raise PermissionDenied(f"case {case_id} has no active consent to job matching (or does not exist)")
    p = found[0]
    basis = consents.authorise_view(session, actor, p.person_id, "job_matching")
    consents.log_view(session, actor, basis, p.person_id, "dossier", case_id)
    person = session.get(Person, p.person_id)
    labels = _labels(session, set(p.skills))
    comps = {c.code: c for c in session.exec(select(Competence).where(col(Competence.code).in_(list(p.skills))))}
    skills = sorted(
        (
            {
                "key": key,
                "label": text_in(comps[key].title, "it") if key in comps else labels.get(key, key),
                "status": skill.status,
                "evidence": skill.evidence,
                "document": skill.document,
            }
            for key, skill in p.skills.items()
        ),
        key=lambda s: (-STATUS_WEIGHT[str(s["status"])], str(s["label"])),
    )
    docs = [
        {
            "type": d.doc_type,
            "number": d.number,
            "code": d.verification_code,
            "issued": str(d.issued_at)[:10],
            "competences_are": level_of(d.doc_type).value,
        }
        for d in session.exec(
            select(IssuedDocument).where(IssuedDocument.case_id == case_id, col(IssuedDocument.revoked_at).is_(None))
        )
    ]
    spoken = sorted({lang.get("code", "") for lang in (person.languages if person else [])} - {""})
    return Dossier(p.case_id, p.name, p.territory, p.italian_level, spoken, skills, docs)
