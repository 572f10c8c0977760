"""Evidence: upload a file or write a note, say what kind of proof it is and which experiences it
supports; every item can be previewed. The type of a file is decided by its content, not its name."""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from ivc.auth.roles import Actor
from ivc.case import service as cases
from ivc.config import get_settings
from ivc.database.core import session_scope
from ivc.errors import IVCError
from ivc.evidence.models import EvidenceItem, EvidenceKind, EvidenceType
from ivc.evidence.service import add_evidence, evidence_for_case, evidence_open
from ivc.evidence.storage import get_store
from ivc.experience.service import experiences_for_case
from ivc.i18n import t
from ivc.ui.widgets.feedback import flash, show_error
from ivc.ui.widgets.forms import Form, save_once
from ivc.ui.widgets.steps import advance
from ivc.ui.widgets.text import fmt_date
from ivc.ui.widgets.upload import file_picker

UPLOAD_TYPES = ["pdf", "jpg", "jpeg", "png", "heic", "heif", "txt", "docx", "odt"]
PREVIEW_BYTES = 5 * 1024 * 1024


def render(actor: Actor, case_id: int, lang: str) -> None:
    with session_scope() as session:
        case = cases.get_case(session, case_id, actor)
        experiences = {e.id or 0: e.title for e in experiences_for_case(session, case_id)}
        items = evidence_for_case(session, case_id)
    if evidence_open(case):
        _form(actor, case_id, experiences, lang)
    else:
        st.info(t("evidence.closed", lang))
    if not items:
        st.caption(t("evidence.none", lang))
        return
    _list(items, lang)


def _form(actor: Actor, case_id: int, experiences: dict[int, str], lang: str) -> None:
    form = Form(f"evidence:{case_id}")
    with st.form(form.id, clear_on_submit=False, enter_to_submit=False):
        upload = file_picker(t("evidence.file", lang), UPLOAD_TYPES, form.key("file"), lang)
        note = st.text_area(t("evidence.note", lang), max_chars=20000, key=form.key("note"))
        title = st.text_input(t("evidence.title", lang), max_chars=300, key=form.key("title"))
        kind = st.selectbox(
            t("evidence.type", lang),
            [k.value for k in EvidenceType],
            index=None,
            placeholder=t("intake.pick", lang),
            format_func=lambda k: t(f"evidence.types.{k}", lang),
            key=form.key("type"),
        )
        supports = st.multiselect(
            t("evidence.supports", lang),
            list(experiences),
            format_func=lambda i: experiences.get(i, str(i)),
            placeholder=t("intake.pick", lang),
            key=form.key("supports"),
        )
        submitted = st.form_submit_button(t("evidence.add", lang), type="primary")
    if submitted:
        _add(actor, case_id, form, upload, note or "", title or "", kind, supports, lang)


def _list(items: list[EvidenceItem], lang: str) -> None:
    st.dataframe(
        [
            {
                "#": i.id,
                t("evidence.title", lang): i.title,
                t("evidence.type", lang): t(f"evidence.types.{i.evidence_type}", lang),
                t("evidence.media", lang): i.media_type,
                t("evidence.size", lang): f"{max(1, i.size // 1024)} KB",
                t("evidence.by", lang): i.created_by,
                t("evidence.added_on", lang): fmt_date(i.created_at),
            }
            for i in items
        ],
        hide_index=True,
        width="stretch",
    )
    chosen = st.selectbox(
        t("evidence.preview", lang),
        [i.id for i in items],
        key=f"ev_preview_{items[0].case_id}",
        format_func=lambda i: next((f"{x.id} — {x.title}" for x in items if x.id == i), str(i)),
    )
    item = next((i for i in items if i.id == chosen), None)
    if item is not None:
        _preview(item.storage_key, item.media_type, item.display_name or item.title, item.size, lang)


def _add(
    actor: Actor,
    case_id: int,
    form: Form,
    upload: object,
    note: str,
    title: str,
    kind: str | None,
    supports: list[int],
    lang: str,
) -> None:
    if upload is None and not note.strip():
        st.error(t("evidence.nothing", lang))
        return
    if kind is None:
        st.error(t("evidence.no_type", lang))
        return
    size = getattr(upload, "size", 0) or 0
    if size > get_settings().max_upload_bytes:
        st.error(t("evidence.too_large", lang, mb=get_settings().max_upload_bytes // (1024 * 1024)))
        return

    def work(session: Session) -> int | None:
        case = cases.get_case(session, case_id, actor)
        if upload is not None:
            item = add_evidence(
                session,
                case,
                upload.getvalue(),  # type: ignore[attr-defined]
                title=title or upload.name,  # type: ignore[attr-defined]
                evidence_type=EvidenceType(kind),
                media_type=getattr(upload, "type", None) or "application/octet-stream",
                actor=actor,
                filename=upload.name,  # type: ignore[attr-defined]
                experience_ids=supports,
            )
        else:
            item = add_evidence(
                session,
                case,
                note.encode("utf-8"),
                title=title or note.strip().splitlines()[0][:80],
                evidence_type=EvidenceType(kind),
                media_type="text/plain",
                actor=actor,
                kind=EvidenceKind.NOTE,
                experience_ids=supports,
            )
        return item.id

    if save_once(form, "evidence", actor, work, lang, rerun=False) is not None:
        advance([case_id], lang)  # suggestions from the evidence text
        flash(t("evidence.added", lang))
        st.rerun()


def _preview(key: str, media_type: str, name: str, size: int, lang: str) -> None:
    if size > PREVIEW_BYTES:
        st.caption(t("evidence.no_preview", lang))
        return
    try:
        data = get_store().get(key)
    except IVCError as exc:
        show_error(exc, lang)
        return
    if media_type in ("image/png", "image/jpeg"):
        st.image(data, caption=name, width=480)
    elif media_type.startswith("text/"):
        st.text(data.decode("utf-8", errors="replace")[:5000])
    elif media_type == "application/pdf":
        from ivc.mapping.service import evidence_text

        text = evidence_text(data, media_type)
        st.text((text or t("evidence.no_text", lang))[:5000])
    else:
        st.caption(t("evidence.no_preview", lang))
    st.download_button(t("evidence.download", lang), data, file_name="evidence", mime=media_type, key=f"dl_{key}")
