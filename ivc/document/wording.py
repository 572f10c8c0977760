"""How a document words what the payload stores: dates as dd/mm/yyyy, codes (assessment methods,
outcomes, learning contexts, evidence kinds, roles) by their label, ADA codes without a doubled
prefix, the repertory by name and version, titles in the person's language marked as a
translation. The labels are in ``certificates/texts/<lang>.yaml`` (ALFA edits wording there)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ivc.config import get_settings

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@lru_cache(maxsize=16)
def texts(lang: str) -> dict[str, Any]:
    path: Path = get_settings().certificates_dir / "texts" / f"{lang}.yaml"
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def day(value: Any) -> str:
    """``2026-12-05`` (or an ISO date-time) → ``05/12/2026``; ``2010-01`` → ``01/2010``; else as given."""
    if not value:
        return ""
    text = str(value)
    if m := _ISO_DATE.match(text):
        return f"{m[3]}/{m[2]}/{m[1]}"
    if m := _ISO_MONTH.match(text):
        return f"{m[2]}/{m[1]}"
    return text


def period(start: Any, end: Any) -> str:
    """``01/2010–06/2016``; an open end is left open."""
    if not start and not end:
        return ""
    return f"{day(start)}–{day(end)}"


def code(group: str, value: Any, lang: str = "it") -> str:
    """The label of a stored code (``codes.<group>.<value>``), in ``lang``, else Italian, else the code."""
    if value in (None, ""):
        return ""
    for source in (lang, "it"):
        found = texts(source).get("codes", {}).get(group, {}).get(str(value))
        if found:
            return str(found)
    return str(value)


def label(key: str, lang: str = "it") -> str:
    return str(texts(lang).get("labels", {}).get(key) or texts("it").get("labels", {}).get(key) or key)


def ada(codes: list[str]) -> str:
    """ADA codes as listed under an "ADA" label: ``ADA.23.05.11`` → ``23.05.11`` (no doubled ADA)."""
    return ", ".join(re.sub(r"^ADA[ .]?", "", str(c)) for c in codes)


def repertory(framework: dict[str, Any]) -> str:
    """The repertory by name and version: ``Repertorio regionale … (RL), versione 2024.1``."""
    raw = framework.get("name") or framework.get("code")
    name = (raw.get("it") or next(iter(raw.values()), "")) if isinstance(raw, dict) else raw
    code_ = framework.get("code")
    shown = f"{name} ({code_})" if code_ and code_ != name else str(name)
    return f"{shown}, {label('version')} {framework.get('version')}"


def translated(titles: dict[str, str] | str, lang: str) -> tuple[str, str] | None:
    """A title in the person's language ``lang`` where the framework has it, else in English:
    (text, its language), marked on the page as a translation. None when only Italian exists."""
    if isinstance(titles, str) or lang == "it":
        return None
    for source in (lang, "en"):
        if titles.get(source) and titles[source] != titles.get("it"):
            return titles[source], source
    return None
