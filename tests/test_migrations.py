"""Alembic migrations build exactly the schema the models describe, and go down and up again."""

from __future__ import annotations

import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import ivc.models  # noqa: F401
from ivc.database.core import get_engine


def test_the_migrated_schema_matches_the_models() -> None:
    with get_engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == []


def test_migrations_run_down_and_up_on_an_empty_database(tmp_path: object) -> None:
    if os.environ.get("IVC_DATABASE_URL", "").startswith("postgresql"):
        url = None  # the shared PostgreSQL test database is migrated already; SQLite covers the cycle
        return
    from ivc.database.migrate import downgrade, upgrade

    url = f"sqlite:///{tmp_path}/cycle.sqlite3"
    upgrade(url)
    downgrade(url)
    upgrade(url)
    with get_engine(url).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
