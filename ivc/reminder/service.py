"""Deadline jobs and the outbox. Each job finds what is due at ``now`` and puts one message per
(kind, case, period, recipient) in the outbox: run twice, it adds nothing the second time.
Messages name the case by number and carry a link; never a name, a birth date or a codice
fiscale (the sender resolves the person's address from the case when it sends).

Archiving needs a warning for the same spell of inactivity and no pending contest: the person
is always told first and can object, and a pending objection stops archiving until reviewed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ivc.assessment.models import Assessment, AssessmentPhase, ExamSession
from ivc.audit import service as audit
from ivc.audit.models import AuditEvent
from ivc.auth.roles import SYSTEM_ACTOR, Actor, Role
from ivc.case.models import Case
from ivc.case.service import lock_for_edit
from ivc.case.states import Activity, CaseState
from ivc.config import get_settings
from ivc.coverage.service import case_coverage
from ivc.database.core import utcnow
from ivc.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from ivc.i18n import t
from ivc.reminder.models import ArchiveContest, ContestStatus, Notification, ReminderKind

PERSON = "person"  # the recipient key of the person themself


def case_link(case_id: int) -> str:
    return f"{get_settings().case_base_url.rstrip('/')}/{case_id}"


def enqueue(
    session: Session,
    kind: ReminderKind,
    case_id: int,
    period: str,
    recipient: str,
    at: datetime | None = None,
    **params: object,
) -> bool:
    """Put one message in the outbox unless that (kind, case, period, recipient) is there already.
    The unique key settles races between two runs: the loser's insert is rolled back alone.
    ``at`` is the job's clock (the notice period of archiving counts from it)."""
    exists = session.exec(
        select(Notification.id).where(
            Notification.kind == kind.value,
            Notification.case_id == case_id,
            Notification.period == period,
            Notification.recipient == recipient,
        )
    ).first()
    if exists is not None:
        return False
    link = case_link(case_id)
    lang = get_settings().default_language
    row = Notification(
        kind=kind.value,
        case_id=case_id,
        period=period,
        recipient=recipient,
        subject=t(f"reminder.{kind.value}.subject", lang, case_id=case_id, link=link, **params)[:200],
        body=t(f"reminder.{kind.value}.body", lang, case_id=case_id, link=link, **params)[:2000],
        link=link,
        created_at=at or utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


# ---------------------------------------------------------------------------- activity


def _open_cases(session: Session, now: datetime) -> list[Case]:
    rows = session.exec(
        select(Case).where(Case.state != CaseState.CLOSED.value, Case.activity != Activity.ARCHIVED.value)
    ).all()
    return [c for c in rows if c.suspended_until is None or c.suspended_until < now.date()]


def last_activity(session: Session, case_ids: list[int]) -> dict[int, datetime]:
    """When each case last had real activity: any audited change except views of the dossier and
    the archiving machinery itself, or an upheld contest (the person said they are still there)."""
    out: dict[int, datetime] = {}
    stmt = (
        select(AuditEvent.case_id, func.max(AuditEvent.at))
        .where(col(AuditEvent.case_id).in_(case_ids))
        .where(~col(AuditEvent.action).like("%_viewed"), ~col(AuditEvent.action).like("case.archive%"))
        .group_by(col(AuditEvent.case_id))
    )
    for case_id, at in session.exec(stmt).all():
        if case_id is not None and at is not None:
            out[case_id] = at
    upheld = select(ArchiveContest.case_id, func.max(ArchiveContest.reviewed_at)).where(
        col(ArchiveContest.case_id).in_(case_ids), ArchiveContest.status == ContestStatus.UPHELD.value
    )
    for case_id, reviewed in session.exec(upheld.group_by(col(ArchiveContest.case_id))).all():
        if reviewed is not None and (case_id not in out or reviewed > out[case_id]):
            out[case_id] = reviewed
    return out


def _spell(session: Session, now: datetime, days: int) -> list[tuple[Case, datetime]]:
    cases = _open_cases(session, now)
    last = last_activity(session, [c.id or 0 for c in cases])
    out = []
    for case in cases:
        at = max(last.get(case.id or 0, case.state_entered_at), case.state_entered_at)
        if at <= now - timedelta(days=days):
            out.append((case, at))
    return out


def warn_inactive(session: Session, now: datetime) -> int:
    settings = get_settings()
    sent = 0
    for case, at in _spell(session, now, settings.inactivity_warning_days):
        params = {
            "since": at.date().isoformat(),
            "archive_on": (at + timedelta(days=settings.archive_after_days)).date().isoformat(),
        }
        for recipient in (case.operator, PERSON):
            sent += enqueue(
                session,
                ReminderKind.INACTIVITY_WARNING,
                case.id or 0,
                f"since:{params['since']}",
                recipient,
                now,
                **params,
            )
    return sent


def pending_contest(session: Session, case_id: int) -> ArchiveContest | None:
    return session.exec(
        select(ArchiveContest).where(
            ArchiveContest.case_id == case_id, ArchiveContest.status == ContestStatus.PENDING.value
        )
    ).first()


def archive_inactive(session: Session, now: datetime) -> int:
    """Archive cases dormant past the limit that were warned for this spell at least the notice
    period ago (so the person had time to object) and have no pending contest."""
    settings = get_settings()
    archived = 0
    for case, at in _spell(session, now, settings.archive_after_days):
        since = at.date().isoformat()
        warned = session.exec(
            select(Notification.created_at).where(
                Notification.kind == ReminderKind.INACTIVITY_WARNING.value,
                Notification.case_id == case.id,
                Notification.period == f"since:{since}",
            )
        ).first()
        if warned is None or warned > now - timedelta(days=settings.archive_notice_days):
            continue
        if pending_contest(session, case.id or 0) is not None:
            continue
        lock_for_edit(session, case, None)
        case.activity = Activity.ARCHIVED.value
        session.add(case)
        audit.record(
            session,
            SYSTEM_ACTOR,
            "case.archived",
            entity="case",
            entity_id=case.id,
            case_id=case.id,
            territory=case.territory,
            after={"inactive_since": since},
        )
        for recipient in (case.operator, PERSON):
            enqueue(session, ReminderKind.ARCHIVED, case.id or 0, f"since:{since}", recipient, now, since=since)
        archived += 1
    session.flush()
    return archived


def remind_late_results(session: Session, now: datetime) -> int:
    """Assessors whose results are late: validation (the assessor queue) and exams (the two
    experts of the commission)."""
    settings = get_settings()
    sent = 0
    for case in _open_cases(session, now):
        recipients: list[str] = []
        if case.state == CaseState.VALIDATION.value:
            due = case.state_entered_at + timedelta(days=settings.assessment_due_days)
            phase = AssessmentPhase.VALIDATION.value
            recipients = [f"role:{Role.ASSESSOR.value}"]
        elif case.state == CaseState.EXAM.value:
            exam = session.exec(select(ExamSession).where(ExamSession.case_id == case.id)).first()
            if exam is None:
                continue
            due = datetime.combine(exam.scheduled_for, datetime.min.time(), tzinfo=now.tzinfo) + timedelta(
                days=settings.exam_results_due_days
            )
            phase = AssessmentPhase.CERTIFICATION.value
            recipients = [exam.method_expert, exam.sector_expert]
        else:
            continue
        if due > now:
            continue
        done = session.exec(
            select(Assessment.id).where(Assessment.case_id == case.id, Assessment.phase == phase)
        ).first()
        if done is not None:
            continue
        for recipient in recipients:
            sent += enqueue(
                session, ReminderKind.LATE_RESULTS, case.id or 0, f"due:{due.date()}", recipient, now, due=due.date()
            )
    return sent


def remind_missing_evidence(session: Session, now: datetime) -> int:
    """Operators whose identification has run for a while with competences short of evidence."""
    days = get_settings().evidence_reminder_days
    sent = 0
    for case in _open_cases(session, now):
        if case.state != CaseState.IDENTIFICATION.value:
            continue
        due = case.state_entered_at + timedelta(days=days)
        if due > now:
            continue
        coverage = case_coverage(session, case.id or 0, SYSTEM_ACTOR)
        short = [c for c in coverage.competences if c.claimed and c.status != "sufficient"]
        if not short and any(c.claimed for c in coverage.competences):
            continue
        count = len(short) or len(coverage.competences)
        sent += enqueue(
            session,
            ReminderKind.MISSING_EVIDENCE,
            case.id or 0,
            f"due:{due.date()}",
            case.operator,
            now,
            due=due.date(),
            count=count,
        )
    return sent


JOBS: dict[str, tuple[str, Callable[[Session, datetime], int]]] = {
    "inactivity": ("reminders_inactivity", warn_inactive),
    "archiving": ("reminders_archiving", archive_inactive),
    "late_results": ("reminders_late_results", remind_late_results),
    "missing_evidence": ("reminders_missing_evidence", remind_missing_evidence),
}


def run_jobs(session: Session, now: datetime | None = None) -> dict[str, int]:
    """Every job that settings leave on, in order (warnings before archiving)."""
    now = now or utcnow()
    settings = get_settings()
    return {name: job(session, now) for name, (switch, job) in JOBS.items() if getattr(settings, switch)}


# ---------------------------------------------------------------------------- the outbox


class Sender(Protocol):
    """Delivers one message (e-mail, SMS gateway, the regional notification service…). Raising
    leaves the message in the outbox for the next run."""

    def send(self, notification: Notification) -> None: ...


class FileSender:
    """The default sender: one JSON line per message in ``<data_dir>/outbox/sent.jsonl``, for
    installations without a mail gateway (and for audits of what was sent)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or get_settings().data_dir / "outbox" / "sent.jsonl"

    def send(self, notification: Notification) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = {
            "id": notification.id,
            "kind": notification.kind,
            "case_id": notification.case_id,
            "recipient": notification.recipient,
            "subject": notification.subject,
            "body": notification.body,
            "link": notification.link,
        }
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")


def deliver(session: Session, sender: Sender | None = None, limit: int = 500) -> int:
    """Send what is waiting in the outbox; each message is marked sent once it is handed over."""
    sender = sender or FileSender()
    waiting = session.exec(
        select(Notification).where(col(Notification.sent_at).is_(None)).order_by(col(Notification.id)).limit(limit)
    ).all()
    sent = 0
    for n in waiting:
        n.attempts += 1
        try:
            sender.send(n)
        except Exception as exc:
            n.last_error = str(exc)[:500]
        else:
            n.sent_at = utcnow()
            n.last_error = None
            sent += 1
        session.add(n)
    session.flush()
    return sent


def notifications(session: Session, *, pending: bool | None = None, case_id: int | None = None) -> list[Notification]:
    stmt = select(Notification).order_by(col(Notification.id))
    if pending is True:
        stmt = stmt.where(col(Notification.sent_at).is_(None))
    elif pending is False:
        stmt = stmt.where(col(Notification.sent_at).is_not(None))
    if case_id is not None:
        stmt = stmt.where(Notification.case_id == case_id)
    return list(session.exec(stmt))


# ---------------------------------------------------------------------------- contest and reopening

_FILERS = frozenset({Role.OPERATOR, Role.MEDIATOR, Role.ALFA_REVIEWER, Role.ADMIN})
_REVIEWERS = frozenset({Role.ALFA_REVIEWER, Role.ADMIN})


def contest_archiving(session: Session, case: Case, reason: str, actor: Actor) -> ArchiveContest:
    """The person objects to archiving (recorded by their operator or mediator). While pending,
    the case is not archived; one pending contest per case."""
    if actor.role not in _FILERS or not actor.can_work_in(case.territory):
        raise PermissionDenied(f"{actor.username} cannot record a contest for case {case.id}")
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationFailed("a contest needs the person's reason", field="reason")
    existing = pending_contest(session, case.id or 0)
    if existing is not None:
        return existing
    contest = ArchiveContest(
        case_id=case.id or 0, reason=reason[:2000], created_by=actor.username, territory=case.territory
    )
    session.add(contest)
    session.flush()
    audit.record(
        session,
        actor,
        "case.archive_contested",
        entity="archive_contest",
        entity_id=contest.id,
        case_id=case.id,
        territory=case.territory,
    )
    return contest


def review_contest(
    session: Session, contest_id: int, upheld: bool, actor: Actor, note: str | None = None
) -> ArchiveContest:
    """ALFA decides: upheld keeps (or brings back) the case and restarts its inactivity clock;
    rejected lets archiving proceed at the next run."""
    if actor.role not in _REVIEWERS:
        raise PermissionDenied(f"role {actor.role.value} may not review archiving contests")
    contest = session.get(ArchiveContest, contest_id)
    if contest is None:
        raise NotFound(f"no contest {contest_id}", entity="archive_contest", key=contest_id)
    if contest.status != ContestStatus.PENDING.value:
        raise DomainError(f"contest {contest_id} was already reviewed ({contest.status})")
    contest.status = (ContestStatus.UPHELD if upheld else ContestStatus.REJECTED).value
    contest.reviewed_by = actor.username
    contest.reviewed_at = utcnow()
    contest.review_note = note
    session.add(contest)
    case = session.get(Case, contest.case_id)
    if upheld and case is not None and case.activity == Activity.ARCHIVED.value:
        lock_for_edit(session, case, None)
        case.activity = Activity.ACTIVE.value
        session.add(case)
    audit.record(
        session,
        actor,
        "case.archive_contest_reviewed",
        entity="archive_contest",
        entity_id=contest.id,
        case_id=contest.case_id,
        territory=contest.territory,
        after={"status": contest.status},
    )
    session.flush()
    return contest
