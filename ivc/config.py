"""Settings for ivc, read from the environment (prefix ``IVC_``) or a ``.env`` file.

The embedded default needs nothing: a SQLite file and a local evidence store under the data
directory, and Prefect with no server to start. ``IVC_DATABASE_URL=postgresql+psycopg://...``
switches the system of record to PostgreSQL.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every tunable of an ivc installation."""

    model_config = SettingsConfigDict(env_prefix="IVC_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default_factory=lambda: Path.cwd() / ".ivc")
    database_url: str | None = None
    evidence_dir: Path | None = None
    # Where evidence and issued files live: a local (or shared) directory, or an S3-compatible bucket.
    evidence_backend: Literal["local", "s3"] = "local"
    s3_bucket: str | None = None
    s3_prefix: str = "ivc"
    s3_endpoint_url: str | None = None
    frameworks_dir: Path = REPO_ROOT / "frameworks"
    reference_dir: Path = REPO_ROOT / "reference"
    certificates_dir: Path = REPO_ROOT / "certificates"
    default_language: str = "it"
    # Separation of duties (D.Lgs 13/2013 art. 7 c.1 f, terzietà): on by default, configurable.
    separation_of_duties: bool = True
    max_upload_bytes: int = 25 * 1024 * 1024
    # Service levels of the ALFA queues: days a case may wait in each state before it is overdue.
    queue_service_level_days: dict[str, int] = Field(
        default_factory=lambda: {"validazione": 30, "coda_certificazione": 45, "esame": 30}
    )
    # Threads the sentence encoder's matrix products may use in one process. Where several
    # workers share a machine, give each cores / workers (docs/DEPLOY.md), or they fight for
    # the same cores.
    nlp_threads: int = Field(default=2, ge=1, le=64)
    # Local sign-in: failed attempts before a temporary lock, and how long it lasts.
    sign_in_attempts: int = 5
    sign_in_lock_minutes: int = 15
    # Web interface sessions (ivc/auth/websession.py): signed out after this many minutes without
    # activity. The session cookie is Secure when set to true, never when false, and when unset
    # (auto) whenever the request reached ivc over https (uvicorn trusts X-Forwarded-Proto from
    # FORWARDED_ALLOW_IPS, 127.0.0.1 by default): set true behind a TLS-terminating proxy elsewhere.
    session_idle_minutes: int = Field(default=30, ge=1)
    session_cookie_secure: bool | None = None
    # Optional OpenID Connect sign-in through Streamlit's st.login (provider configured in
    # .streamlit/secrets.toml, [auth] section); users are matched by e-mail.
    oidc_provider: str | None = None
    # Upload checks (ivc/evidence/safety.py): decoded image size, PDF pages, and what an office
    # document (a zip) may unpack to — generous for real files, fatal for bombs.
    max_image_pixels: int = 60_000_000
    max_pdf_pages: int = 500
    max_archive_entries: int = 2000
    max_archive_unpacked_bytes: int = 200 * 1024 * 1024
    max_archive_ratio: int = 200
    # Issuer key for signed documents (Ed25519, PEM). A development key is generated on first run.
    issuer_key_file: Path | None = None
    # Other issuers whose documents ``ivc verify`` accepts (did:key identifiers), e.g. a previous key.
    trusted_issuers: list[str] = Field(default_factory=list)
    # Optional PAdES seal of every issued PDF, for deployments that hold a (qualified) seal certificate.
    pades_pkcs12_file: Path | None = None
    pades_pkcs12_password: str | None = None
    # Data-encryption keys (AES-256-GCM) for special-category fields and evidence blobs. Unset: a
    # key file is created on first run under the data directory (0600). Set: the file must exist.
    data_key_file: Path | None = None
    # Retention (GDPR art. 5(1)(e)): what the ``ivc-retention`` flow erases, and after how long.
    # 0 disables a rule. Issued certificates and validation documents stay in the register.
    retention_closed_without_certificate_years: int = 5
    retention_withdrawn_years: int = 2
    retention_refused_evidence_months: int = 12
    # Base address printed in the QR code of each document (the public verification page).
    verify_url: str = "https://ivc.regione.liguria.it/verifica"
    sql_echo: bool = False
    # Deadlines and reminders (the ``ivc-reminders`` flow). Each job can be switched off; messages
    # carry a link to the case (this base address + case id) and never personal data.
    case_base_url: str = "https://ivc.regione.liguria.it/casi"
    reminders_inactivity: bool = True
    reminders_archiving: bool = True
    reminders_late_results: bool = True
    reminders_missing_evidence: bool = True
    inactivity_warning_days: int = 60  # no activity for this long: the person and operator are warned
    archive_after_days: int = 90  # no activity for this long (and warned, not contested): archived
    archive_notice_days: int = 30  # at least this long between the warning and archiving
    assessment_due_days: int = 30  # validation results expected within this many days of the request
    exam_results_due_days: int = 7  # certification results expected within this many days of the exam
    evidence_reminder_days: int = 21  # identification with weak evidence this long: remind the operator
    # ALFA's random sample checks of dossiers (share of the population drawn).
    sample_check_rate: float = 0.05

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'ivc.sqlite3'}"

    @property
    def resolved_evidence_dir(self) -> Path:
        return self.evidence_dir or (self.data_dir / "evidence")

    @property
    def resolved_issuer_key_file(self) -> Path:
        return self.issuer_key_file or (self.data_dir / "keys" / "issuer-ed25519.pem")

    @property
    def resolved_data_key_file(self) -> Path:
        return self.data_key_file or (self.data_dir / "keys" / "data-keys.json")

    @property
    def prefect_home(self) -> Path:
        return self.data_dir / "prefect"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; call ``reset_settings`` after changing the environment."""
    return Settings()


def reset_settings() -> None:
    get_settings.cache_clear()
