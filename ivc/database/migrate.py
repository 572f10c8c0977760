"""Run Alembic migrations programmatically (``ivc db upgrade``, the demo and the tests)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ivc.config import get_settings

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", (url or get_settings().resolved_database_url).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def _newest_file_revision() -> str | None:
    """The revision id the newest migration file carries by this repository's convention (the
    file ``NNNN_name.py`` declares revision ``'NNNN'``)."""
    numbers = [p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")]
    return max(numbers, default=None)


def is_current(url: str | None = None) -> bool:
    """True when the database is at the newest migration (cheap: one query). When the database's
    revision is not the newest file's, Alembic's own script directory decides (every CLI command
    starts with this check: reading the script directory costs a quarter of a second)."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from ivc.database.core import get_engine

    try:
        with get_engine(url).connect() as conn:
            current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return False
    if current is not None and current == _newest_file_revision():
        return True
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    with get_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() == head
