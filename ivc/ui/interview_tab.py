"""The guided interview: six steps with progress, each question shown in Italian and in the
person's language; answers kept in the person's own words and in Italian, with who translated."""

from __future__ import annotations

from datetime import date

import streamlit as st

from ivc.auth.roles import Actor
from ivc.case import service as cases
from ivc.database.core import session_scope
from ivc.errors import IVCError, first_error
from ivc.experience.models import INTERVIEW_STEPS
from ivc.experience.service import ExperienceIn, add_experience, experiences_for_case
from ivc.i18n import NAMES, person_languages, t
from ivc.person.models import Person
from ivc.ui.common import advance, flash, in_language, show_error


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
        key=f"prompt_lang_{case_id}",
        format_func=lambda c: NAMES.get(c, c),
    )
    kinds_done = {e.kind for e in recorded}
    done = sum(1 for _, kind in INTERVIEW_STEPS if kind.value in kinds_done)
    st.progress(done / len(INTERVIEW_STEPS), text=t("interview.progress", lang, done=done, total=len(INTERVIEW_STEPS)))
    in_language(t("person.interview.intro", prompt_lang), prompt_lang)
    step = st.radio(
        t("interview.step", lang),
        [name for name, _ in INTERVIEW_STEPS],
        horizontal=True,
        key=f"interview_step_{case_id}",
        format_func=lambda s: (
            ("✓ " if dict(INTERVIEW_STEPS)[s].value in kinds_done else "")
            + t(f"person.interview.steps.{s}.title", lang)
        ),
    )
    kind = dict(INTERVIEW_STEPS)[step]
    st.markdown(f"**{t(f'person.interview.steps.{step}.prompt', lang)}**")
    st.caption(t(f"person.interview.steps.{step}.hint", lang))
    if prompt_lang != lang:
        in_language(t(f"person.interview.steps.{step}.prompt", prompt_lang), prompt_lang)

    with st.form(f"experience_{case_id}_{step}", clear_on_submit=True):
        title = st.text_input(t("interview.title", lang), max_chars=300, key=f"exp_title_{case_id}")
        c1, c2, c3, c4 = st.columns(4)
        place = c1.text_input(t("interview.place", lang), max_chars=300, key=f"exp_place_{case_id}")
        country = c2.text_input(t("interview.country", lang), max_chars=2, key=f"exp_country_{case_id}")
        started = c3.date_input(
            t("interview.started", lang), value=None, min_value=date(1940, 1, 1), key=f"exp_from_{case_id}"
        )
        ended = c4.date_input(
            t("interview.ended", lang), value=None, min_value=date(1940, 1, 1), key=f"exp_to_{case_id}"
        )
        language = st.text_input(
            t("interview.language", lang), value=case.interview_language, max_chars=12, key=f"exp_lang_{case_id}"
        )
        original = st.text_area(t("person.interview.your_words", lang), max_chars=20000, key=f"exp_orig_{case_id}")
        italian = st.text_area(t("person.interview.in_italian", lang), max_chars=20000, key=f"exp_it_{case_id}")
        translator = st.text_input(
            t("person.interview.translated_by", lang), value=case.mediator or "", max_chars=64, key=f"exp_tr_{case_id}"
        )
        saved = st.form_submit_button(t("interview.save", lang))
    if saved:
        try:
            data = ExperienceIn(
                kind=kind,
                title=title or t(f"person.interview.steps.{step}.title", "it"),
                place=place or None,
                country=country or None,
                started_on=started if isinstance(started, date) else None,
                ended_on=ended if isinstance(ended, date) else None,
                language=language or "it",
                text_original=original,
                text_it=italian or None,
                translated_by=translator or None,
            )
            with session_scope() as session:
                add_experience(session, cases.get_case(session, case_id, actor), data, actor)
        except IVCError as exc:
            show_error(exc, lang)
        except ValueError as exc:  # pydantic: which field and why
            st.error(t("errors.invalid_input", lang, detail=first_error(exc)))
        else:
            advance([case_id], lang)  # suggestions for the new text
            flash(t("interview.saved", lang))
            st.rerun()

    for e in [e for e in recorded if e.kind == kind.value]:
        with st.expander(f"{e.title} — {e.place or ''} {e.started_on or ''}"):
            in_language(e.text_original, e.language)
            if e.text_it and e.language != "it":
                st.write(f"🇮🇹 {e.text_it}")
                st.caption(t("interview.translated_note", lang, who=e.translated_by or "-"))
