"""The scale-out configuration, exercised (CI-light): a Prefect server on PostgreSQL, two process
workers, the phase flows as deployments, ivc's database on PostgreSQL; cases pushed through every
automated step reach their expected states with nothing duplicated, and every process is stopped."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

pytestmark = pytest.mark.slow
PG = os.environ.get("IVC_TEST_PG_SERVER", "postgresql://postgres@127.0.0.1:5432")


def _pg_up() -> bool:
    try:
        with psycopg.connect(f"{PG}/postgres", connect_timeout=3):
            return True
    except psycopg.Error:
        return False


@pytest.mark.skipif(bool(os.environ.get("IVC_TEST_DATABASE_URL")), reason="runs once, in the SQLite pass")
@pytest.mark.skipif(not _pg_up(), reason="no PostgreSQL server on 127.0.0.1:5432")
def test_cases_run_through_deployments_on_two_workers(tmp_path: Path) -> None:
    from ivc.ops.scale import run

    result = run(cases=9, workers=[2], batch=4, pg=PG, embedded_cases=None, logs=tmp_path / "logs")
    cluster = result.clusters[2]
    assert cluster["problems"] == [], cluster["problems"]
    assert cluster["cases"] == 9 and cluster["automated_seconds"] > 0
    assert len(result.pids) == 3  # the server and two workers
    for pid in result.pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
