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
    return list(district_names())


def district_names() -> dict[str, str]:
    """Code -> name of the districts active today."""
    with session_scope() as session:
        return {territory.code: territory.name for territory in active_territories(session)}


def district_label(code: str | None, lang: str) -> str:
    """A district as people name it ("3 · Genovese"); "all" for no district."""
    if not code:
        return t("cases.all", lang)
    name = district_names().get(code)
    return f"{code} · {name}" if name else code


def url_choice(
    text: str, options: list[Any], param: str, *, default: Any = None, key: str | None = None, **kwargs: Any
) -> Any:
    """A selectbox whose choice is the query parameter ``param`` of the address: a link, a
    bookmark or a reload with ``?param=value`` opens with it chosen, and choosing changes the
    address (so back and reload keep the place). The default choice leaves the address clean.
    (Streamlit's own ``bind="query-params"`` keeps ints as text and stops ``st.switch_page``.)"""
    key = key or f"_url_{param}"
    if key not in st.session_state:
        raw = st.query_params.get(param)
        st.session_state[key] = next((o for o in options if str(o) == raw), default)
    elif st.session_state[key] not in options:
        st.session_state[key] = default

    def sync() -> None:
        value = st.session_state.get(key)
        if value is None or value == default:
            st.query_params.pop(param, None)
        else:
            st.query_params[param] = str(value)

    kwargs.setdefault("index", None)
    return st.selectbox(text, options, key=key, on_change=sync, **kwargs)


def url_text(text: str, param: str, **kwargs: Any) -> str:
    """A text input whose value is the query parameter ``param`` (e.g. a verification code
    opened from a QR code's link), kept in the address as it changes."""
    key = f"_url_{param}"
    if key not in st.session_state:
        st.session_state[key] = str(st.query_params.get(param) or "")

    def sync() -> None:
        value = str(st.session_state.get(key) or "").strip()
        if value:
            st.query_params[param] = value
        else:
            st.query_params.pop(param, None)

    return str(st.text_input(text, key=key, on_change=sync, **kwargs) or "")


def url_tabs(labels: list[str], param: str = "tab", names: list[str] | None = None) -> list[Any]:
    """Tabs whose open one is the query parameter ``param``; only the open tab's ``.open`` is
    true, so a page builds only what is shown. The address holds the tab's ``name`` (stable
    across interface languages), not its label, so switching language keeps the tab open."""
    names = names or labels
    key = f"_url_{param}"
    by_name = dict(zip(names, labels, strict=True))
    by_label = dict(zip(labels, names, strict=True))
    wanted = st.query_params.get(param)
    default = by_name.get(wanted or "", labels[0])

    def sync() -> None:
        name = by_label.get(str(st.session_state.get(key)))
        if name and name != names[0]:
            st.query_params[param] = name
        else:
            st.query_params.pop(param, None)

    if st.session_state.get(key) not in labels:
        st.session_state.pop(key, None)
    return list(st.tabs(labels, key=key, default=default, on_change=sync))
