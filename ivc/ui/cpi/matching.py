"""CPI advisors: vacancies, a form to add one, and consented dossiers ranked for a vacancy with
their explanation; the shortlist as CSV or PDF."""

from __future__ import annotations

import streamlit as st
from sqlmodel import col, select

from ivc.auth.policy import Permission, allowed
from ivc.auth.roles import Actor
from ivc.database.core import session_scope
from ivc.i18n import t
from ivc.matching.models import Vacancy
from ivc.matching.service import (
    create_vacancy,
    match_vacancy,
    shortlist_csv,
    shortlist_pdf,
    shortlist_rows,
)
from ivc.ui.widgets.forms import Form, save_once
from ivc.ui.widgets.pickers import district_codes, district_label
from ivc.ui.widgets.text import label


def render(actor: Actor, lang: str) -> None:
    st.header(t("matching.title", lang))
    if not allowed(actor, Permission.MATCHING):
        st.warning(t("matching.denied", lang))
        return
    form = Form("vacancy")
    labels = {
        "reference": t("matching.reference", lang), "title": t("matching.vacancy_title", lang),
        "employer": t("matching.employer", lang), "district": t("cases.district", lang),
        "essential": t("matching.skills", lang),
    }  # fmt: skip
    with st.expander(t("matching.new_vacancy", lang)), st.form(form.id, enter_to_submit=False):
        reference = st.text_input(labels["reference"], key=form.key("reference"), max_chars=40)
        title = st.text_input(labels["title"], key=form.key("title"), max_chars=200)
        employer = st.text_input(labels["employer"], key=form.key("employer"), max_chars=200)
        district = st.selectbox(
            labels["district"],
            district_codes(),
            format_func=lambda d: district_label(d, lang),
            key=form.key("district"),
        )
        skills = st.text_area(labels["essential"], key=form.key("skills"), max_chars=5000)
        submitted = st.form_submit_button(t("matching.save", lang), type="primary")
    if submitted:
        save_once(
            form, "vacancy", actor,
            lambda s: create_vacancy(
                s, actor, reference=reference or "", title=title or "", employer=employer or "", district=district,
                essential=[x.strip() for x in (skills or "").splitlines() if x.strip()],
            ).id,
            lang, labels=labels, done_message=t("matching.saved", lang),
        )  # fmt: skip
    with session_scope() as session:
        vacancies = session.exec(
            select(Vacancy).where(col(Vacancy.open).is_(True)).order_by(col(Vacancy.reference))
        ).all()
        options = {v.id or 0: f"{v.reference} — {v.title} ({v.employer})" for v in vacancies}
    if not options:
        st.info(t("matching.no_vacancies", lang))
        return
    chosen = st.selectbox(t("matching.vacancy", lang), list(options), format_func=lambda i: options[i], key="vacancy")
    if chosen is None:
        return
    with session_scope() as session:
        vacancy = session.get(Vacancy, chosen)
        matches = match_vacancy(session, chosen, actor)
        rows = shortlist_rows(session, matches, actor)
        assert vacancy is not None
        pdf = shortlist_pdf(vacancy, rows)
    if not matches:
        st.info(t("matching.nobody", lang))
        return
    for m in matches:
        with st.expander(f"{m.score:.2f} — {m.subject['name']} ({t('cases.district', lang)} {m.subject['district']})"):
            for x in m.matched:
                st.write(
                    f"✓ {x['label']} — {label('skill_status', x['status'], lang)}"
                    + (f" · {', '.join(x['evidence'])}" if x["evidence"] else "")
                )
            for x in m.missing_essential:
                st.write(f"✗ {x['label']}")
            for g in m.to_close_the_gap:
                st.caption(g)
    st.download_button("CSV", shortlist_csv(rows), file_name="shortlist.csv", mime="text/csv")
    st.download_button("PDF", pdf, file_name="shortlist.pdf", mime="application/pdf")
