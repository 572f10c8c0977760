"""The guided interview: six steps with progress, each question shown in Italian and in the
person's language; answers kept in the person's own words and in Italian, with who translated.
A recorded answer can be corrected, or removed with a reason, while the interview is open.

Every form is keyed by what it edits (case and step for a new answer, the record for a
correction) and starts empty after each save: nothing typed under one step can be stored under
another, and a double click stores one answer. Roles that assess rather than interview (ALFA,
assessors) read the person's account here."""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st
from sqlmodel import Session

from ivc.auth.policy import Permission, allowed
from ivc.auth.roles import Actor
from ivc.case import service as cases
from ivc.case.models import Case
from ivc.database.core import session_scope
from ivc.errors import IVCError
from ivc.experience.models import INTERVIEW_STEPS, Experience, ExperienceKind, LearningContext
from ivc.experience.service import (
    ExperienceIn,
    add_experience,
    correct_experience,
    experiences_for_case,
    interview_open,
    remove_experience,
)
from ivc.i18n import NAMES, person_languages, t
from ivc.person.models import Person
from ivc.ui.widgets.confirm import confirmed
from ivc.ui.widgets.feedback import flash, show_error
from ivc.ui.widgets.forms import Form, rerun_here, save_once
from ivc.ui.widgets.pickers import country_picker, language_picker
from ivc.ui.widgets.steps import advance_soon
from ivc.ui.widgets.text import fmt_date, in_language, label, written_in

EARLIEST = date(1940, 1, 1)


def _labels(lang: str) -> dict[str, str]:
    return {
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


def render(actor: Actor, case_id: int, lang: str) -> None:
    with session_scope() as session:
        case = cases.get_case(session, case_id, actor)
        person = session.get(Person, case.person_id)
        recorded = experiences_for_case(session, case_id)
    if not allowed(actor, Permission.INTERVIEW_RECORD, case.territory):
        _account(recorded, lang)
        return
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
        _recorded(actor, case, [e for e in recorded if e.kind == kind.value], lang, editable=False)
        return
    form = Form(f"interview:{case_id}:{step}")
    labels = _labels(lang)
    with st.form(form.id, clear_on_submit=False, enter_to_submit=False):
        values = _fields(form, labels, case, lang)
        saved = st.form_submit_button(t("interview.save", lang), type="primary")
    if saved:

        def work(session: Session) -> int | None:
            data = _answer(values, kind, step, case)
            return add_experience(session, cases.get_case(session, case_id, actor), data, actor).id

        if save_once(form, "experience", actor, work, lang, labels=labels, rerun=False) is not None:
            advance_soon([case_id])  # suggestions for the new text, while the operator goes on
            # Said until the next save of this step, so that an extra rerun (a double click, a
            # reload) does not swallow it.
            st.session_state[f"_saved:{case_id}:{step}"] = form.generation
            rerun_here()
    if st.session_state.get(f"_saved:{case_id}:{step}") == form.generation:  # beside the form
        st.success(t("interview.saved", lang))

    _recorded(actor, case, [e for e in recorded if e.kind == kind.value], lang, editable=True)


def _fields(form: Form, labels: dict[str, str], case: Case, lang: str, e: Experience | None = None) -> dict[str, Any]:
    """The answer's fields, empty for a new answer or holding a recorded one to correct."""
    title = st.text_input(labels["title"], value=e.title if e else "", max_chars=300, key=form.key("title"))
    c1, c2, c3, c4 = st.columns(4)
    place = c1.text_input(labels["place"], value=(e.place or "") if e else "", max_chars=300, key=form.key("place"))
    with c2:
        country = country_picker(labels["country"], form.key("country"), lang, default=e.country if e else None)
    started = c3.date_input(
        labels["started_on"], value=e.started_on if e else None, min_value=EARLIEST, max_value=date.today(),
        format="DD/MM/YYYY", key=form.key("started"),
    )  # fmt: skip
    ended = c4.date_input(
        labels["ended_on"], value=e.ended_on if e else None, min_value=EARLIEST, max_value=date.today(),
        format="DD/MM/YYYY", key=form.key("ended"),
    )  # fmt: skip
    c1, c2 = st.columns(2)
    with c1:
        language = language_picker(
            labels["language"], form.key("language"), lang, default=e.language if e else case.interview_language
        )
    contexts = [c.value for c in LearningContext]
    context = c2.selectbox(
        labels["learning_context"],
        contexts,
        index=contexts.index(e.learning_context) if e and e.learning_context in contexts else None,
        placeholder=t("interview.learning_context_pick", lang),
        format_func=lambda c: label("learning_contexts", c, lang),
        key=form.key("context"),
    )
    with written_in(e.language if e else case.interview_language, form.key("original")):
        original = st.text_area(
            labels["text_original"], value=e.text_original if e else "", max_chars=20000, key=form.key("original")
        )
    italian = st.text_area(
        labels["text_it"], value=(e.text_it or "") if e else "", max_chars=20000, key=form.key("italian")
    )
    translator = st.text_input(
        labels["translated_by"],
        value=(e.translated_by or "") if e else (case.mediator or ""),
        max_chars=64,
        key=form.key("translator"),
    )
    return {
        "title": title, "place": place, "country": country, "started": started, "ended": ended,
        "language": language, "context": context, "original": original, "italian": italian, "translator": translator,
    }  # fmt: skip


def _answer(v: dict[str, Any], kind: ExperienceKind, step: str, case: Case) -> ExperienceIn:
    return ExperienceIn(
        kind=kind,
        title=(v["title"] or "").strip() or t(f"person.interview.steps.{step}.title", "it"),
        place=v["place"] or None,
        country=v["country"] or None,
        started_on=v["started"] if isinstance(v["started"], date) else None,
        ended_on=v["ended"] if isinstance(v["ended"], date) else None,
        language=v["language"] or case.interview_language,
        text_original=v["original"] or "",
        text_it=v["italian"] or None,
        translated_by=v["translator"] or None,
        learning_context=LearningContext(v["context"]) if v["context"] else None,
    )


def _recorded(actor: Actor, case: Case, recorded: list[Experience], lang: str, *, editable: bool) -> None:
    for e in recorded:
        period = " – ".join(x for x in (fmt_date(e.started_on), fmt_date(e.ended_on)) if x)
        with st.expander(" · ".join(x for x in (e.title, e.place or "", period) if x)):
            _told(e, lang)
            if editable:
                _correct(actor, case, e, lang)


def _told(e: Experience, lang: str) -> None:
    in_language(e.text_original, e.language)
    if e.text_it and e.language != "it":
        st.write(f"🇮🇹 {e.text_it}")
        st.caption(t("interview.translated_note", lang, who=e.translated_by or "—"))


def _correct(actor: Actor, case: Case, e: Experience, lang: str) -> None:
    """Correct the recorded answer in place, or remove it with a reason (asked first)."""
    if not st.toggle(t("interview.correct", lang), key=f"correcting:{e.id}"):
        return
    case_id, step = case.id or 0, next(s for s, k in INTERVIEW_STEPS if k.value == e.kind)
    form = Form(f"experience:{e.id}")
    labels = _labels(lang)
    with st.form(form.id, clear_on_submit=False, enter_to_submit=False):
        values = _fields(form, labels, case, lang, e)
        saved = st.form_submit_button(t("interview.correct_save", lang), type="primary")
    if saved:

        def work(session: Session) -> int | None:
            data = _answer(values, ExperienceKind(e.kind), step, case)
            return correct_experience(session, cases.get_case(session, case_id, actor), e.id or 0, data, actor).id

        if save_once(form, "experience_correction", actor, work, lang, labels=labels, rerun=False) is not None:
            advance_soon([case_id])  # suggestions from the corrected words
            st.session_state.pop(f"correcting:{e.id}", None)
            flash(t("interview.corrected", lang))
            st.rerun()
    reason = st.text_input(t("interview.remove_reason", lang), max_chars=500, key=f"remove_reason:{e.id}")
    if confirmed(t("interview.remove", lang), f"remove:{e.id}", t("interview.remove_what", lang), lang, primary=False):
        try:
            with session_scope() as session:
                remove_experience(session, cases.get_case(session, case_id, actor), e.id or 0, reason, actor)
        except IVCError as exc:
            show_error(exc, lang, {"reason": t("interview.remove_reason", lang)})
            return
        flash(t("interview.removed", lang))
        st.rerun()


def _account(recorded: list[Experience], lang: str) -> None:
    """The person's account, step by step, for the roles that assess it (read only)."""
    st.markdown(f"**{t('interview.account', lang)}**")
    if not recorded:
        st.caption(t("interview.account_none", lang))
    for name, kind in INTERVIEW_STEPS:
        answers = [e for e in recorded if e.kind == kind.value]
        if not answers:
            continue
        st.markdown(f"##### {t(f'person.interview.steps.{name}.title', lang)}")
        for e in answers:
            period = " – ".join(x for x in (fmt_date(e.started_on), fmt_date(e.ended_on)) if x)
            st.markdown(f"**{' · '.join(x for x in (e.title, e.place or '', period) if x)}**")
            _told(e, lang)
