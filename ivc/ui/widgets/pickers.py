"""Pickers for standard codes: countries (ISO 3166-1) and languages (ISO 639), by name in the
interface language, searchable as the user types. Nobody types a code, so no invalid code can be
entered; the person service checks again."""

from __future__ import annotations

import streamlit as st

from ivc.database.core import session_scope
from ivc.i18n import t
from ivc.person.iso import countries, languages
from ivc.territory.service import active_territories


def country_picker(text: str, key: str, lang: str, default: str | None = None) -> str | None:
    options = dict(countries(lang))
    codes = list(options)
    return st.selectbox(
        text,
        codes,
        index=codes.index(default) if default in options else None,
        placeholder=t("pickers.country", lang),
        format_func=lambda c: f"{options[c]} ({c})",
        key=key,
    )


def language_picker(text: str, key: str, lang: str, default: str | None = None) -> str | None:
    options = dict(languages(lang))
    codes = list(options)
    return st.selectbox(
        text,
        codes,
        index=codes.index(default) if default in options else None,
        placeholder=t("pickers.language", lang),
        format_func=lambda c: f"{options[c]} ({c})",
        key=key,
    )


def languages_picker(text: str, key: str, lang: str) -> list[str]:
    options = dict(languages(lang))
    return st.multiselect(
        text, list(options), placeholder=t("pickers.languages", lang), format_func=lambda c: options[c], key=key
    )


def district_codes() -> list[str]:
    """Codes of the districts active today (``reference/territories.yaml``), for the pickers: a
    district added or closed there shows up here without a code change."""
    with session_scope() as session:
        return [territory.code for territory in active_territories(session)]
