"""The guided interview: six steps with progress, each question shown in Italian and in the
person's language; answers kept in the person's own words and in Italian, with who translated.

The form is keyed by case and step, and starts empty after each save: nothing typed under one
step can be stored under another, and a double click stores one answer."""

from __future__ import annotations

from datetime import date

import streamlit as st
from sqlmodel import Session

from ivc.auth.roles import Actor
from ivc.case import service as cases
from ivc.database.core import session_scope
from ivc.experience.models import INTERVIEW_STEPS, Experience, LearningContext
from ivc.experience.service import ExperienceIn, add_experience, experiences_for_case, interview_open
from ivc.i18n import NAMES, person_languages, t
from ivc.person.models import Person
from ivc.ui.widgets.forms import Form, rerun_here, save_once
from ivc.ui.widgets.pickers import country_picker, language_picker
from ivc.ui.widgets.steps import advance
from ivc.ui.widgets.text import fmt_date, in_language, label, written_in

EARLIEST = date(1940, 1, 1)


def render(actor: Actor, case_id: int, lang: str) -> None:
    with session_scope() as session:
        case = cases.get_case(session, case_id, actor)
        person = session.get(Person, case.person_id)
        recorded = experiences_for_case(session, case_id)
    spoken = person.preferred_language if person else "it"
    options = person_languages()
    prompt_lang = st.selectbox(
        t("interview.prompt_language", lang),
        options,
        index=options.index(spoken) if spoken in options else 0,
        key=f"prompt_lang:{case_id}",
        format_func=lambda c: NAMES.get(c, c),
    )
    kinds_done = {e.kind for e in recorded}
    done = sum(1 for _, kind in INTERVIEW_STEPS if kind.value in kinds_done)
    st.progress(done / len(INTERVIEW_STEPS), text=t("interview.progress", lang, done=done, total=len(INTERVIEW_STEPS)))
    in_language(t("person.interview.intro", prompt_lang), prompt_lang)
    # The options' labels never change with what is saved: a radio whose labels change under the
    # browser loses its visible choice. What is done is said below it.
    step = st.radio(
        t("interview.step", lang),
        [name for name, _ in INTERVIEW_STEPS],
        horizontal=True,
        key=f"step:{case_id}",
        format_func=lambda s: t(f"person.interview.steps.{s}.title", lang),
    )
    finished = [t(f"person.interview.steps.{s}.title", lang) for s, k in INTERVIEW_STEPS if k.value in kinds_done]
    if finished:
        st.caption("✓ " + t("interview.steps_done", lang, steps=", ".join(finished)))
    kind = dict(INTERVIEW_STEPS)[step]
    st.markdown(f"**{t(f'person.interview.steps.{step}.prompt', lang)}**")
    st.caption(t(f"person.interview.steps.{step}.hint", lang))
    if prompt_lang != lang:
        in_language(t(f"person.interview.steps.{step}.prompt", prompt_lang), prompt_lang)

    if not interview_open(case):
        st.info(t("interview.closed", lang))
        _recorded(recorded, kind.value, lang)
        return
    form = Form(f"interview:{case_id}:{step}")
    labels = {
        "title": t("interview.title", lang),
        "place": t("interview.place", lang),
        "country": t("interview.country", lang),
        "started_on": t("interview.started", lang),
        "ended_on": t("interview.ended", lang),
        "language": t("interview.language", lang),
        "text_original": t("person.interview.your_words", lang),
        "text_it": t("person.interview.in_italian", lang),
        "translated_by": t("person.interview.translated_by", lang),
        "learning_context": t("interview.learning_context", lang),
    }
    with st.form(form.id, clear_on_submit=False, enter_to_submit=False):
        title = st.text_input(labels["title"], max_chars=300, key=form.key("title"))
        c1, c2, c3, c4 = st.columns(4)
        place = c1.text_input(labels["place"], max_chars=300, key=form.key("place"))
        with c2:
            country = country_picker(labels["country"], form.key("country"), lang)
        started = c3.date_input(
            labels["started_on"], value=None, min_value=EARLIEST, max_value=date.today(),
            format="DD/MM/YYYY", key=form.key("started"),
        )  # fmt: skip
        ended = c4.date_input(
            labels["ended_on"], value=None, min_value=EARLIEST, max_value=date.today(),
            format="DD/MM/YYYY", key=form.key("ended"),
        )  # fmt: skip
        c1, c2 = st.columns(2)
        with c1:
            language = language_picker(labels["language"], form.key("language"), lang, default=case.interview_language)
        context = c2.selectbox(
            labels["learning_context"],
            [c.value for c in LearningContext],
            index=None,
            placeholder=t("interview.learning_context_pick", lang),
            format_func=lambda c: label("learning_contexts", c, lang),
            key=form.key("context"),
        )
        with written_in(case.interview_language, form.key("original")):
            original = st.text_area(labels["text_original"], max_chars=20000, key=form.key("original"))
        italian = st.text_area(labels["text_it"], max_chars=20000, key=form.key("italian"))
        translator = st.text_input(
            labels["translated_by"], value=case.mediator or "", max_chars=64, key=form.key("translator")
        )
        saved = st.form_submit_button(t("interview.save", lang), type="primary")
    if saved:

        def work(session: Session) -> int | None:
            data = ExperienceIn(
                kind=kind,
                title=(title or "").strip() or t(f"person.interview.steps.{step}.title", "it"),
                place=place or None,
                country=country or None,
                started_on=started if isinstance(started, date) else None,
                ended_on=ended if isinstance(ended, date) else None,
                language=language or case.interview_language,
                text_original=original or "",
                text_it=italian or None,
                translated_by=translator or None,
                learning_context=LearningContext(context) if context else None,
            )
            return add_experience(session, cases.get_case(session, case_id, actor), data, actor).id

        if save_once(form, "experience", actor, work, lang, labels=labels, rerun=False) is not None:
            advance([case_id], lang)  # suggestions for the new text
            # Said until the next save of this step, so that an extra rerun (a double click, a
            # reload) does not swallow it.
            st.session_state[f"_saved:{case_id}:{step}"] = form.generation
            rerun_here()
    if st.session_state.get(f"_saved:{case_id}:{step}") == form.generation:  # beside the form
        st.success(t("interview.saved", lang))

    _recorded(recorded, kind.value, lang)


def _recorded(recorded: list[Experience], kind: str, lang: str) -> None:
    for e in [e for e in recorded if e.kind == kind]:
        period = " – ".join(x for x in (fmt_date(e.started_on), fmt_date(e.ended_on)) if x)
        with st.expander(" · ".join(x for x in (e.title, e.place or "", period) if x)):
            in_language(e.text_original, e.language)
            if e.text_it and e.language != "it":
                st.write(f"🇮🇹 {e.text_it}")
                st.caption(t("interview.translated_note", lang, who=e.translated_by or "—"))
