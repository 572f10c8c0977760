"""Administration: accounts (role, districts, languages, password, active), the framework
versions held and a new repertory version imported from the shipped data, and a preview of
each document template in any language."""

from __future__ import annotations

from typing import Any

import streamlit as st
from sqlmodel import col, select

from ivc.auth.roles import Actor, Role
from ivc.auth.service import add_user, list_users, set_password, update_user
from ivc.config import get_settings
from ivc.database.core import session_scope
from ivc.document.models import IssuedDocument
from ivc.document.render import render_pdf
from ivc.errors import IVCError
from ivc.framework.service import framework_overview, import_repertory
from ivc.i18n import NAMES, person_languages, t
from ivc.ui.common import district_codes, flash, show_error
from ivc.ui.documents_tab import first_page_png

ROLES = [r.value for r in Role if r is not Role.SYSTEM]


def render(actor: Actor, lang: str) -> None:
    st.header(t("admin.title", lang))
    users_tab, frameworks_tab, templates_tab = st.tabs(
        [t("admin.users", lang), t("admin.frameworks", lang), t("admin.templates", lang)]
    )
    with users_tab:
        _users(actor, lang)
    with frameworks_tab:
        _frameworks(lang)
    with templates_tab:
        _templates(lang)


def _users(actor: Actor, lang: str) -> None:
    with session_scope() as session:
        users = [u for u in list_users(session) if u.role != Role.SYSTEM.value]
    st.dataframe(
        [
            {
                t("admin.username", lang): u.username,
                t("admin.full_name", lang): u.full_name,
                t("admin.role", lang): t(f"roles.{u.role}", lang),
                t("admin.districts", lang): ", ".join(u.districts) or t("cases.all", lang),
                t("admin.languages", lang): ", ".join(u.languages),
                t("admin.active", lang): "✓" if u.active else "—",
                t("admin.password", lang): "✓" if u.password_hash else "—",
            }
            for u in users
        ],
        hide_index=True,
        width="stretch",
    )
    with st.form("new_user", clear_on_submit=True):
        st.markdown(f"**{t('admin.new_user', lang)}**")
        c1, c2, c3 = st.columns(3)
        username = c1.text_input(t("admin.username", lang), max_chars=64, key="nu_username")
        full_name = c2.text_input(t("admin.full_name", lang), max_chars=200, key="nu_name")
        role = c3.selectbox(t("admin.role", lang), ROLES, format_func=lambda r: t(f"roles.{r}", lang), key="nu_role")
        c1, c2, c3 = st.columns(3)
        districts = c1.multiselect(t("admin.districts", lang), district_codes(), key="nu_districts")
        languages = c2.text_input(t("admin.languages", lang), key="nu_languages", placeholder="it, ar, fr")
        password = c3.text_input(t("admin.password", lang), type="password", max_chars=1024, key="nu_password")
        created = st.form_submit_button(t("admin.create", lang))
    if created:
        try:
            with session_scope() as session:
                add_user(
                    session,
                    actor,
                    username,
                    full_name,
                    Role(role),
                    districts,
                    [x.strip() for x in languages.split(",") if x.strip()],
                    password=password or None,
                )
        except IVCError as exc:
            show_error(exc, lang)
        else:
            flash(t("admin.created", lang, user=username))
            st.rerun()
    names = [u.username for u in users]
    if not names:
        return
    st.markdown(f"**{t('admin.edit_user', lang)}**")
    who = st.selectbox(t("admin.username", lang), names, key="eu_user")
    current = next(u for u in users if u.username == who)
    with st.form("edit_user"):
        c1, c2, c3 = st.columns(3)
        role = c1.selectbox(
            t("admin.role", lang),
            ROLES,
            index=ROLES.index(current.role) if current.role in ROLES else 0,
            format_func=lambda r: t(f"roles.{r}", lang),
        )
        districts = c2.multiselect(
            t("admin.districts", lang), sorted({*district_codes(), *current.districts}), default=current.districts
        )
        active = c3.checkbox(t("admin.active", lang), value=current.active)
        password = st.text_input(t("admin.new_password", lang), type="password", max_chars=1024)
        saved = st.form_submit_button(t("admin.save", lang))
    if saved:
        try:
            with session_scope() as session:
                update_user(session, actor, who, role=Role(role), districts=districts, active=active)
                if password:
                    set_password(session, who, password, actor)
        except IVCError as exc:
            show_error(exc, lang)
        else:
            flash(t("admin.saved", lang))
            st.rerun()


def _frameworks(lang: str) -> None:
    with session_scope() as session:
        rows = framework_overview(session)
    st.dataframe(
        [
            {
                t("admin.framework", lang): f"{r.code} {r.version}",
                t("admin.kind", lang): r.kind,
                t("admin.languages", lang): ", ".join(r.languages),
                t("admin.entries", lang): r.entries,
                t("admin.imported", lang): str(r.imported_at)[:16],
            }
            for r in rows
        ],
        hide_index=True,
        width="stretch",
    )
    root = get_settings().frameworks_dir
    shipped = sorted(p.name for p in root.iterdir() if (p / "framework.yaml").is_file()) if root.is_dir() else []
    if not shipped:
        return
    chosen = st.selectbox(t("admin.import_from", lang), shipped, key="fw_dir")
    if st.button(t("admin.import", lang), key="fw_import"):
        # Only directories shipped under the frameworks folder: never a path typed by hand.
        with st.status(t("admin.importing", lang, name=chosen), expanded=True) as status:
            try:
                with session_scope() as session:
                    framework, created = import_repertory(session, root / chosen)
                    label = f"{framework.code} {framework.version}"
            except IVCError as exc:
                status.update(label=str(exc), state="error")
                return
            status.update(
                label=t("admin.imported_ok" if created else "admin.already", lang, name=label), state="complete"
            )


def _templates(lang: str) -> None:
    """Each document template rendered in the chosen language from the latest issued document
    of its type (its stored payload), without issuing anything."""
    with session_scope() as session:
        latest: dict[str, dict[str, Any]] = {}
        for doc in session.exec(select(IssuedDocument).order_by(col(IssuedDocument.id).desc()).limit(200)):
            latest.setdefault(doc.doc_type, doc.payload)
    if not latest:
        st.info(t("admin.no_sample", lang))
        return
    c1, c2 = st.columns(2)
    doc_type = c1.selectbox(
        t("documents.type", lang), sorted(latest), format_func=lambda d: t(f"doctypes.{d}", lang), key="tpl_type"
    )
    second = c2.selectbox(
        t("admin.second_language", lang),
        [x for x in person_languages() if x != "it"],
        format_func=lambda c: NAMES.get(c, c),
        key="tpl_lang",
    )
    if st.button(t("admin.preview", lang), key="tpl_preview"):
        pdf = render_pdf(latest[doc_type], second)
        png = first_page_png(pdf)
        if png is not None:
            st.image(png, width=600)
        st.download_button(t("documents.pdf", lang), pdf, file_name=f"{doc_type}-{second}.pdf", mime="application/pdf")
