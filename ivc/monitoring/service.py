"""Compute the programme's indicators from the system of record, and export them without direct
identifiers: stable pseudonyms per export key (HMAC), small cells suppressed.

Documents and competences count as the issued documents in force say: a revoked document is not
counted as issued, and a competence is identified, validated or certified only when a document in
force carries it (``ivc.document.recognition``), never by ALFA's decisions alone."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from time import monotonic
from typing import Any

import yaml
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from ivc.audit import service as audit
from ivc.auth.policy import Permission, authorize
from ivc.auth.roles import Actor
from ivc.case.models import Case, CaseStateEntry
from ivc.case.states import CaseState
from ivc.config import get_settings
from ivc.document.models import IssuedDocument
from ivc.document.recognition import Level, recognition
from ivc.errors import PermissionDenied
from ivc.mediation.models import InterviewSession
from ivc.participation.service import PersonFacts, facts_for
from ivc.person.models import Person, Vulnerability

PHASES = [s.value for s in CaseState if s is not CaseState.CLOSED]


@lru_cache(maxsize=1)
def definitions() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((get_settings().reference_dir / "indicators.yaml").read_text("utf-8"))
    return data


@dataclass
class Row:
    """One person in one case, reduced to what monitoring needs (no name, no codes, no contacts)."""

    case_id: int
    person_id: int
    territory: str
    gender: str
    age_band: str
    citizenship: str
    referral_source: str
    vulnerable: bool
    states: list[str]
    outcome: str | None
    opened: datetime
    interview_language: str = "it"
    mediated: bool = False
    documents: list[str] = field(default_factory=list)  # types of the documents in force
    participation: PersonFacts = field(default_factory=PersonFacts)
    # Competences of the case by what the documents in force make of them (each at its highest).
    competences: dict[str, int] = field(default_factory=dict)  # identified / validated / certified -> n


def _age_band(birth: date | None, on: date) -> str:
    if birth is None:
        return "unknown"
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    for low, high in definitions()["age_bands"]:
        if low <= age <= high:
            return f"{low}-{high}"
    return "unknown"


def _cases(start: date | None, end: date | None, territory: str | None) -> Any:
    """The cases of the period and district, as a subquery: each table is then read for these
    cases in the database, never by sending their ids back to it."""
    stmt = select(Case.id)
    if territory:
        stmt = stmt.where(Case.territory == territory)
    # A case belongs to the period of the day (UTC) it was opened, ends included.
    if start:
        stmt = stmt.where(col(Case.created_at) >= datetime.combine(start, time.min, UTC))
    if end:
        stmt = stmt.where(col(Case.created_at) < datetime.combine(end + timedelta(days=1), time.min, UTC))
    return stmt


def rows(
    session: Session, start: date | None = None, end: date | None = None, territory: str | None = None
) -> list[Row]:
    """One row per case opened in the period (and district), with what the indicators count. A
    fixed number of queries, each filtered in the database, whatever the number of cases."""
    cases = _cases(start, end, territory)
    found = session.execute(
        sa_select(  # columns, not records: nothing to decrypt or build beyond what is counted
            col(Case.id),
            col(Case.person_id),
            col(Case.territory),
            col(Case.outcome),
            col(Case.created_at),
            col(Case.interview_language),
            col(Case.mediator),
            col(Person.gender),
            col(Person.birth_date),
            col(Person.citizenship),
            col(Person.referral_source),
        )
        .join(Person, col(Person.id) == col(Case.person_id))
        .where(col(Case.id).in_(cases))
        .order_by(col(Case.id))
    ).all()
    people = select(Case.person_id).where(col(Case.id).in_(cases))
    vulnerable = set(session.exec(select(Vulnerability.person_id).where(col(Vulnerability.person_id).in_(people))))
    entries: dict[int, list[str]] = defaultdict(list)
    for case_id, state in session.exec(
        select(CaseStateEntry.case_id, CaseStateEntry.state)
        .where(col(CaseStateEntry.case_id).in_(cases))
        .order_by(col(CaseStateEntry.id))
    ):
        entries[case_id].append(state)
    docs: dict[int, list[str]] = defaultdict(list)
    for case_id, kind in session.exec(
        select(IssuedDocument.case_id, IssuedDocument.doc_type).where(
            col(IssuedDocument.revoked_at).is_(None), col(IssuedDocument.case_id).in_(cases)
        )
    ):
        docs[case_id].append(kind)
    today = date.today()
    participation = facts_for(session, people, start, end)
    recognised = recognition(session, cases)
    out = []
    for case_id, person_id, district, outcome, opened, language, mediator, gender, birth, country, source in found:
        out.append(
            Row(
                case_id,
                person_id,
                district,
                gender,
                _age_band(birth, today),
                country,
                source,
                person_id in vulnerable,
                entries[case_id],
                outcome,
                opened,
                language,
                mediator is not None,
                docs[case_id],
                participation.get(person_id, PersonFacts()),
                dict(Counter(r.level.value for r in recognised[case_id].values())) if case_id in recognised else {},
            )
        )
    return out


def _recognised_at_least(row: Row, level: str) -> bool:
    """At least one competence of the case is recognised at ``level`` or higher by a document in
    force (``identified`` < ``validated`` < ``certified``)."""
    order = list(Level)
    wanted = order.index(Level(level))
    return any(n > 0 and order.index(Level(k)) >= wanted for k, n in row.competences.items())


_RULES: dict[str, Callable[[Row, dict[str, Any]], bool]] = {
    "people_reached": lambda r, p: True,
    "people_admitted": lambda r, p: CaseState.IDENTIFICATION.value in r.states,
    "people_requested_validation": lambda r, p: CaseState.VALIDATION.value in r.states,
    "documents_transparency": lambda r, p: "documento_trasparenza" in r.documents,
    "documents_validation": lambda r, p: "documento_validazione" in r.documents,
    "documents_certificate": lambda r, p: "certificato" in r.documents,
    "outcome_partial": lambda r, p: r.outcome in ("validazione_parziale", "certificazione_parziale"),
    # People with a competence recognised at least at params["level"] by a document in force.
    "competences_recognised": lambda r, p: _recognised_at_least(r, str(p.get("level", "validated"))),
    # Support activities beside the IVC path (ivc.participation): params name the kinds counted.
    "activity": lambda r, p: bool(r.participation.activities & set(p["kinds"])),
    "admitted_or_activity": lambda r, p: (
        CaseState.IDENTIFICATION.value in r.states or bool(r.participation.activities & set(p["kinds"]))
    ),
    "cefr_improved": lambda r, p: r.participation.cefr_improved,
    "integration_helped": lambda r, p: r.participation.integration_helped,
}


def _head(ind: dict[str, Any]) -> dict[str, Any]:
    return {"code": ind["code"], "kind": ind["kind"], "label": ind["label"]}


def indicators(session: Session, actor: Actor, **filters: Any) -> dict[str, Any]:
    """Every indicator, in total and by each breakdown; the funnel; median days per phase."""
    authorize(actor, Permission.MONITORING_READ)
    data = rows(session, **filters)
    result: dict[str, Any] = {"indicators": [], "funnel": {}, "median_days": {}}
    breakdowns = list(definitions()["breakdowns"])
    values = [tuple(str(getattr(r, b)) for b in breakdowns) for r in data]
    for ind in definitions()["indicators"]:
        if ind.get("unit") == "authorities":
            # Local and regional authorities supported: the districts' lead municipalities whose
            # people the service took on in the period. Not a count of people: no breakdowns.
            result["indicators"].append(
                {**_head(ind), "total": len({r.territory for r in data}), "by": {}, "unit": "authorities"}
            )
            continue
        rule, params = _RULES[ind["rule"]], ind.get("params", {})
        hits = [i for i, r in enumerate(data) if rule(r, params)]
        people = {data[i].person_id for i in hits}
        by: dict[str, dict[str, int]] = {}
        for j, breakdown in enumerate(breakdowns):
            # A person counts once per value of the breakdown, whatever their number of cases.
            counter = Counter(value for value, _ in {(values[i][j], data[i].person_id) for i in hits})
            by[breakdown] = dict(sorted(counter.items()))
        result["indicators"].append({**_head(ind), "total": len(people), "by": by, "unit": ind.get("unit", "people")})
    for phase in PHASES:
        result["funnel"][phase] = len({r.person_id for r in data if phase in r.states})
    durations: dict[str, list[float]] = defaultdict(list)
    cases = _cases(filters.get("start"), filters.get("end"), filters.get("territory"))
    for state, entered, left in session.exec(
        select(CaseStateEntry.state, CaseStateEntry.entered_at, CaseStateEntry.left_at).where(
            col(CaseStateEntry.case_id).in_(cases), col(CaseStateEntry.left_at).is_not(None)
        )
    ):
        assert left is not None
        durations[state].append((left - entered).total_seconds() / 86400)
    result["median_days"] = {k: round(statistics.median(v), 2) for k, v in durations.items()}
    result["people"] = len({r.person_id for r in data})
    result["mediation"] = mediation_figures(session, cases)
    return result


# Figures computed for a dashboard, by filters: reused while nothing they count has changed and
# for at most SNAPSHOT_SECONDS (edits of a person's details are not in the fingerprint).
SNAPSHOT_SECONDS = 300
_snapshots: dict[tuple[Any, ...], tuple[float, tuple[Any, ...], datetime, dict[str, Any]]] = {}


def _fingerprint(session: Session) -> tuple[Any, ...]:
    """What changes when anything the indicators count changes: one round trip, a few ms."""
    from ivc.participation.models import IntegrationFeedback, LanguageLevel, SupportActivity

    def top(column: Any) -> Any:
        return select(func.max(column)).scalar_subquery()

    return tuple(
        session.execute(
            sa_select(
                select(func.count()).select_from(Case).scalar_subquery(),
                top(Case.id),
                top(CaseStateEntry.id),
                top(IssuedDocument.id),
                select(func.count()).where(col(IssuedDocument.revoked_at).is_not(None)).scalar_subquery(),
                top(Vulnerability.id),
                top(InterviewSession.id),
                top(SupportActivity.id),
                top(LanguageLevel.id),
                top(IntegrationFeedback.id),
                top(Person.id),
            )
        ).one()
    )


def snapshot(session: Session, actor: Actor, *, fresh: bool = False, **filters: Any) -> tuple[datetime, dict[str, Any]]:
    """``indicators`` for a dashboard, with the time they were computed: the figures of an earlier
    call with the same filters when nothing counted has changed since and they are under
    ``SNAPSHOT_SECONDS`` old (``fresh`` recomputes them). On 100,000 cases a computation takes
    seconds; a dashboard redrawn on every click must not pay it each time."""
    authorize(actor, Permission.MONITORING_READ)
    key = (str(session.get_bind().engine.url), tuple(sorted(filters.items())))
    mark = _fingerprint(session)
    now = monotonic()
    cached = _snapshots.get(key)
    if not fresh and cached is not None and cached[1] == mark and now - cached[0] < SNAPSHOT_SECONDS:
        return cached[2], cached[3]
    figures = indicators(session, actor, **filters)
    computed = datetime.now(UTC)
    _snapshots[key] = (now, mark, computed, figures)
    return computed, figures


def mediation_figures(session: Session, case_ids: Any) -> dict[str, Any]:
    """Interview sessions of these cases (ids, or a subquery of them): how many, how many with a
    mediator, hours, and sessions per language used (a session in two languages counts for each)."""
    sessions = list(session.exec(select(InterviewSession).where(col(InterviewSession.case_id).in_(case_ids))))
    mediated = [s for s in sessions if s.mediator]
    by_language: Counter[str] = Counter(lang for s in sessions for lang in sorted(set(s.languages)))
    return {
        "sessions": len(sessions),
        "with_mediator": len(mediated),
        "mediated_hours": round(sum(s.duration_minutes for s in mediated) / 60, 1),
        "cases_with_mediator": len({s.case_id for s in mediated}),
        "by_language": dict(sorted(by_language.items())),
    }


def pseudonym(export_key: str, person_id: int) -> str:
    """Stable for one export key, unlinkable across keys, irreversible without the key."""
    return hmac.new(export_key.encode(), f"person:{person_id}".encode(), hashlib.sha256).hexdigest()[:16]


def suppress(count: int) -> str:
    return "<5" if 0 < count < int(definitions()["small_cell_threshold"]) else str(count)


def export_csv(session: Session, actor: Actor, export_key: str, **filters: Any) -> tuple[str, str]:
    """Two CSVs for the monitoring partner: pseudonymised records (no name, no codice fiscale, no
    contacts, no birth date) and aggregated indicators with small cells suppressed."""
    authorize(actor, Permission.MONITORING_EXPORT)
    if len(export_key) < 16:
        raise PermissionDenied("the export key must be at least 16 characters")
    data = rows(session, **filters)
    # Referral source (penal or health services) and vulnerability are special-category data,
    # even under a pseudonym: the export is logged like any other look at them.
    audit.record_read(
        session,
        actor,
        entity="monitoring_export",
        entity_id=None,
        fields=["person.referral_source", "vulnerability"],
        count=len({r.person_id for r in data}),
        action="monitoring.special_export",
    )
    records = io.StringIO()
    w = csv.writer(records)
    w.writerow(
        [
            "pseudonym",
            "territory",
            "gender",
            "age_band",
            "citizenship",
            "referral_source",
            "vulnerable",
            "furthest_state",
            "outcome",
            "opened_month",
            "competences_identified",
            "competences_validated",
            "competences_certified",
        ]
    )
    order = {s.value: i for i, s in enumerate(CaseState)}
    for r in data:
        furthest = max(r.states, key=lambda s: order.get(s, -1)) if r.states else ""
        w.writerow(
            [
                pseudonym(export_key, r.person_id),
                r.territory,
                r.gender,
                r.age_band,
                r.citizenship,
                r.referral_source,
                int(r.vulnerable),
                furthest,
                r.outcome or "",
                r.opened.strftime("%Y-%m"),
                r.competences.get(Level.IDENTIFIED.value, 0),
                r.competences.get(Level.VALIDATED.value, 0),
                r.competences.get(Level.CERTIFIED.value, 0),
            ]
        )
    figures = indicators(session, actor, **filters)
    agg = io.StringIO()
    w = csv.writer(agg)
    w.writerow(["indicator", "breakdown", "value", "count"])
    for ind in figures["indicators"]:
        # Small cells protect people; a count of authorities needs no suppression.
        total = suppress(ind["total"]) if ind.get("unit", "people") == "people" else str(ind["total"])
        w.writerow([ind["code"], "total", "", total])
        for breakdown, values in ind["by"].items():
            for value, n in values.items():
                w.writerow([ind["code"], breakdown, value, suppress(n)])
    return records.getvalue(), agg.getvalue()
