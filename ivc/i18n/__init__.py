"""User-facing text from translation files (``locales/<lang>.yaml``), Italian first.

``t("key.sub", "en", n=3)`` looks the key up in the language, then in Italian, and formats it;
a key missing everywhere returns the key itself so a gap is visible, never a crash.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LOCALES = Path(__file__).parent / "locales"
FALLBACK = "it"


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in data.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{full}."))
        else:
            out[full] = str(value)
    return out


@lru_cache(maxsize=32)
def catalog(lang: str) -> dict[str, str]:
    path = LOCALES / f"{lang}.yaml"
    if not path.is_file():
        return {}
    return _flatten(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def languages() -> list[str]:
    return sorted(p.stem for p in LOCALES.glob("*.yaml"))


# The interface is complete in these languages; the texts read to the person (interview prompts,
# consent, service agreement: the ``person.`` keys) are complete in every language of ``languages()``.
UI_LANGUAGES = ("it", "en")
PERSON_KEYS = "person."
RTL = frozenset({"ar", "fa", "ur", "he", "ps"})
NAMES = {"it": "Italiano", "en": "English", "fr": "Français", "es": "Español", "ar": "العربية", "uk": "Українська"}


def person_languages() -> list[str]:
    """Languages in which the person-facing texts exist (Italian first)."""
    return sorted(languages(), key=lambda code: (code != FALLBACK, code))


def is_rtl(lang: str) -> bool:
    return lang.split("-")[0] in RTL


def t(key: str, lang: str = FALLBACK, **params: Any) -> str:
    text = catalog(lang).get(key) or catalog(FALLBACK).get(key) or key
    try:
        return text.format(**params) if params else text
    except (KeyError, IndexError):
        return text
