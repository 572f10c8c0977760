"""Country and language codes: checked against ISO 3166-1 and ISO 639, named for pickers.

* Countries (citizenship, where an experience took place): ISO 3166-1 alpha-2, upper case
  ("tn" → "TN"). Kosovo's "XK", the code the EU and the Italian administration use pending an ISO
  one, is accepted too; anything else ("XX", "T1") is refused.
* Languages: ISO 639-1 where the language has a two-letter code, else ISO 639-3 (e.g. "bci"
  Baoulé, "mnk" Mandinka). A three-letter code of a language that has a two-letter one ("ara",
  "tir", bibliographic "fre") is stored as the two-letter code, so one language has one code. A
  region or script subtag is kept when it is one ("pt-BR", "sr-Latn"). Names ("arabo") are
  refused, with the code they name as a hint.

Refusals are ``InputRefused``: a ``ValidationFailed`` with a stable code (``unknown_country``,
``unknown_language``) and the value, that is also a ``ValueError``, so a pydantic validator can
raise it and the form still learns which field and why.

The data and its translations ship with the ``pycountry`` package: nothing is downloaded.
"""

from __future__ import annotations

import gettext
import unicodedata
from functools import lru_cache
from typing import Any

import pycountry
import yaml

from ivc.errors import ValidationFailed

# Codes in use beyond ISO 3166-1's assigned ones: code -> English name (and translations).
EXTRA_COUNTRIES: dict[str, dict[str, str]] = {"XK": {"en": "Kosovo", "it": "Kosovo"}}
# ISO 639-3 special codes: only "uncoded languages" is a language someone can speak.
_SPECIAL_ALLOWED = frozenset({"mis"})


class InputRefused(ValidationFailed, ValueError):
    """A value a validator refuses: code and params for the interface, and a ``ValueError`` so
    pydantic reports it on the field it came from (the error's ``ctx["error"]`` is this)."""


def _fold(text: str) -> str:
    """Case-, accent- and spacing-insensitive form of a name, for sorting and look-ups."""
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().split())


def _sort_key(pair: tuple[str, str]) -> tuple[str, str]:
    """Pickers sort by name as a reader would: accents, case and leading apostrophes aside."""
    return _fold(pair[1]).lstrip("'\u2018\u2019\u02bc-"), pair[0]


@lru_cache(maxsize=16)
def _translator(domain: str, lang: str) -> gettext.NullTranslations:
    base = lang.split("-")[0].lower()
    if base == "en":
        return gettext.NullTranslations()
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[base], fallback=True)


# ---------------------------------------------------------------------------------- countries


@lru_cache(maxsize=1)
def _country_codes() -> frozenset[str]:
    return frozenset({c.alpha_2 for c in pycountry.countries} | set(EXTRA_COUNTRIES))


def country_name(code: str, lang: str = "it") -> str:
    """A country's name in ``lang`` (English where pycountry has no translation)."""
    code = code.upper()
    if code in EXTRA_COUNTRIES:
        names = EXTRA_COUNTRIES[code]
        return names.get(lang.split("-")[0], names["en"])
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    tr = _translator("iso3166-1", lang)
    common = getattr(country, "common_name", None)
    return tr.gettext(common) if common else tr.gettext(country.name)


@lru_cache(maxsize=8)
def _countries(lang: str) -> tuple[tuple[str, str], ...]:
    pairs = [(code, country_name(code, lang)) for code in _country_codes()]
    return tuple(sorted(pairs, key=_sort_key))


def countries(lang: str = "it") -> list[tuple[str, str]]:
    """Every country as (ISO 3166-1 alpha-2 code, name in ``lang``), sorted by name: a picker's
    options."""
    return list(_countries(lang))


def country_code(value: str, field: str = "country") -> str:
    """``value`` as a canonical ISO 3166-1 alpha-2 code, or ``InputRefused`` (``unknown_country``)."""
    code = (value or "").strip().upper()
    if code in _country_codes():
        return code
    shown = (value or "").strip()[:40]
    raise InputRefused(
        f"unknown country code {shown!r}: not an ISO 3166-1 alpha-2 code (e.g. TN, UA); choose it from the list",
        code="unknown_country",
        field=field,
        value=shown,
    )


# ---------------------------------------------------------------------------------- languages


def _language(code: str) -> Any | None:
    """The pycountry language a code names (639-1, 639-3 or 639-2/B), or None."""
    if len(code) == 2:
        return pycountry.languages.get(alpha_2=code)
    if len(code) == 3:
        return pycountry.languages.get(alpha_3=code) or pycountry.languages.get(bibliographic=code)
    return None


def _canonical(language: Any) -> str:
    return str(getattr(language, "alpha_2", None) or language.alpha_3)


def language_name(code: str, lang: str = "it") -> str:
    """A language's name in ``lang`` (English where pycountry has no translation)."""
    base, _, subtag = code.partition("-")
    found = _language(base.lower())
    if found is None:
        return code
    name = _translator("iso639-3", lang).gettext(found.name)
    return f"{name} ({subtag})" if subtag else name


@lru_cache(maxsize=1)
def _extra() -> frozenset[str]:
    """Three-letter codes the pickers offer besides the two-letter ones (reference/languages.yaml)."""
    from ivc.config import get_settings

    path = get_settings().reference_dir / "languages.yaml"
    data = yaml.safe_load(path.read_text("utf-8")) if path.is_file() else {}
    return frozenset(str(c) for c in (data or {}).get("extra", []))


def _offered(language: Any) -> bool:
    """Whether a picker offers the language: any with a two-letter code, and the living languages
    of reference/languages.yaml."""
    return bool(getattr(language, "alpha_2", None)) or (language.type == "L" and language.alpha_3 in _extra())


@lru_cache(maxsize=8)
def _languages(lang: str) -> tuple[tuple[str, str], ...]:
    tr = _translator("iso639-3", lang)
    pairs = [(_canonical(x), tr.gettext(x.name)) for x in pycountry.languages if _offered(x)]
    return tuple(sorted(pairs, key=_sort_key))


def languages(lang: str = "it") -> list[tuple[str, str]]:
    """Languages as (code, name in ``lang``), sorted by name: every language with an ISO 639-1
    code and the living languages of reference/languages.yaml, under the code ivc stores (two
    letters where there are two). A picker's options (about 240); the services accept any code."""
    return list(_languages(lang))


@lru_cache(maxsize=1)
def _by_name() -> dict[str, str]:
    """Folded language names in Italian and English → code (for hints, never to accept)."""
    out: dict[str, str] = {}
    for lang in ("en", "it"):
        for code, name in _languages(lang):
            out.setdefault(_fold(name), code)
    return out


def _subtag(value: str) -> str | None:
    """A region (ISO 3166-1 alpha-2) or script (ISO 15924) subtag in its canonical case."""
    if len(value) == 2 and value.upper() in _country_codes():
        return value.upper()
    if len(value) == 4 and value.isalpha() and pycountry.scripts.get(alpha_4=value.title()) is not None:
        return value.title()
    return None


def language_code(value: str, field: str = "language") -> str:
    """``value`` as the code ivc stores (ISO 639-1, else 639-3; with a valid region or script
    subtag if given), or ``InputRefused`` (``unknown_language``) naming the value, with the code
    it names as ``suggestion`` when the value is a language's name ("arabo" → "ar")."""
    raw = (value or "").strip()
    base, sep, sub = raw.replace("_", "-").partition("-")
    found = _language(base.lower()) if base.isascii() and base.isalpha() else None
    if found is not None and getattr(found, "type", "") == "S" and found.alpha_3 not in _SPECIAL_ALLOWED:
        found = None
    subtag = _subtag(sub) if sep else None
    if found is not None and (not sep or subtag is not None):
        code = _canonical(found)
        return f"{code}-{subtag}" if subtag else code
    shown = raw[:40]
    hint = _by_name().get(_fold(raw))
    params: dict[str, Any] = {"field": field, "value": shown}
    message = f"unknown language code {shown!r}: not an ISO 639 code (e.g. ar, ti, bci)"
    if hint:
        params["suggestion"] = hint
        message += f"; for {language_name(hint, 'en')} the code is {hint!r}"
    raise InputRefused(message + "; choose it from the list", code="unknown_language", **params)
