"""Text as people read it: blocks and inputs in the person's language (right to left where it
is written so), dates as dd/mm/yyyy, durations in whole days, codes shown by their labels."""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

import streamlit as st

from ivc.database.core import utcnow
from ivc.i18n import catalog, is_rtl, t

_RTL_CSS = """<style>
[class*="st-key-rtl-"] textarea, [class*="st-key-rtl-"] input {direction: rtl; text-align: right;}
</style>"""


def in_language(text: str, lang: str) -> None:
    """A block of text in ``lang``, laid out right to left for Arabic and the like."""
    direction = "rtl" if is_rtl(lang) else "ltr"
    st.markdown(
        f'<div dir="{direction}" lang="{html.escape(lang)}" style="text-align:start">{html.escape(text)}</div>',
        unsafe_allow_html=True,
    )


@contextmanager
def written_in(lang: str, key: str) -> Iterator[None]:
    """Inputs created inside take the reading direction of ``lang`` (typing Arabic right to left)."""
    if not is_rtl(lang):
        yield
        return
    st.html(_RTL_CSS)
    with st.container(key=f"rtl-{key}"):
        yield


def fmt_date(value: date | datetime | str | None) -> str:
    """dd/mm/yyyy (the Italian administrative form); empty for none."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return value.strftime("%d/%m/%Y")


def fmt_datetime(value: datetime | None) -> str:
    return value.strftime("%d/%m/%Y %H:%M") if value else ""


def days_since(moment: datetime | None) -> int:
    """Whole days since ``moment`` (0 on the day itself)."""
    if moment is None:
        return 0
    return max(0, (utcnow() - moment).days)


def label(group: str, code: str | None, lang: str) -> str:
    """The label of a code from the translation files (``group.code``); the code itself only
    where no label exists, so a gap stays visible."""
    if not code:
        return ""
    key = f"{group}.{code}"
    return t(key, lang) if key in catalog(lang) or key in catalog("it") else code


def language_name(code: str | None, lang: str) -> str:
    """A language by its name in ``lang`` (ISO 639), e.g. "so" -> "Somalo"; the code if unknown."""
    if not code:
        return ""
    from ivc.person.iso import languages

    return dict(languages(lang)).get(code, code)
