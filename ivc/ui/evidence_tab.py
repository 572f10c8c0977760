"""Evidence: upload a file or write a note, say what kind of proof it is and which experiences it
supports; every item can be previewed. The type of a file is decided by its content, not its name."""

from __future__ import annotations

import streamlit as st

from ivc.auth.roles import Actor
from ivc.case import service as cases
from ivc.config import get_settings
from ivc.database.core import session_scope
from ivc.errors import IVCError
from ivc.evidence.models import EvidenceKind, EvidenceType
from ivc.evidence.service import add_evidence, evidence_for_case
from ivc.evidence.storage import get_store
from ivc.experience.service import experiences_for_case
from ivc.i18n import t
from ivc.ui.common import advance, show_error

UPLOAD_TYPES = ["pdf", "jpg", "jpeg", "png", "heic", "heif", "txt", "docx", "odt"]
PREVIEW_BYTES = 5 * 1024 * 1024


def render(actor: Actor, case_id: int, lang: str) -> None:
    with session_scope() as session:
        experiences = {e.id or 0: e.title for e in experiences_for_case(session, case_id)}
        items = evidence_for_case(session, case_id)
    with st.form(f"evidence_{case_id}", clear_on_submit=True):
        upload = st.file_uploader(t("evidence.file", lang), type=UPLOAD_TYPES, key=f"ev_file_{case_id}")
        note = st.text_area(t("evidence.note", lang), max_chars=20000, key=f"ev_note_{case_id}")
        title = st.text_input(t("evidence.title", lang), max_chars=300, key=f"ev_title_{case_id}")
        kind = st.selectbox(
            t("evidence.type", lang),
            [k.value for k in EvidenceType],
            format_func=lambda k: t(f"evidence.types.{k}", lang),
            key=f"ev_type_{case_id}",
        )
        supports = st.multiselect(
            t("evidence.supports", lang),
            list(experiences),
            format_func=lambda i: experiences.get(i, str(i)),
            key=f"ev_supports_{case_id}",
        )
        submitted = st.form_submit_button(t("evidence.add", lang))
    if submitted:
        _add(actor, case_id, upload, note, title, EvidenceType(kind), supports, lang)
    if not items:
        st.caption(t("evidence.none", lang))
        return
    st.dataframe(
        [
            {
                "#": i.id,
                t("evidence.title", lang): i.title,
                t("evidence.type", lang): t(f"evidence.types.{i.evidence_type}", lang),
                t("evidence.media", lang): i.media_type,
                t("evidence.size", lang): i.size,
                t("evidence.by", lang): i.created_by,
            }
            for i in items
        ],
        hide_index=True,
        width="stretch",
    )
    chosen = st.selectbox(
        t("evidence.preview", lang), [i.id for i in items], key=f"ev_preview_{case_id}", format_func=str
    )
    item = next((i for i in items if i.id == chosen), None)
    if item is not None:
        _preview(item.storage_key, item.media_type, item.display_name or item.title, item.size, lang)


def _add(
    actor: Actor,
    case_id: int,
    upload: object,
    note: str,
    title: str,
    kind: EvidenceType,
    supports: list[int],
    lang: str,
) -> None:
    if upload is None and not note.strip():
        st.error(t("evidence.nothing", lang))
        return
    size = getattr(upload, "size", 0) or 0
    if size > get_settings().max_upload_bytes:
        st.error(t("evidence.too_large", lang, mb=get_settings().max_upload_bytes // (1024 * 1024)))
        return
    try:
        with session_scope() as session:
            case = cases.get_case(session, case_id, actor)
            if upload is not None:
                add_evidence(
                    session,
                    case,
                    upload.getvalue(),  # type: ignore[attr-defined]
                    title=title or upload.name,  # type: ignore[attr-defined]
                    evidence_type=kind,
                    media_type=getattr(upload, "type", None) or "application/octet-stream",
                    actor=actor,
                    filename=upload.name,  # type: ignore[attr-defined]
                    experience_ids=supports,
                )
            else:
                add_evidence(
                    session,
                    case,
                    note.encode("utf-8"),
                    title=title or note.strip().splitlines()[0][:80],
                    evidence_type=kind,
                    media_type="text/plain",
                    actor=actor,
                    kind=EvidenceKind.NOTE,
                    experience_ids=supports,
                )
    except IVCError as exc:
        show_error(exc, lang)
        return
    advance([case_id], lang)  # suggestions from the evidence text
    st.success(t("evidence.added", lang))


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
