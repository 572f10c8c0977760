"""A file picker that speaks the interface's language. Streamlit draws its upload box with English
words ("Upload", "25MB per file • PDF, JPG"); they are replaced here by the translation files'
words, and the limit the box enforces is ivc's own (``IVC_MAX_UPLOAD_BYTES``), so a file the
browser lets through is never refused later for its size."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import streamlit as st

from ivc.config import get_settings
from ivc.i18n import t


def _css(lang: str) -> str:
    # CSS can only add words, not change Streamlit's: its own are set to size 0 and ours are drawn
    # after them. The attribute selectors are the test ids Streamlit puts on the upload box.
    button = json.dumps(t("upload.button", lang))
    return (
        "<style>"
        '[data-testid="stFileUploaderDropzoneInstructions"]{display:none}'
        '[data-testid="stFileUploaderDropzone"] button{font-size:0}'
        '[data-testid="stFileUploaderDropzone"] button *{font-size:0}'
        f'[data-testid="stFileUploaderDropzone"] button::after{{content:{button};font-size:0.875rem}}'
        "</style>"
    )


def file_picker(
    label: str, types: Sequence[str], key: str, lang: str, *, limit_bytes: int | None = None, **kwargs: Any
) -> Any:
    """``st.file_uploader`` with the words of ``lang`` and ivc's size limit, which it states with
    the accepted types under the box."""
    limit = limit_bytes or get_settings().max_upload_bytes
    mb = max(1, math.ceil(limit / (1024 * 1024)))
    st.html(_css(lang))
    upload = st.file_uploader(label, type=list(types), key=key, max_upload_size=mb, **kwargs)
    st.caption(t("upload.limits", lang, mb=mb, types=", ".join(kind.upper() for kind in types)))
    return upload
