"""The data directory, the SQLite database and backups are readable by their owner only (issue #21,
point 2: the SQLite file and backups were created 0644, readable by any local account)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy import text

from ivc.database.core import make_engine
from ivc.ops.backup import create_backup
from ivc.private_files import private_dir, private_file


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_and_its_directory_are_the_owners_only(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask: files 0644 unless ivc says otherwise
    try:
        db = tmp_path / "fresh" / "ivc.sqlite3"
        engine = make_engine(f"sqlite:///{db}")
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x TEXT)"))
            conn.execute(text("INSERT INTO t VALUES ('RSSMRA85T10A562S')"))
        engine.dispose()
        assert _mode(db) == 0o600
        assert _mode(db.parent) == 0o700
        assert _mode(private_dir(tmp_path / "data")) == 0o700
        assert _mode(private_file(tmp_path / "data" / "f")) == 0o600
    finally:
        os.umask(old)


def test_a_backup_is_created_readable_by_its_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        archive = tmp_path / "backup.tar.gz"
        create_backup(archive)
        assert _mode(archive) == 0o600
    finally:
        os.umask(old)


def test_the_data_directory_is_the_owners_only() -> None:
    from ivc.config import get_settings

    assert _mode(get_settings().data_dir) == 0o700  # made by bootstrap() in the test setup
