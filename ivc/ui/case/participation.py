"""Beside the IVC path: the courses and guidance the person takes part in, their Italian level over
time, and the integration question asked in their own language. What monitoring counts for the
AMIF/FAMI indicators is recorded here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st
from sqlmodel import Session

from ivc.auth.roles import Actor
from ivc.case import service as cases
from ivc.database.core import session_scope
from ivc.errors import IVCError
from ivc.i18n import t
from ivc.participation import service as participation
from ivc.participation.models import ActivityKind, Answer, CefrLevel, LevelSource
from ivc.person.models import Person
from ivc.ui.widgets.feedback import flash, show_error
from ivc.ui.widgets.forms import Form, save_once
from ivc.ui.widgets.text import fmt_date, in_language


def _save(lang: str, record: Callable[[Session], object]) -> None:
    """Record one thing in its own transaction; a refusal is shown, a success confirmed after the rerun."""
    try:
        with session_scope() as session:
            record(session)
    except IVCError as exc:
        show_error(exc, lang)
        return
    flash(t("participation.saved", lang))
    st.rerun()


def render(actor: Actor, case_id: int, lang: str) -> None:
    try:
        with session_scope() as session:
            case = cases.get_case(session, case_id, actor)
            person = session.get(Person, case.person_id)
            view = participation.participation(session, case.person_id, actor)
            person_lang = person.preferred_language if person else case.interview_language
    except IVCError as exc:
        show_error(exc, lang)
        return
    _activities(actor, case_id, case.person_id, view, lang)
    _levels(actor, case.person_id, view, lang)
    _feedback(actor, case_id, case.person_id, view, person_lang, lang)


def _activities(actor: Actor, case_id: int, person_id: int, view: participation.Participation, lang: str) -> None:
    st.markdown(f"**{t('participation.activities', lang)}**")
    if view.activities:
        st.dataframe(
            [
                {
                    t("participation.kind", lang): t(f"participation.kinds.{a.kind}", lang),
                    t("participation.provider", lang): a.provider,
                    t("participation.course_title", lang): a.title or "",
                    t("participation.started_on", lang): fmt_date(a.started_on),
                    t("participation.ended_on", lang): fmt_date(a.ended_on),
                    t("participation.hours", lang): a.hours or "",
                    t("participation.status", lang): _status(a.completed, a.ended_on, lang),
                }
                for a in view.activities
            ],
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption(t("participation.no_activities", lang))
    form = Form(f"activity:{case_id}")
    labels = {"provider": t("participation.provider", lang), "title": t("participation.course_title", lang),
              "hours": t("participation.hours", lang), "started_on": t("participation.started_on", lang)}  # fmt: skip
    with st.form(form.id, enter_to_submit=False):
        c1, c2 = st.columns(2)
        kind = c1.selectbox(
            t("participation.kind", lang),
            [k.value for k in ActivityKind],
            format_func=lambda k: t(f"participation.kinds.{k}", lang),
            key=form.key("kind"),
        )
        provider = c2.text_input(labels["provider"], max_chars=200, key=form.key("provider"))
        title = st.text_input(labels["title"], max_chars=300, key=form.key("title"))
        c3, c4 = st.columns(2)
        started = c3.date_input(
            t("participation.started_on", lang),
            value=date.today(),
            max_value=date.today(),
            format="DD/MM/YYYY",
            key=form.key("started"),
        )
        hours = c4.number_input(labels["hours"], min_value=0.0, max_value=2000.0, step=1.0, key=form.key("hours"))
        submitted = st.form_submit_button(t("participation.add_activity", lang), type="primary")
    if submitted:

        def work(session: Session) -> int | None:
            data = participation.ActivityIn(
                kind=ActivityKind(kind),
                provider=provider,
                title=title or None,
                started_on=started,
                hours=hours or None,
                case_id=case_id,
            )
            participation.record_activity(session, person_id, data, actor)
            return None

        save_once(form, "activity", actor, work, lang, labels=labels, done_message=t("participation.saved", lang))
    ongoing = [a for a in view.activities if a.ended_on is None]
    if not ongoing:
        return
    with st.form(f"finish_{case_id}"):
        st.markdown(t("participation.finish", lang))
        chosen = st.selectbox(
            t("participation.activity", lang),
            [a.id for a in ongoing],
            format_func=lambda i: next(
                f"{a.provider} — {a.title or a.kind} ({fmt_date(a.started_on)})" for a in ongoing if a.id == i
            ),
            key=f"pf_which_{case_id}",
        )
        c1, c2, c3 = st.columns(3)
        ended = c1.date_input(
            t("participation.ended_on", lang),
            value=date.today(),
            max_value=date.today(),
            format="DD/MM/YYYY",
            key=f"pf_end_{case_id}",
        )
        completed = c2.checkbox(t("participation.completed", lang), value=True, key=f"pf_done_{case_id}")
        hours = c3.number_input(
            t("participation.hours", lang), min_value=0.0, max_value=2000.0, step=1.0, key=f"pf_hours_{case_id}"
        )
        if st.form_submit_button(t("participation.save_end", lang)):
            activity = next(a for a in ongoing if a.id == chosen)
            _save(
                lang,
                lambda s: participation.finish_activity(
                    s,
                    activity.id or 0,
                    ended_on=ended,
                    completed=completed,
                    hours=hours or None,
                    version=activity.version,
                    actor=actor,
                ),
            )


def _status(completed: bool | None, ended_on: date | None, lang: str) -> str:
    if ended_on is None:
        return t("participation.ongoing", lang)
    return t("participation.completed" if completed else "participation.not_completed", lang)


def _levels(actor: Actor, person_id: int, view: participation.Participation, lang: str) -> None:
    st.markdown(f"**{t('participation.levels', lang)}**")
    for p in view.progress:
        st.write(
            t(
                "participation.progress",
                lang,
                language=p.language,
                baseline=t(f"participation.cefr.{p.baseline}", lang),
                latest=t(f"participation.cefr.{p.latest}", lang),
                steps=p.steps,
            )
        )
    if view.levels:
        st.dataframe(
            [
                {
                    t("participation.language", lang): lv.language,
                    t("participation.level", lang): t(f"participation.cefr.{lv.level}", lang),
                    t("participation.assessed_on", lang): fmt_date(lv.assessed_on),
                    t("participation.source", lang): t(f"participation.sources.{lv.source}", lang),
                }
                for lv in view.levels
            ],
            hide_index=True,
            width="stretch",
        )
    with st.form(f"level_{person_id}", clear_on_submit=True):
        c1, c2, c3 = st.columns(3)
        level = c1.selectbox(
            t("participation.level", lang),
            [lv.value for lv in CefrLevel],
            format_func=lambda v: t(f"participation.cefr.{v}", lang),
            key=f"pl_level_{person_id}",
        )
        on = c2.date_input(
            t("participation.assessed_on", lang),
            value=date.today(),
            max_value=date.today(),
            format="DD/MM/YYYY",
            key=f"pl_on_{person_id}",
        )
        source = c3.selectbox(
            t("participation.source", lang),
            [s.value for s in LevelSource],
            format_func=lambda v: t(f"participation.sources.{v}", lang),
            key=f"pl_source_{person_id}",
        )
        if st.form_submit_button(t("participation.add_level", lang)):
            _save(
                lang,
                lambda s: participation.record_level(
                    s, person_id, level=level, assessed_on=on, source=source, actor=actor
                ),
            )


def _feedback(
    actor: Actor, case_id: int, person_id: int, view: participation.Participation, person_lang: str, lang: str
) -> None:
    st.markdown(f"**{t('participation.feedback', lang)}**")
    for fb in view.feedback[:3]:
        st.caption(f"{fmt_date(fb.asked_on)}: {t(f'person.feedback.answers.{fb.answer}', lang)} ({fb.asked_in})")
    # Read out in the person's language; the operator sees the Italian beside it.
    in_language(t("person.feedback.question", person_lang), person_lang)
    if person_lang != lang:
        st.caption(t("person.feedback.question", lang))
    with st.form(f"feedback_{case_id}", clear_on_submit=True):
        answer = st.radio(
            t("participation.answer", lang),
            [a.value for a in Answer],
            format_func=lambda a: (
                f"{t(f'person.feedback.answers.{a}', person_lang)} / {t(f'person.feedback.answers.{a}', lang)}"
            ),
            key=f"pfb_answer_{case_id}",
        )
        if st.form_submit_button(t("participation.save_answer", lang)):
            _save(
                lang,
                lambda s: participation.record_feedback(
                    s, person_id, answer=answer, asked_in=person_lang, actor=actor, case_id=case_id
                ),
            )
