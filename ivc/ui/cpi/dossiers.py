"""CPI advisors: search consented dossiers by skill, occupation, qualification, district and
language; open one to see its competences with their status and evidence, and its documents.
Only people who consented to job matching ever appear, and every opening is logged."""

from __future__ import annotations

import streamlit as st

from ivc.auth.roles import Actor
from ivc.database.core import session_scope
from ivc.errors import IVCError
from ivc.i18n import t
from ivc.matching.service import open_dossier, search_dossiers
from ivc.ui.widgets.feedback import show_error
from ivc.ui.widgets.pickers import district_codes, district_label, language_picker
from ivc.ui.widgets.text import label


def render(actor: Actor, lang: str) -> None:
    st.header(t("dossiers.title", lang))
    st.caption(t("dossiers.intro", lang))
    with st.form("dossier_search"):
        c1, c2, c3 = st.columns(3)
        skill = c1.text_input(t("dossiers.skill", lang), max_chars=200, key="ds_skill")
        occupation = c2.text_input(t("dossiers.occupation", lang), max_chars=200, key="ds_occupation")
        qualification = c3.text_input(t("dossiers.qualification", lang), max_chars=40, key="ds_qual")
        c1, c2 = st.columns(2)
        options = ["", *district_codes()]
        # The advisor's own district first; people who consented to the CPI network can be
        # matched anywhere in the region, so "all" stays one click away.
        own = sorted(actor.districts)[0] if len(actor.districts) == 1 else ""
        district = c1.selectbox(
            t("cases.filter_district", lang),
            options,
            index=options.index(own) if own in options else 0,
            format_func=lambda d: district_label(d, lang),
            key="ds_district",
            help=t("dossiers.district_help", lang),
        )
        with c2:
            language = language_picker(t("dossiers.language", lang), "ds_language", lang)
        st.form_submit_button(t("dossiers.search", lang))
    try:
        with session_scope() as session:
            hits = search_dossiers(
                session,
                actor,
                skill=skill or None,
                occupation=occupation or None,
                qualification=qualification or None,
                district=district or None,
                language=language or None,
            )
    except IVCError as exc:
        show_error(exc, lang)
        return
    if not hits:
        st.info(t("dossiers.none", lang))
        return
    st.dataframe(
        [
            {
                t("cases.id", lang): h.case_id,
                t("cases.person", lang): h.name,
                t("cases.district", lang): h.district,
                t("dossiers.languages", lang): ", ".join(h.languages),
                t("dossiers.italian", lang): h.italian_level,
                t("dossiers.qualifications", lang): ", ".join(h.qualifications),
                t("dossiers.matched", lang): "; ".join(
                    f"{m['label']} ({label('skill_status', m['status'], lang)})" for m in h.matched
                ),
                t("dossiers.score", lang): h.score,
            }
            for h in hits
        ],
        hide_index=True,
        width="stretch",
    )
    chosen = st.selectbox(t("dossiers.open", lang), [""] + [str(h.case_id) for h in hits], key="ds_open")
    if not chosen:
        return
    try:
        with session_scope() as session:
            dossier = open_dossier(session, actor, int(chosen))
    except IVCError as exc:
        show_error(exc, lang)
        return
    st.subheader(f"{dossier.name} — {t('cases.district', lang)} {dossier.district}")
    st.write(
        f"{t('dossiers.languages', lang)}: {', '.join(dossier.languages) or '-'} · "
        f"{t('dossiers.italian', lang)}: {dossier.italian_level}"
    )
    st.table(
        [
            {
                t("mapping.competence", lang): s["label"],
                t("mapping.status", lang): label("skill_status", s["status"], lang),
                t("dossiers.evidence", lang): "; ".join(s["evidence"]),
            }
            for s in dossier.skills
        ],
    )
    if dossier.documents:
        st.table(
            [
                {
                    t("documents.type", lang): t(f"doctypes.{d['type']}", lang),
                    t("documents.number", lang): d["number"],
                    t("documents.verification", lang): d["code"],
                }
                for d in dossier.documents
            ]
        )
