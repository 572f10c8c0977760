"""Bring a database to a working state: migrations, reference data, the shipped repertory,
and the built-in accounts. Idempotent; every entry point calls it."""

from __future__ import annotations

import yaml

from ivc.auth.roles import Role
from ivc.auth.service import create_user
from ivc.config import get_settings
from ivc.database.core import session_scope
from ivc.database.migrate import upgrade
from ivc.framework.esco import import_esco
from ivc.framework.service import import_repertory
from ivc.private_files import private_dir
from ivc.territory.service import load_territories


def bootstrap() -> None:
    settings = get_settings()
    private_dir(settings.data_dir)  # names, tax codes, statements: the owner's only
    upgrade()
    with session_scope() as session:
        load_territories(session)
        create_user(session, "system", "ivc automated steps", Role.SYSTEM)
        create_user(session, "admin", "Amministratore", Role.ADMIN)
    for directory in sorted(p for p in settings.frameworks_dir.iterdir() if p.is_dir()):
        if (directory / "framework.yaml").is_file():
            with session_scope() as session:
                import_repertory(session, directory)
        elif (directory / "manifest.yaml").is_file():
            manifest = yaml.safe_load((directory / "manifest.yaml").read_text(encoding="utf-8"))
            if manifest.get("kind") == "esco":
                with session_scope() as session:
                    import_esco(session, directory, str(manifest["version"]))
    build_index()


def build_index() -> None:
    """Build (or load) the suggestion index for the frameworks now loaded; cached on disk."""
    from ivc.mapping.service import concept_index

    with session_scope() as session:
        concept_index(session)
