"""Prefect's environment for ivc, set before Prefect is imported.

With no ``PREFECT_API_URL`` ivc runs Prefect with no server to start (the ephemeral API over a
SQLite file under the data directory). With ``PREFECT_API_URL`` set it talks to a Prefect server.
"""

from __future__ import annotations

import os

from ivc.config import get_settings


def configure_prefect() -> None:
    settings = get_settings()
    settings.prefect_home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(settings.prefect_home))
    if not os.environ.get("PREFECT_API_URL"):
        os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_ENABLED", "true")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # Prefect's client telemetry is on unless DO_NOT_TRACK is set: an installation holding
    # personal data sends nothing to third parties (and saves a TLS set-up in every flow run).
    os.environ.setdefault("DO_NOT_TRACK", "1")
    # The ephemeral server starts in 8-12 s on an idle 2-core machine, far longer under load;
    # Prefect's default of 20 s fails the first flow of a busy process.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_LOG_PRINTS", "false")
