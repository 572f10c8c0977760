"""Pickers for standard codes: countries (ISO 3166-1) and languages (ISO 639), by name in the
interface language, searchable as the user types. Nobody types a code, so no invalid code can be
entered; the person service checks again."""

from __future__ import annotations

from typing import Any

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


def url_choice(text: str, options: list[Any], param: str, **kwargs: Any) -> Any:
    """A selectbox whose choice is the query parameter ``param`` of the address: a link, a
    bookmark or a reload with ``?param=value`` opens with it chosen, and choosing changes the
    address (so back and reload keep the place)."""
    key = f"_url_{param}"
    if key not in st.session_state:
        raw = st.query_params.get(param)
        st.session_state[key] = next((o for o in options if str(o) == raw), None)
    elif st.session_state[key] not in options:
        st.session_state[key] = None

    def sync() -> None:
        value = st.session_state.get(key)
        if value is None:
            st.query_params.pop(param, None)
        else:
            st.query_params[param] = str(value)

    kwargs.setdefault("index", None)
    return st.selectbox(text, options, key=key, on_change=sync, **kwargs)
