"""What a user reads when something fails or succeeds: always from the translation files, naming
the field by the label the user sees, never a code or an English sentence from the services.

``explain`` turns an error into those lines; ``show_error`` puts them on the page; ``flash``
keeps a confirmation across the rerun that follows a change."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

import streamlit as st
from pydantic import ValidationError

from ivc.errors import IVCError, TransitionError
from ivc.i18n import catalog, t

Labels = Mapping[str, str]  # field name -> the label the form shows for it (already translated)
log = logging.getLogger(__name__)


def _known(key: str, lang: str) -> bool:
    return key in catalog(lang) or key in catalog("it")


def field_label(field: str, lang: str, labels: Labels | None = None) -> str:
    """The label of a field: the form's own, else the shared ``fields.`` one, else the name."""
    name = field.split(".")[0]
    if labels and name in labels:
        return labels[name]
    return t(f"fields.{name}", lang) if _known(f"fields.{name}", lang) else name


def _params(exc: IVCError, lang: str, labels: Labels | None) -> dict[str, Any]:
    params: dict[str, Any] = {k: v for k, v in exc.params.items() if isinstance(v, str | int | float)}
    for k, v in exc.params.items():
        if isinstance(v, list | tuple | set | frozenset):
            params[k] = ", ".join(str(x) for x in v)
    if "field" in params:
        params["label"] = field_label(str(params["field"]), lang, labels)
    return params


def _pydantic_lines(exc: ValidationError, lang: str, labels: Labels | None) -> list[str]:
    lines = []
    for error in exc.errors():
        loc = [str(x) for x in error.get("loc", ())]
        label = field_label(loc[0], lang, labels) if loc else ""
        kind = str(error.get("type", ""))
        ctx = {k: v for k, v in (error.get("ctx") or {}).items() if isinstance(v, str | int | float)}
        inner = (error.get("ctx") or {}).get("error")
        if isinstance(inner, IVCError):  # a validator that raised one of ours: its own words
            lines.append(f"{label}: {explain(inner, lang, labels)[0]}" if label else explain(inner, lang, labels)[0])
            continue
        key = f"input.{kind}" if _known(f"input.{kind}", lang) else "input.invalid"
        value = error.get("input")
        ctx.setdefault("value", value if isinstance(value, str | int | float) else "")
        lines.append(t(key, lang, label=label, **ctx))
    return lines


def explain(exc: Exception, lang: str, labels: Labels | None = None) -> list[str]:
    """The lines that tell the user what went wrong and what to do, in ``lang``."""
    if isinstance(exc, ValidationError):
        return _pydantic_lines(exc, lang, labels) or [t("input.invalid", lang, label="", value="")]
    if not isinstance(exc, IVCError):
        # Never a traceback on the page: the log has it, under a reference the user can quote.
        ref = uuid.uuid4().hex[:10]
        log.error("unexpected error shown to a user [ref %s]", ref, exc_info=exc)
        return [t("errors.unexpected", lang), t("errors.reference", lang, ref=ref)]
    code = exc.code
    if code.startswith("upload_") and _known(f"upload.{code.removeprefix('upload_')}", lang):
        return [t(f"upload.{code.removeprefix('upload_')}", lang, **_params(exc, lang, labels))]
    if isinstance(exc, TransitionError) and code == "transition":
        action = str(exc.params.get("action", ""))
        missing = [str(m) for m in exc.params.get("missing", [])]
        reasons = [t(f"guards.{m}", lang) if _known(f"guards.{m}", lang) else m for m in missing]
        return [t("guards.cannot", lang, action=t(f"actions.{action}", lang)), *reasons]
    if _known(f"errors.{code}", lang):
        return [t(f"errors.{code}", lang, **_params(exc, lang, labels))]
    # A refusal without a translation of its own: say what kind of refusal, on which field.
    params = _params(exc, lang, labels)
    if "label" in params:
        return [t("errors.kinds.field", lang, label=params["label"])]
    kind = code if _known(f"errors.kinds.{code}", lang) else "domain"
    return [t(f"errors.kinds.{kind}", lang)]


def show_error(exc: Exception, lang: str, labels: Labels | None = None) -> None:
    """The error on the page; the service's own wording (English, for support) stays folded."""
    lines = explain(exc, lang, labels)
    st.error("\n\n".join(lines))
    if isinstance(exc, IVCError) and not _known(f"errors.{exc.code}", lang) and exc.code != "transition":
        with st.expander(t("errors.details", lang)):
            st.caption(str(exc))


def flash(message: str) -> None:
    """A confirmation that survives the rerun that follows a change (shown once, then gone)."""
    st.session_state["flash"] = message


def show_flash() -> None:
    """Always takes one slot, empty or not: the elements below keep their place in the page, so
    widgets such as tabs keep their state across the rerun."""
    slot = st.empty()
    message = st.session_state.pop("flash", None)
    if message:
        slot.success(message)
