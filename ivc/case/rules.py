"""Rules of the path that several services apply; one place decides each."""

from __future__ import annotations

from collections.abc import Iterable

from ivc.config import get_settings


def independent(assessors: Iterable[str], accompanied_by: Iterable[str]) -> bool:
    """Separation of duties (terzietà, D.Lgs 13/2013 art. 7 c.1 f): nobody who accompanied the
    identification assesses or sits on the commission. On by default; configurable."""
    if not get_settings().separation_of_duties:
        return True
    return not (set(assessors) & set(accompanied_by))


def service_level_days(state: str) -> int | None:
    """How many days a case may wait in a queue state before it is overdue (configurable)."""
    return get_settings().queue_service_level_days.get(state)


def overdue(state: str, days_waiting: float) -> bool:
    limit = service_level_days(state)
    return limit is not None and days_waiting > limit
