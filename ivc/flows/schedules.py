"""Scheduled flows. On a Prefect server ``ivc deploy`` registers them with their schedule; on the
embedded default they are run by hand (``ivc monitoring report``) or by the host's cron."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from prefect import flow

from ivc.auth.roles import Actor, Role
from ivc.config import get_settings
from ivc.database.core import session_scope
from ivc.monitoring import report
from ivc.monitoring.service import indicators

MONTHLY_REPORT_CRON = "0 6 1 * *"  # 06:00 on the first of each month: the month just ended
RETENTION_CRON = "30 2 * * *"  # every night: erasures due under the retention rules
REMINDERS_CRON = "0 7 * * *"  # every day at 07:00: deadlines, reminders, archiving, then the outbox


@flow(name="ivc-monthly-report")
def monthly_report(month: str | None = None) -> str:
    """Write the monitoring report of ``month`` (YYYY-MM; default: the previous month). Rerunning
    rewrites the same file: a report is derived data, not a record."""
    if month is None:
        today = date.today()
        month = f"{today.year - (today.month == 1)}-{(today.month - 2) % 12 + 1:02d}"
    start, end = report.month_bounds(month)
    with session_scope() as session:
        figures = indicators(session, Actor("system", Role.ADMIN), start=start, end=end)
    out = Path(get_settings().data_dir) / "reports" / f"ivc-monitoring-{month}.pdf"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(report.render(figures, month))
    return str(out)


@flow(name="ivc-retention")
def retention(dry_run: bool = False) -> dict[str, Any]:
    """Apply the retention rules (``ivc.privacy.retention``): erase what is due, then delete the
    blobs no record references any more. Idempotent; ``dry_run`` only reports."""
    from ivc.auth.roles import SYSTEM_ACTOR
    from ivc.evidence.storage import get_store
    from ivc.privacy import erasure
    from ivc.privacy import retention as rules

    with session_scope() as session:
        items = rules.apply(session, SYSTEM_ACTOR, dry_run=dry_run)
        blobs = 0 if dry_run else erasure.delete_pending_blobs(session, get_store())
    return {"dry_run": dry_run, "erased": [i.as_dict() for i in items], "blobs_deleted": blobs}


@flow(name="ivc-reminders")
def reminders(now: datetime | None = None) -> dict[str, int]:
    """Run the deadline jobs that settings leave on, then hand the outbox to the sender. Safe to
    rerun at any time: each reminder has a unique key, so nothing is sent twice."""
    from ivc.reminder import service as reminder_service

    with session_scope() as session:
        counts = reminder_service.run_jobs(session, now)
    with session_scope() as session:
        counts["delivered"] = reminder_service.deliver(session)
    return counts
