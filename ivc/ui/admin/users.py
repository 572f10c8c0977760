"""Administration: accounts (role, districts, languages, password, active), the framework
versions held and a new repertory version imported from the shipped data, and a preview of
each document template in any language."""

from __future__ import annotations

from typing import Any

import streamlit as st
from sqlmodel import Session, col, select

from ivc.auth.roles import REGION_WIDE_ROLES, Actor, Role
from ivc.auth.service import add_user, list_users, set_password, update_user
from ivc.config import get_settings
from ivc.database.core import session_scope
from ivc.document.models import IssuedDocument
from ivc.document.render import render_pdf
from ivc.document.specimen import specimen
from ivc.errors import IVCError
from ivc.framework.service import framework_overview, import_repertory
from ivc.i18n import NAMES, person_languages, t
from ivc.ui.case.documents import first_page_png
from ivc.ui.widgets.feedback import show_error
from ivc.ui.widgets.forms import Form, save_once
from ivc.ui.widgets.pickers import district_codes, languages_picker
from ivc.ui.widgets.text import fmt_datetime

ROLES = [r.value for r in Role if r not in (Role.SYSTEM, Role.PERSON)]


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


def _districts(role: str, districts: list[str], lang: str) -> str:
    """Where the account works, as the services decide it (``Actor.can_work_in``)."""
    if Role(role) in REGION_WIDE_ROLES:
        return t("admin.region_wide", lang)
    return ", ".join(districts) or t("admin.no_district", lang)


def _users(actor: Actor, lang: str) -> None:
    with session_scope() as session:
        users = [u for u in list_users(session) if u.role != Role.SYSTEM.value]
    st.dataframe(
        [
            {
                t("admin.username", lang): u.username,
                t("admin.full_name", lang): u.full_name,
                t("admin.role", lang): t(f"roles.{u.role}", lang),
                t("admin.districts", lang): _districts(u.role, u.districts, lang),
                t("admin.languages", lang): ", ".join(u.languages),
                t("admin.active", lang): "✓" if u.active else "—",
                t("admin.password", lang): "✓" if u.password_hash else "—",
            }
            for u in users
        ],
        hide_index=True,
        width="stretch",
    )
    labels = {
        "username": t("admin.username", lang), "full_name": t("admin.full_name", lang),
        "role": t("admin.role", lang), "districts": t("admin.districts", lang),
        "languages": t("admin.languages", lang), "password": t("admin.password", lang),
    }  # fmt: skip
    form = Form("new_user")
    with st.form(form.id, enter_to_submit=False):
        st.markdown(f"**{t('admin.new_user', lang)}**")
        c1, c2, c3 = st.columns(3)
        username = c1.text_input(labels["username"], max_chars=64, key=form.key("username"))
        full_name = c2.text_input(labels["full_name"], max_chars=200, key=form.key("name"))
        role = c3.selectbox(
            labels["role"], ROLES, index=None, placeholder=t("intake.pick", lang),
            format_func=lambda r: t(f"roles.{r}", lang), key=form.key("role"),
        )  # fmt: skip
        c1, c2, c3 = st.columns(3)
        districts = c1.multiselect(
            labels["districts"], district_codes(), placeholder=t("intake.pick", lang), key=form.key("districts")
        )
        with c2:
            languages = languages_picker(labels["languages"], form.key("languages"), lang)
        password = c3.text_input(labels["password"], type="password", max_chars=1024, key=form.key("password"))
        created = st.form_submit_button(t("admin.create", lang), type="primary")
    if created:
        if not role:
            st.error(t("errors.kinds.field", lang, label=labels["role"]))
        else:
            chosen = Role(role)
            save_once(
                form, "user", actor,
                lambda s: add_user(s, actor, username or "", full_name or "", chosen, districts, languages,
                                   password=password or None).id,
                lang, labels=labels, done_message=t("admin.created", lang, user=username),
            )  # fmt: skip
    names = [u.username for u in users]
    if not names:
        return
    st.markdown(f"**{t('admin.edit_user', lang)}**")
    who = st.selectbox(t("admin.username", lang), names, key="eu_user")
    current = next(u for u in users if u.username == who)
    edit = Form(f"edit_user:{who}")
    with st.form(edit.id, enter_to_submit=False):
        c1, c2, c3 = st.columns(3)
        role = c1.selectbox(
            labels["role"],
            ROLES,
            index=ROLES.index(current.role) if current.role in ROLES else 0,
            format_func=lambda r: t(f"roles.{r}", lang),
            key=edit.key("role"),
        )
        districts = c2.multiselect(
            labels["districts"],
            sorted({*district_codes(), *current.districts}),
            default=current.districts,
            placeholder=t("intake.pick", lang),
            key=edit.key("districts"),
        )
        active = c3.checkbox(t("admin.active", lang), value=current.active, key=edit.key("active"))
        password = st.text_input(
            t("admin.new_password", lang), type="password", max_chars=1024, key=edit.key("password")
        )
        saved = st.form_submit_button(t("admin.save", lang), type="primary")
    if saved:

        def work(session: Session) -> int | None:
            update_user(session, actor, who, role=Role(role or current.role), districts=districts, active=active)
            if password:
                set_password(session, who, password, actor)
            return None

        save_once(edit, "user_edit", actor, work, lang, labels=labels, done_message=t("admin.saved", lang))


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
                t("admin.imported", lang): fmt_datetime(r.imported_at),
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
                status.update(label=t("admin.import_failed", lang), state="error")
                show_error(exc, lang)
                return
            status.update(
                label=t("admin.imported_ok" if created else "admin.already", lang, name=label), state="complete"
            )


def _templates(lang: str) -> None:
    """Each document template rendered in the chosen language on a specimen: the structure of the
    latest issued document of its type with every personal element replaced. Nothing is issued."""
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
        pdf = render_pdf(specimen(latest[doc_type], second), second)
        png = first_page_png(pdf)
        if png is not None:
            st.image(png, width=600)
        st.download_button(t("documents.pdf", lang), pdf, file_name=f"{doc_type}-{second}.pdf", mime="application/pdf")
