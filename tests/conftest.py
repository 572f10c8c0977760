"""Test setup: a throw-away data directory and database for the whole run.

SQLite by default; set ``IVC_TEST_DATABASE_URL`` (as ``.ci/run`` does) to run the same suite on
PostgreSQL. The environment is set before ivc is imported, so settings and Prefect pick it up.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="ivc-tests-"))
os.environ["IVC_DATA_DIR"] = str(_TMP)
os.environ["PREFECT_HOME"] = str(_TMP / "prefect")
if os.environ.get("IVC_TEST_DATABASE_URL"):
    os.environ["IVC_DATABASE_URL"] = os.environ["IVC_TEST_DATABASE_URL"]
else:
    os.environ.pop("IVC_DATABASE_URL", None)
os.environ.pop("PREFECT_API_URL", None)
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

import pytest  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

import ivc.models  # noqa: E402,F401
from ivc.bootstrap import bootstrap  # noqa: E402
from ivc.config import get_settings, reset_settings  # noqa: E402
from ivc.database.core import get_engine  # noqa: E402

# Loaded once by bootstrap and kept; frameworks a test imports on top are removed after it.
FRAMEWORK_TABLES = ("frameworklabel", "escoconcept", "escorelation", "importrecord", "competence", "qualification")
REFERENCE_TABLES = {*FRAMEWORK_TABLES, "framework", "territory", "user", "alembic_version"}
_BASE_FRAMEWORKS: list[int] = []


@pytest.fixture(scope="session", autouse=True)
def _database() -> Iterator[None]:
    reset_settings()
    bootstrap()
    with get_engine().connect() as conn:
        _BASE_FRAMEWORKS.extend(r[0] for r in conn.execute(text("SELECT id FROM framework")))
    yield


def _wipe() -> None:
    engine = get_engine()
    tables = [t for t in reversed(SQLModel.metadata.sorted_tables) if t.name not in REFERENCE_TABLES]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
        conn.execute(text("DELETE FROM \"user\" WHERE username NOT IN ('system', 'admin')"))
        keep = ", ".join(str(i) for i in _BASE_FRAMEWORKS) or "0"
        for name in FRAMEWORK_TABLES:
            conn.execute(text(f"DELETE FROM {name} WHERE framework_id NOT IN ({keep})"))
        conn.execute(text(f"DELETE FROM framework WHERE id NOT IN ({keep})"))


@pytest.fixture(autouse=True)
def clean_db() -> Iterator[None]:
    _wipe()
    yield


@pytest.fixture()
def session() -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as s:
        yield s
        s.rollback()


@pytest.fixture()
def data_dir() -> Path:
    return get_settings().data_dir


def pytest_report_header() -> str:
    return f"ivc database: {get_settings().resolved_database_url.split('@')[-1]}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The hostile corpus's figure (tests/hostile), when it ran."""
    from tests.hostile import TALLY

    if TALLY.tried:
        terminalreporter.write_line(f"hostile corpus: {TALLY.tried} cases tried, {TALLY.failures} failures")
