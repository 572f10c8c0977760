"""The person's space (``/spazio``): their path, documents, consents, who looked and their data.

Everything shown comes from ``ivc.personspace.service``, which refuses any person id but the
signed-in person's own: an id typed into the address (``?persona=…``) shows a refusal and
nothing else. Texts from ``person_space`` in the locale files, in the person's language."""

from __future__ import annotations

import streamlit as st

from ivc.auth.roles import Actor
from ivc.consent.models import ConsentPurpose
from ivc.database.core import session_scope
from ivc.errors import IVCError
from ivc.evidence.storage import get_store
from ivc.i18n import NAMES, person_languages, t
from ivc.personspace import service as space
from ivc.personspace.models import RequestKind
from ivc.ui import session as web_session
from ivc.ui.person.look import page_style, refusal
from ivc.ui.person.qr import qr_svg
from ivc.ui.widgets.feedback import flash
from ivc.ui.widgets.pickers import url_tabs
from ivc.ui.widgets.text import fmt_date, fmt_datetime

TABS = ["path", "documents", "consents", "looked", "data"]


def _person_id(actor: Actor) -> int:
    """The person the address asks for (``?persona=``), else the signed-in person."""
    raw = str(st.query_params.get("persona") or "")
    return int(raw) if raw.isdigit() and len(raw) < 12 else (actor.person_id or 0)


def _languages(lang: str) -> None:
    """Links to the space in each language of the person (the sidebar is folded on a phone)."""
    links = [f"[{NAMES.get(code, code)}](?lang={code})" for code in person_languages() if code != lang]
    st.caption(" · ".join(links))


def render(actor: Actor, lang: str) -> None:
    page_style(lang)
    person_id = _person_id(actor)
    try:
        with session_scope() as session:
            person = space.require_self(session, actor, person_id)
            name = person.display_name
    except IVCError as exc:
        refusal(exc, lang)
        return
    st.header(t("person_space.title", lang))
    st.write(t("person_space.hello", lang, name=name))
    _languages(lang)
    tabs = url_tabs([t(f"person_space.tabs.{tab_name}", lang) for tab_name in TABS], "tab", TABS)
    views = [_path, _documents, _consents, _looked, _data]
    for tab, view in zip(tabs, views, strict=True):
        if tab.open:
            with tab:
                try:
                    view(actor, person_id, lang)
                except IVCError as exc:
                    refusal(exc, lang)
    st.divider()
    if st.button(t("person_space.sign_out", lang), key="person_sign_out"):
        web_session.sign_out()


def _path(actor: Actor, person_id: int, lang: str) -> None:
    with session_scope() as session:
        paths = space.my_path(session, actor, person_id, lang)
    if not paths:
        st.info(t("person_space.path.none", lang))
    for view in paths:
        with st.container(border=True):
            st.subheader(t("person_space.path.case", lang, case=view.case_id))
            st.markdown(f"**{t('person_space.path.where', lang)}** — {t(f'person_space.states.{view.state}', lang)}")
            if view.outcome:
                st.write(t(f"person_space.outcomes.{view.outcome}", lang))
            if view.suspended_until:
                st.warning(t("person_space.path.suspended", lang, date=fmt_date(view.suspended_until)))
            if view.next_step:
                step = t(f"person_space.steps.{view.next_step}", lang)
                st.markdown(f"**{t('person_space.path.next', lang)}** — {step}")
                who = t(f"person_space.who.{view.waits_on}", lang)
                st.markdown(f"**{t('person_space.path.waits_on', lang)}** — {who}")
            else:
                st.write(t("person_space.path.closed", lang))
            st.markdown(f"**{t('person_space.path.appointments', lang)}**")
            for item in view.appointments:
                if item.kind == "exam":
                    st.write(t("person_space.path.exam", lang, when=fmt_date(item.when), place=item.place or ""))
                else:
                    st.write(t("person_space.path.mediator", lang, when=fmt_date(item.when)))
            if not view.appointments:
                st.caption(t("person_space.path.no_appointments", lang))
            if view.evidence_wanted:
                st.markdown(f"**{t('person_space.path.evidence', lang)}**")
                for wanted in view.evidence_wanted:
                    proof = f" — {t('person_space.path.bring', lang, proof=wanted.proof)}" if wanted.proof else ""
                    st.write(f"• {wanted.competence}{proof}")
            if view.no_papers or view.evidence_wanted:
                st.info(t("person_space.path.no_papers", lang))
            st.caption(t("person_space.path.documents", lang, count=view.documents))


def _documents(actor: Actor, person_id: int, lang: str) -> None:
    store = get_store()
    with session_scope() as session:
        docs = space.my_documents(session, actor, person_id)
        files = {d.id: space.document_pdf(session, actor, person_id, d.id, store) for d in docs}
        creds = {
            (d.id, kind): space.document_credential(session, actor, person_id, d.id, kind)
            for d in docs
            for kind in d.credentials
        }
    if not docs:
        st.info(t("person_space.documents.none", lang))
    for doc in docs:
        with st.container(border=True):
            st.subheader(t(f"person_space.doctypes.{doc.doc_type}", lang))
            st.write(f"{doc.number} · {t('person_space.documents.issued', lang, date=fmt_date(doc.issued_at))}")
            if doc.revoked:
                st.warning(t("person_space.documents.revoked", lang))
            st.markdown(f"**{t('person_space.documents.code', lang, code=doc.verification_code)}**")
            stem = doc.number.replace("/", "-")
            st.download_button(
                t("person_space.documents.pdf", lang), files[doc.id], file_name=f"{stem}.pdf",
                mime="application/pdf", key=f"person_pdf_{doc.id}", on_click="ignore", use_container_width=True,
            )  # fmt: skip
            for kind in doc.credentials:
                st.download_button(
                    t(f"person_space.documents.kinds.{kind}", lang), creds[(doc.id, kind)],
                    file_name=f"{stem}-{kind}.json", mime="application/json", key=f"person_{kind}_{doc.id}",
                    on_click="ignore", use_container_width=True,
                )  # fmt: skip
            st.caption(t("person_space.documents.show", lang))
            st.image(qr_svg(doc.link), width=200)
            st.code(doc.link, language=None, wrap_lines=True)


def _consents(actor: Actor, person_id: int, lang: str) -> None:
    st.write(t("person_space.consents.intro", lang))
    with session_scope() as session:
        rows = space.my_consents(session, actor, person_id)
    for row in rows:
        with st.container(border=True):
            st.subheader(t(f"person.consent.{row.purpose}.title", lang))
            st.write(t(f"person.consent.{row.purpose}.text", lang))
            if not row.changeable:
                st.caption(t("person_space.consents.required", lang))
                continue
            state = "active" if row.active else "inactive"
            since = f" ({fmt_date(row.since)})" if row.since else ""
            st.markdown(f"**{t(f'person_space.consents.{state}', lang)}**{since}")
            if row.active and row.recipients:
                st.caption(t("person_space.consents.to", lang, recipients=", ".join(row.recipients)))
            label = t(f"person_space.consents.{'withdraw' if row.active else 'give'}", lang)
            if st.button(label, key=f"person_consent_{row.purpose}", use_container_width=True):
                _change(actor, person_id, ConsentPurpose(row.purpose), not row.active, lang)


def _change(actor: Actor, person_id: int, purpose: ConsentPurpose, give: bool, lang: str) -> None:
    try:
        with session_scope() as session:
            if give:
                space.give(session, actor, person_id, purpose, lang)
            else:
                space.withdraw(session, actor, person_id, purpose)
    except IVCError as exc:
        refusal(exc, lang)
        return
    flash(t(f"person_space.consents.{'given' if give else 'withdrawn'}", lang))
    st.rerun()


def _looked(actor: Actor, person_id: int, lang: str) -> None:
    st.write(t("person_space.looked.intro", lang))
    with session_scope() as session:
        looks = space.who_looked(session, actor, person_id)
    if not looks:
        st.info(t("person_space.looked.none", lang))
    for look in looks:
        basis = (
            t("person_space.looked.consent", lang)
            if look.basis == "consent"
            else t("person_space.looked.law", lang, basis=look.basis)
        )
        with st.container(border=True):
            st.markdown(f"**{fmt_datetime(look.viewed_at)}** — {t(f'person_space.who.{look.role}', lang)}")
            st.write(f"{look.who} · {look.organisation} · {look.what}")
            st.caption(basis)


def _data(actor: Actor, person_id: int, lang: str) -> None:
    st.write(t("person_space.data.export_intro", lang))
    key = f"person_export_{person_id}"
    if st.button(t("person_space.data.prepare", lang), key="person_export_prepare", use_container_width=True):
        with session_scope() as session:
            st.session_state[key] = space.my_export(session, actor, person_id, get_store(), lang)
    if isinstance(st.session_state.get(key), bytes):
        st.download_button(
            t("person_space.data.export", lang), st.session_state[key], file_name="i-miei-dati.zip",
            mime="application/zip", key="person_export_download", on_click="ignore", use_container_width=True,
        )  # fmt: skip
    st.subheader(t("person_space.data.request_title", lang))
    kinds = [k.value for k in RequestKind]
    generation = int(st.session_state.get("person_request_gen", 0))
    with st.form(f"person_request_{generation}"):
        kind = st.radio(
            t("person_space.data.kind", lang), kinds, format_func=lambda k: t(f"person_space.data.{k}", lang)
        )
        text = st.text_area(t("person_space.data.text", lang), max_chars=space.MAX_REQUEST)
        sent = st.form_submit_button(t("person_space.data.send", lang), type="primary")
    if sent:
        try:
            with session_scope() as session:
                space.send_request(session, actor, person_id, kind or kinds[0], text or "")
        except IVCError as exc:
            refusal(exc, lang)
        else:
            st.session_state["person_request_gen"] = generation + 1  # the next request starts empty
            flash(t("person_space.data.sent", lang))
            st.rerun()
    with session_scope() as session:
        requests = space.my_requests(session, actor, person_id)
    if requests:
        st.markdown(f"**{t('person_space.data.requests', lang)}**")
        for request in requests:
            status = t(f"person_space.data.{request.status}", lang)
            st.write(f"{fmt_date(request.created_at)} · {t(f'person_space.data.{request.kind}', lang)} · {status}")
