"""Engine and session handling for SQLite (embedded default) and PostgreSQL.

One engine per process and URL. SQLite runs in WAL mode with a busy timeout and foreign keys on,
so that the CLI, the UI and a flow can share the file; PostgreSQL runs READ COMMITTED and every
write that races is guarded by optimistic locking or unique constraints.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from ivc.config import get_settings

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def utcnow() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, echo: bool = False) -> Engine:
    engine = _make_engine(url, echo)
    from ivc.database.guard import install  # lone surrogates refused before any statement runs

    install(engine)
    return engine


def _make_engine(url: str, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            from ivc.private_files import private_dir, private_file

            folder = Path(path).parent
            if not folder.exists():  # a directory ivc creates for its database is the owner's only
                private_dir(folder)
            private_file(Path(path))  # created 0600 before SQLite writes a byte (its -wal and -shm follow)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=5, max_overflow=10)


def get_engine(url: str | None = None) -> Engine:
    settings = get_settings()
    url = url or settings.resolved_database_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = make_engine(url, echo=settings.sql_echo)
            _engines[url] = engine
        return engine


def dispose_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def session_scope() -> Iterator[Session]:
    """A unit of work: commits on success, rolls back on any error."""
    session = Session(get_engine(), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
