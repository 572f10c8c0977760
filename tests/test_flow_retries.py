"""A case's steps inside a phase flow are repeated after a transient database error, and only then."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from ivc.flows import tasks


@pytest.fixture(autouse=True)
def _no_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks, "RETRY_DELAY_SECONDS", 0.0)


def _flaky(failures: int, exc: Exception) -> tuple[list[int], object]:
    calls: list[int] = []

    def step(case_id: int) -> str | None:
        calls.append(case_id)
        if len(calls) <= failures:
            raise exc
        return "interview"

    return calls, step


def test_a_dropped_connection_is_retried_and_the_case_goes_on() -> None:
    calls, step = _flaky(2, OperationalError("SELECT 1", {}, Exception("server closed the connection")))
    assert tasks.with_retries(step, 7) == "interview"  # type: ignore[arg-type]
    assert calls == [7, 7, 7]


def test_a_database_that_stays_down_stops_the_batch() -> None:
    calls, step = _flaky(5, OperationalError("SELECT 1", {}, Exception("could not connect")))
    with pytest.raises(OperationalError):
        tasks.with_retries(step, 7)  # type: ignore[arg-type]
    assert len(calls) == tasks.RETRIES + 1


def test_a_bug_is_not_retried() -> None:
    calls, step = _flaky(1, KeyError("oops"))
    with pytest.raises(KeyError):
        tasks.with_retries(step, 7)  # type: ignore[arg-type]
    assert calls == [7]
