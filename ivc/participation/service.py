"""Record the person's support activities, Italian levels and integration feedback, and derive
from them what monitoring counts: who took part in what, who improved at least one CEFR level,
who said the path helped them.

Recording is the operator's work in the person's district; a repeated submission of the same fact
returns the row already there instead of adding a second one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, Field, field_validator, model_validator
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import Select
from sqlmodel import Session, SQLModel, col, select

from ivc.audit import service as audit
from ivc.auth.policy import Permission, authorize
from ivc.auth.roles import Actor
from ivc.case.models import Case
from ivc.errors import ConflictError, NotFound, PermissionDenied, ValidationFailed, first_error
from ivc.participation.models import (
    ActivityKind,
    Answer,
    CefrLevel,
    IntegrationFeedback,
    LanguageLevel,
    LevelSource,
    SupportActivity,
)
from ivc.person.models import Person
from ivc.text import LANGUAGE_CODE, clean_line

T = TypeVar("T", bound=SQLModel)

# The level the operator noted at intake (``Person.italian_level``) is the starting point when no
# assessment is older; "native" speakers have nothing to improve and are left out.
INTAKE_LEVEL = {"none": CefrLevel.PRE_A1, **{lv.value: lv for lv in CefrLevel if lv is not CefrLevel.PRE_A1}}


class ActivityIn(BaseModel):
    kind: ActivityKind
    provider: str = Field(min_length=1, max_length=200)
    title: str | None = Field(default=None, max_length=300)
    started_on: date
    ended_on: date | None = None
    hours: float | None = Field(default=None, gt=0, le=2000)
    completed: bool | None = None
    case_id: int | None = None

    @field_validator("provider", "title")
    @classmethod
    def _clean(cls, value: str | None, info: Any) -> str | None:
        if value is None:
            return None
        return clean_line(value, info.field_name, required=info.field_name == "provider", max_length=300) or None

    @model_validator(mode="after")
    def _dates(self) -> ActivityIn:
        if self.started_on > date.today():
            raise ValueError("started_on: an activity is recorded once it has started")
        if self.ended_on is not None and self.ended_on < self.started_on:
            raise ValueError("ended_on: the end comes before the start")
        if self.completed is not None and self.ended_on is None:
            raise ValueError("ended_on: say when it ended to record whether it was completed")
        return self


def _person(session: Session, person_id: int) -> Person:
    if not 0 < person_id < 2**31:  # beyond any stored id (and PostgreSQL's integer)
        raise NotFound(f"no person {person_id}", code="not_found")
    person = session.get(Person, person_id)
    if person is None or person.erased_at is not None:
        raise NotFound(f"no person {person_id}", code="not_found")
    return person


def _district(session: Session, person: Person, case_id: int | None) -> str:
    """Facts about a person belong to the district of the case they came with, else the person's."""
    if case_id is None:
        return person.territory
    case = session.get(Case, case_id)
    if case is None or case.person_id != person.id:
        raise ValidationFailed(f"case {case_id} is not a case of person {person.id}", field="case_id")
    return case.territory


def _insert_once(session: Session, row: T, natural: Callable[[], T | None]) -> tuple[T, bool]:
    """Add ``row`` unless the same fact is already stored; (row, created)."""
    existing = natural()
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # a concurrent submission of the same fact won the race
        existing = natural()
        if existing is None:
            raise
        return existing, False
    return row, True


def record_activity(session: Session, person_id: int, data: ActivityIn, actor: Actor) -> SupportActivity:
    """Record that the person took part in a support activity (idempotent on person, kind,
    provider and start day)."""
    return _record_activity(session, person_id, data, actor)[0]


def _record_activity(session: Session, person_id: int, data: ActivityIn, actor: Actor) -> tuple[SupportActivity, bool]:
    person = _person(session, person_id)
    district = _district(session, person, data.case_id)
    authorize(actor, Permission.PARTICIPATION_RECORD, district)
    row = SupportActivity(
        person_id=person_id,
        case_id=data.case_id,
        kind=data.kind.value,
        provider=data.provider,
        title=data.title,
        started_on=data.started_on,
        ended_on=data.ended_on,
        hours=data.hours,
        completed=data.completed,
        created_by=actor.username,
        territory=district,
    )
    activity, created = _insert_once(
        session,
        row,
        lambda: session.exec(
            select(SupportActivity).where(
                SupportActivity.person_id == person_id,
                SupportActivity.kind == data.kind.value,
                SupportActivity.provider == data.provider,
                SupportActivity.started_on == data.started_on,
            )
        ).first(),
    )
    if created:
        audit.record(
            session,
            actor,
            "participation.activity_recorded",
            entity="supportactivity",
            entity_id=activity.id,
            case_id=data.case_id,
            territory=district,
            after={"kind": activity.kind, "provider": activity.provider, "started_on": str(activity.started_on)},
        )
    return activity, created


def finish_activity(
    session: Session,
    activity_id: int,
    *,
    ended_on: date,
    completed: bool,
    hours: float | None,
    version: int,
    actor: Actor,
) -> SupportActivity:
    """Close an activity: when it ended, whether the person completed it, hours attended."""
    activity = session.get(SupportActivity, activity_id)
    if activity is None:
        raise NotFound(f"no activity {activity_id}")
    authorize(actor, Permission.PARTICIPATION_RECORD, activity.territory)
    if activity.version != version:
        raise ConflictError(f"activity {activity_id} was changed by {activity.created_by} meanwhile; reload it")
    if ended_on < activity.started_on or ended_on > date.today():
        raise ValidationFailed("the end must fall between the start and today", field="ended_on")
    if hours is not None and not 0 < hours <= 2000:
        raise ValidationFailed("hours must be between 0 and 2000", field="hours")
    before = {"ended_on": str(activity.ended_on), "completed": activity.completed, "hours": activity.hours}
    activity.ended_on, activity.completed = ended_on, completed
    if hours is not None:
        activity.hours = hours
    activity.version += 1
    session.add(activity)
    session.flush()
    audit.record(
        session,
        actor,
        "participation.activity_finished",
        entity="supportactivity",
        entity_id=activity.id,
        case_id=activity.case_id,
        territory=activity.territory,
        before=before,
        after={"ended_on": str(ended_on), "completed": completed, "hours": activity.hours},
    )
    return activity


def record_level(
    session: Session,
    person_id: int,
    *,
    level: CefrLevel | str,
    assessed_on: date,
    source: LevelSource | str,
    actor: Actor,
    language: str = "it",
    activity_id: int | None = None,
) -> LanguageLevel:
    """Record the person's level in a language on a day (idempotent on person, language, day, source)."""
    person = _person(session, person_id)
    try:
        level, source = CefrLevel(level), LevelSource(source)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="level") from exc
    language = language.strip()
    if not LANGUAGE_CODE.match(language):
        raise ValidationFailed(f"{language!r} is not a language code", field="language")
    if assessed_on > date.today():
        raise ValidationFailed("an assessment cannot be in the future", field="assessed_on")
    if activity_id is not None:
        activity = session.get(SupportActivity, activity_id)
        if activity is None or activity.person_id != person_id:
            raise ValidationFailed(f"activity {activity_id} is not one of this person's", field="activity_id")
    authorize(actor, Permission.PARTICIPATION_RECORD, person.territory)
    row = LanguageLevel(
        person_id=person_id,
        language=language,
        level=level.value,
        assessed_on=assessed_on,
        source=source.value,
        activity_id=activity_id,
        created_by=actor.username,
        territory=person.territory,
    )
    stored, created = _insert_once(
        session,
        row,
        lambda: session.exec(
            select(LanguageLevel).where(
                LanguageLevel.person_id == person_id,
                LanguageLevel.language == language,
                LanguageLevel.assessed_on == assessed_on,
                LanguageLevel.source == source.value,
            )
        ).first(),
    )
    if not created and stored.level != level.value:
        raise ConflictError(
            f"a {source.value} on {assessed_on} already gave {stored.level}; one assessment gives one level",
            code="level_recorded",
        )
    if created:
        audit.record(
            session,
            actor,
            "participation.level_recorded",
            entity="languagelevel",
            entity_id=stored.id,
            territory=person.territory,
            after={"language": language, "level": level.value, "on": str(assessed_on), "source": source.value},
        )
    return stored


def record_feedback(
    session: Session,
    person_id: int,
    *,
    answer: Answer | str,
    asked_in: str,
    actor: Actor,
    asked_on: date | None = None,
    case_id: int | None = None,
) -> IntegrationFeedback:
    """The person's answer to the integration question; a second answer on the same day corrects
    the first (both stay in the audit log)."""
    person = _person(session, person_id)
    try:
        answer = Answer(answer)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="answer") from exc
    asked_in = asked_in.strip()
    if not LANGUAGE_CODE.match(asked_in):
        raise ValidationFailed(f"{asked_in!r} is not a language code", field="asked_in")
    day = asked_on or date.today()
    if day > date.today():
        raise ValidationFailed("the question cannot be asked in the future", field="asked_on")
    district = _district(session, person, case_id)
    authorize(actor, Permission.PARTICIPATION_RECORD, district)
    row = IntegrationFeedback(
        person_id=person_id,
        case_id=case_id,
        asked_on=day,
        answer=answer.value,
        asked_in=asked_in,
        created_by=actor.username,
        territory=district,
    )
    stored, created = _insert_once(
        session,
        row,
        lambda: session.exec(
            select(IntegrationFeedback).where(
                IntegrationFeedback.person_id == person_id, IntegrationFeedback.asked_on == day
            )
        ).first(),
    )
    before = None
    if not created and stored.answer != answer.value:
        before = {"answer": stored.answer}
        stored.answer, stored.asked_in = answer.value, asked_in
        session.add(stored)
        session.flush()
    if created or before:
        audit.record(
            session,
            actor,
            "participation.feedback_recorded",
            entity="integrationfeedback",
            entity_id=stored.id,
            case_id=case_id,
            territory=district,
            before=before,
            after={"answer": answer.value, "asked_in": asked_in, "on": str(day)},
        )
    return stored


# ---------------------------------------------------------------------------- reading


@dataclass
class Progress:
    """Levels in one language: where the person started, where they are, how many CEFR steps up."""

    language: str
    baseline: str
    baseline_on: date | None
    latest: str
    latest_on: date | None
    steps: int

    @property
    def improved(self) -> bool:
        return self.steps >= 1


@dataclass
class Participation:
    person_id: int
    activities: list[SupportActivity] = field(default_factory=list)
    levels: list[LanguageLevel] = field(default_factory=list)
    feedback: list[IntegrationFeedback] = field(default_factory=list)
    progress: list[Progress] = field(default_factory=list)


def progress(
    levels: Iterable[LanguageLevel], intake_level: str | None = None, intake_on: date | None = None
) -> list[Progress]:
    """Per language: baseline = the earliest assessment (for Italian with a single assessment, the
    level noted at intake), latest = the most recent; steps counted on the CEFR scale. Same-day assessments
    are ordered by level so a placement test and an exam on one day never count as progress."""
    by_language: dict[str, list[tuple[date | None, int, str]]] = defaultdict(list)
    for lv in levels:
        by_language[lv.language].append((lv.assessed_on, CefrLevel(lv.level).rank, lv.level))
    start = INTAKE_LEVEL.get(intake_level or "")
    italian = by_language.get("it", [])
    # The operator's estimate at intake stands in only where a single assessment has nothing
    # else to be compared with; a placement test is the better starting point when there is one.
    if start is not None and intake_on is not None and len(italian) == 1 and (italian[0][0] or date.max) >= intake_on:
        italian.insert(0, (intake_on, start.rank, start.value))
    out = []
    for language, points in sorted(by_language.items()):
        points.sort(key=lambda p: (p[0] or date.min, p[1]))
        first, last = points[0], points[-1]
        out.append(Progress(language, first[2], first[0], last[2], last[0], last[1] - first[1]))
    return out


def participation(session: Session, person_id: int, actor: Actor) -> Participation:
    person = _person(session, person_id)
    authorize(actor, Permission.CASE_READ, person.territory)
    result = Participation(person_id)
    result.activities = list(
        session.exec(
            select(SupportActivity)
            .where(SupportActivity.person_id == person_id)
            .order_by(col(SupportActivity.started_on).desc(), col(SupportActivity.id))
        )
    )
    result.levels = list(
        session.exec(
            select(LanguageLevel)
            .where(LanguageLevel.person_id == person_id)
            .order_by(col(LanguageLevel.assessed_on), col(LanguageLevel.id))
        )
    )
    result.feedback = list(
        session.exec(
            select(IntegrationFeedback)
            .where(IntegrationFeedback.person_id == person_id)
            .order_by(col(IntegrationFeedback.asked_on).desc())
        )
    )
    result.progress = progress(result.levels, person.italian_level, person.created_at.date())
    return result


@dataclass(frozen=True)
class PersonFacts:
    """What monitoring needs of one person's participation, nothing that identifies them."""

    activities: frozenset[str] = frozenset()
    cefr_improved: bool = False
    integration_helped: bool = False


def facts_for(
    session: Session, person_ids: Iterable[int] | Select[Any], start: date | None = None, end: date | None = None
) -> dict[int, PersonFacts]:
    """Activities started in the period (all when no period is given), CEFR progress up to the end
    of the period, and the latest integration answer given by its end — for the people given as
    ids or as a subquery of ids (read in the database, however many). People with none of these
    facts are left out: their facts are the empty ``PersonFacts()``."""
    groups: list[Any]
    if isinstance(person_ids, Select):
        groups = [person_ids]
    else:
        ids = sorted(set(person_ids))
        groups = [ids[at : at + 5000] for at in range(0, len(ids), 5000)]  # a driver takes ≤ 65,535 parameters
    kinds: dict[int, set[str]] = defaultdict(set)
    levels: dict[int, list[LanguageLevel]] = defaultdict(list)
    latest: dict[int, tuple[date, str]] = {}
    for group in groups:
        stmt = select(col(SupportActivity.person_id), col(SupportActivity.kind), col(SupportActivity.started_on))
        for pid, kind, started in session.exec(stmt.where(col(SupportActivity.person_id).in_(group))):
            if (start is None or started >= start) and (end is None or started <= end):
                kinds[pid].add(kind)
        for lv in session.exec(select(LanguageLevel).where(col(LanguageLevel.person_id).in_(group))):
            if end is None or lv.assessed_on <= end:
                levels[lv.person_id].append(lv)
        for fb_person, asked_on, answer in session.exec(
            select(
                col(IntegrationFeedback.person_id), col(IntegrationFeedback.asked_on), col(IntegrationFeedback.answer)
            ).where(col(IntegrationFeedback.person_id).in_(group))
        ):
            if end is not None and asked_on > end:
                continue
            if fb_person not in latest or asked_on > latest[fb_person][0]:
                latest[fb_person] = (asked_on, answer)
    # The level at intake is the baseline of progress: read only for people assessed since.
    assessed = sorted(levels)
    intake: dict[int, tuple[str, date]] = {}
    for at in range(0, len(assessed), 5000):
        intake.update(
            (pid, (level, created.date()))
            for pid, level, created in session.exec(
                select(col(Person.id), col(Person.italian_level), col(Person.created_at)).where(
                    col(Person.id).in_(assessed[at : at + 5000])
                )
            )
            if pid is not None
        )
    out = {}
    for pid in sorted(set(kinds) | set(levels) | set(latest)):
        level, on = intake.get(pid, (None, None))
        improved = any(p.improved for p in progress(levels[pid], level, on)) if levels[pid] else False
        out[pid] = PersonFacts(frozenset(kinds[pid]), improved, latest.get(pid, (None, ""))[1] == Answer.HELPED.value)
    return out


# ---------------------------------------------------------------------------- registers


@dataclass
class ImportReport:
    """What a course register did: rows added, rows already there, and each refused row's reason."""

    added: int = 0
    already_there: int = 0
    errors: list[str] = field(default_factory=list)


REGISTER_COLUMNS = ("person_id", "kind", "provider", "title", "started_on", "ended_on", "hours", "completed")
MAX_REGISTER_ROWS = 20_000


def import_register(session: Session, text: str, actor: Actor) -> ImportReport:
    """Import a register of activities (CSV with ``REGISTER_COLUMNS``, as a CPIA or a training body
    sends it). Every row is checked first; when any row is wrong nothing is stored and every wrong
    row is reported with its line number. Rows already stored are counted, not added again."""
    import csv
    import io

    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in ("person_id", "kind", "provider", "started_on") if c not in header]
    if missing:
        raise ValidationFailed(f"the register lacks the column(s) {', '.join(missing)}", field="header")
    reader.fieldnames = header
    parsed: list[tuple[int, int, ActivityIn]] = []
    rows = iter(reader)
    line = 1
    while True:
        try:
            raw = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:  # a NUL byte, a quote never closed
            raise ValidationFailed(f"line {reader.line_num}: not a CSV row ({exc})", field="rows") from exc
        line = reader.line_num
        if line - 1 > MAX_REGISTER_ROWS:
            raise ValidationFailed(f"a register holds at most {MAX_REGISTER_ROWS} rows; split it", field="rows")
        if None in raw:
            report.errors.append(f"line {line}: more values than columns (a comma inside a name? put it in quotes)")
            continue
        row = {k: (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        try:
            person_id = int(row["person_id"])
            data = ActivityIn(
                kind=ActivityKind(row["kind"]),
                provider=row["provider"],
                title=row.get("title") or None,
                started_on=date.fromisoformat(row["started_on"]),
                ended_on=date.fromisoformat(row["ended_on"]) if row.get("ended_on") else None,
                hours=float(row["hours"].replace(",", ".")) if row.get("hours") else None,
                completed={"": None, "si": True, "sì": True, "yes": True, "1": True, "true": True}.get(
                    row.get("completed", "").lower(), False
                ),
            )
            person = _person(session, person_id)
            authorize(actor, Permission.PARTICIPATION_RECORD, person.territory)
        except (ValueError, ValidationFailed, NotFound, PermissionDenied) as exc:
            report.errors.append(f"line {line}: {first_error(exc, 'row')}")
            continue
        parsed.append((line, person_id, data))
    if report.errors:
        return report
    # Everything was checked: a failure now is not the register's fault and rolls back the whole of it.
    for _line, person_id, data in parsed:
        _, created = _record_activity(session, person_id, data, actor)
        report.added += created
        report.already_there += not created
    return report
