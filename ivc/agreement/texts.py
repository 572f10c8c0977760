"""The service agreement's text as versioned data: ``reference/agreements/<version>/<lang>.md``,
listed with validity dates in ``reference/agreements/index.yaml``. A published text never
changes; a signed agreement keeps the sha256 of the words shown, so a reprint is provably the same."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from ivc.config import get_settings
from ivc.errors import IntegrityFailure, NotFound

FIRST_LANGUAGE = "it"


def _root() -> Path:
    return get_settings().reference_dir / "agreements"


def versions() -> list[dict[str, Any]]:
    data = yaml.safe_load((_root() / "index.yaml").read_text(encoding="utf-8")) or {}
    rows = [dict(v, version=str(v["version"])) for v in data.get("versions", [])]
    return sorted(rows, key=lambda v: v["valid_from"])


def current_version(on: date | None = None) -> str:
    on = on or date.today()
    valid = [v for v in versions() if v["valid_from"] <= on]
    if not valid:
        raise NotFound(f"no service agreement text valid on {on}", entity="agreement_text", key=str(on))
    return str(valid[-1]["version"])


def languages(version: str) -> list[str]:
    for v in versions():
        if v["version"] == version:
            return [str(x) for x in v["languages"]]
    raise NotFound(f"no service agreement text version {version!r}", entity="agreement_text", key=version)


def pick_language(version: str, wanted: str) -> str:
    """The person's language when the text exists in it, else Italian (a mediator explains it)."""
    return wanted if wanted in languages(version) else FIRST_LANGUAGE


def text(version: str, language: str) -> str:
    if language not in languages(version):
        raise NotFound(
            f"the service agreement {version} has no {language!r} text (available: {', '.join(languages(version))})",
            entity="agreement_text",
            key=f"{version}/{language}",
        )
    return (_root() / version / f"{language}.md").read_text(encoding="utf-8")


def digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def signed_text(version: str, language: str, sha256: str | None) -> str:
    """The text as signed; refuses if the file no longer matches what was signed."""
    body = text(version, language)
    if sha256 is not None and digest(body) != sha256:
        raise IntegrityFailure(f"the agreement text {version}/{language} changed after it was signed")
    return body
