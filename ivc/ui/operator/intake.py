"""A new intake: who the person is, who sent them, what makes them vulnerable, which languages
they speak and which mediator helps; consent and the service agreement are shown and recorded in
the person's language; optionally the admission, so the interview can start at once.

Nothing personal is defaulted: gender, citizenship and languages are picked from their standard
lists. A likely existing person (same tax code, or same name and birth date) is shown before a
second record is made; a double click saves one person and one case."""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st
from sqlmodel import Session, col, select

from ivc.agreement import service as agreements
from ivc.auth.models import User
from ivc.auth.roles import Actor, Role
from ivc.case import service as cases
from ivc.case.states import Action
from ivc.consent.models import ConsentPurpose
from ivc.consent.service import give_consent
from ivc.database.core import session_scope
from ivc.decision import service as decisions
from ivc.decision.models import DecisionKind
from ivc.errors import DomainError, IVCError, ValidationFailed
from ivc.framework.models import Framework, Qualification, text_in
from ivc.i18n import NAMES, person_languages, t
from ivc.person.models import CEFR_LEVELS, Gender, Person, ReferralSource, VulnerabilityKind
from ivc.person.service import PersonIn, register_person
from ivc.ui.widgets.feedback import show_error
from ivc.ui.widgets.forms import Form
from ivc.ui.widgets.links import page_link
from ivc.ui.widgets.pickers import country_picker, district_codes, language_picker
from ivc.ui.widgets.steps import advance
from ivc.ui.widgets.text import fmt_date, in_language, label, language_name

_FIELDS = (
    "given_name", "family_name", "name_native", "birth_date", "birth_place", "gender", "citizenship",
    "languages", "italian_level", "codice_fiscale", "phone", "email", "referral_source", "district",
    "guardian_name", "vulnerabilities",
)  # fmt: skip

SPOKEN_ROWS = 4  # rows for the languages a person speaks (Italian has its own level below)


def _labels(lang: str) -> dict[str, str]:
    out = {f: t(f"intake.{f}", lang) for f in _FIELDS}
    out["guardian_name"] = t("intake.guardian", lang)
    out["district"] = t("cases.district", lang)
    return out


def _targets(session: Session) -> dict[str, Qualification]:
    quals = session.exec(
        select(Qualification)
        .join(Framework, col(Framework.id) == col(Qualification.framework_id))
        .where(Framework.kind == "repertory", col(Qualification.regulated_profession).is_(False))
        .order_by(col(Qualification.code), col(Qualification.id))
    )
    return {q.code: q for q in quals}  # the latest version of each code


def render(actor: Actor, lang: str) -> None:
    st.header(t("intake.title", lang))
    created = st.session_state.pop("intake_created", None)
    if created:
        st.success(t("intake.saved", lang, id=created))
        page_link("cases", t("intake.open_case", lang, id=created), case=str(created))
    with session_scope() as session:
        mediators = list(session.exec(select(User).where(User.role == Role.MEDIATOR.value, col(User.active))))
        targets = _targets(session)
    districts = sorted(actor.districts) or district_codes()
    person_lang = st.selectbox(
        t("intake.preferred_language", lang),
        person_languages(),
        key="intake_lang",
        format_func=lambda c: NAMES.get(c, c),
    )
    form = Form("intake")
    labels = _labels(lang)
    duplicates: list[dict[str, Any]] = st.session_state.get(f"_dup:{form.id}", [])
    with st.form(form.id, clear_on_submit=False, enter_to_submit=False):
        if duplicates:
            st.warning(t("intake.duplicates", lang))
            for d in duplicates:
                st.write(f"- {d['name']} · {fmt_date(d['birth_date'])} · {d['codice_fiscale'] or ''} · "
                         f"{t('cases.district', lang)} {d['district']}")  # fmt: skip
            different = st.checkbox(t("intake.different_person", lang), key=form.key("different"))
        else:
            different = False
        st.subheader(t("intake.identity", lang))
        c1, c2, c3 = st.columns(3)
        given = c1.text_input(labels["given_name"], max_chars=200, key=form.key("given"))
        family = c2.text_input(labels["family_name"], max_chars=200, key=form.key("family"))
        native = c3.text_input(labels["name_native"], max_chars=400, key=form.key("native"))
        c1, c2, c3, c4 = st.columns(4)
        birth = c1.date_input(
            labels["birth_date"], value=None, min_value=date(1930, 1, 1), max_value=date.today(),
            format="DD/MM/YYYY", key=form.key("birth"),
        )  # fmt: skip
        birth_place = c2.text_input(labels["birth_place"], max_chars=200, key=form.key("birth_place"))
        gender = c3.selectbox(
            labels["gender"],
            [g.value for g in Gender],
            index=None,
            placeholder=t("intake.pick", lang),
            format_func=lambda g: t(f"genders.{g}", lang),
            key=form.key("gender"),
        )
        with c4:
            citizenship = country_picker(labels["citizenship"], form.key("citizenship"), lang)
        st.markdown(f"**{t('intake.languages', lang)}**")
        spoken: list[tuple[str | None, str | None]] = []
        levels = ["native", *reversed([lv for lv in CEFR_LEVELS if lv not in ("none", "native")])]
        for row in range(SPOKEN_ROWS):
            c1, c2 = st.columns([3, 2])
            with c1:
                code = language_picker(t("intake.language_n", lang, n=row + 1), form.key(f"spoken{row}"), lang)
            level = c2.selectbox(
                t("intake.level", lang), levels, index=None, placeholder=t("intake.pick", lang),
                format_func=lambda lv: label("levels", lv, lang), key=form.key(f"spoken_level{row}"),
            )  # fmt: skip
            spoken.append((code, level))
        c1, c2 = st.columns(2)
        italian = c1.selectbox(
            labels["italian_level"], CEFR_LEVELS, index=None, placeholder=t("intake.pick", lang),
            format_func=lambda lv: label("levels", lv, lang), key=form.key("italian"),
        )  # fmt: skip
        cf = c2.text_input(labels["codice_fiscale"], max_chars=16, key=form.key("cf"))
        c1, c2 = st.columns(2)
        phone = c1.text_input(labels["phone"], max_chars=40, key=form.key("phone"))
        email = c2.text_input(labels["email"], max_chars=200, key=form.key("email"))
        st.subheader(t("intake.referral", lang))
        c1, c2, c3 = st.columns(3)
        source = c1.selectbox(
            labels["referral_source"],
            [r.value for r in ReferralSource],
            index=None,
            placeholder=t("intake.pick", lang),
            format_func=lambda r: t(f"referrals.{r}", lang),
            key=form.key("source"),
        )
        district = c2.selectbox(labels["district"], districts, key=form.key("district"))
        mediator = c3.selectbox(
            t("intake.mediator", lang),
            ["", *[m.username for m in mediators]],
            format_func=lambda u: (
                (u and f"{u} ({', '.join(next(m.languages for m in mediators if m.username == u))})")
                or t("intake.no_mediator", lang)
            ),
            key=form.key("mediator"),
        )
        vulnerable = st.multiselect(
            labels["vulnerabilities"],
            [v.value for v in VulnerabilityKind],
            format_func=lambda v: t(f"vulnerabilities.{v}", lang),
            placeholder=t("intake.pick", lang),
            key=form.key("vulnerable"),
        )
        vnote = st.text_input(t("intake.vulnerability_note", lang), max_chars=2000, key=form.key("vnote"))
        guardian = st.text_input(labels["guardian_name"], max_chars=200, key=form.key("guardian"))
        target = st.selectbox(
            t("intake.target", lang),
            list(targets),
            index=None,
            placeholder=t("intake.pick", lang),
            format_func=lambda c: f"{c} — {text_in(targets[c].title, lang)}",
            key=form.key("target"),
        )
        st.subheader(t("intake.consent", lang))
        in_language(t("person.consent.intro", person_lang), person_lang)
        consents: dict[ConsentPurpose, bool] = {}
        for purpose in ConsentPurpose:
            key = f"person.consent.{purpose.value}"
            with st.container(border=True):
                st.markdown(f"**{t(key + '.title', lang)}**")
                in_language(t(key + ".text", person_lang), person_lang)
                consents[purpose] = st.checkbox(
                    t(key + ".ask", person_lang) + ("" if person_lang == lang else f" — {t(key + '.ask', lang)}"),
                    key=form.key(f"consent_{purpose.value}"),
                )
        in_language(t("person.consent.withdraw", person_lang), person_lang)
        st.subheader(t("person.agreement.title", lang))
        in_language(t("person.agreement.declaration", person_lang), person_lang)
        declared = st.checkbox(t("intake.declaration_given", lang), key=form.key("declared"))
        calendar = st.text_input(t("person.agreement.calendar", lang), max_chars=2000, key=form.key("calendar"))
        admit = st.checkbox(t("intake.admit", lang), key=form.key("admit"))
        submitted = st.form_submit_button(t("intake.save", lang), type="primary")
    if not submitted:
        return
    # A language needs its level: nothing is assumed about how well a person speaks it.
    without_level = [language_name(code, lang) for code, level in spoken if code and not level]
    if without_level:
        st.error(t("intake.level_missing", lang, languages=", ".join(without_level)))
        return
    spoken_codes = [{"code": code, "level": level} for code, level in spoken if code and level]
    answers = {
        "given_name": given, "family_name": family, "name_native": native or None,
        "birth_date": birth if isinstance(birth, date) else None, "birth_place": birth_place or None,
        "gender": gender, "citizenship": citizenship or "", "languages": spoken_codes, "italian_level": italian,
        "phone": phone or None, "email": email or None, "codice_fiscale": cf or None, "referral_source": source,
        "district": district, "preferred_language": person_lang, "guardian_name": guardian or None,
        "vulnerabilities": [{"kind": v, "note": vnote or None} for v in vulnerable],
    }  # fmt: skip
    choices = {
        "target": target, "mediator": mediator or None, "consents": consents, "declared": declared,
        "calendar": calendar or None, "admit": admit, "different": bool(different), "person_lang": person_lang,
    }  # fmt: skip
    _save(actor, form, answers, choices, labels, lang)


def _save(actor: Actor, form: Form, answers: dict[str, Any], choices: dict[str, Any], labels: dict[str, str],
          lang: str) -> None:  # fmt: skip
    from ivc.submission import service as submissions

    try:
        if not choices["consents"][ConsentPurpose.IVC_SERVICE]:
            raise ValidationFailed("the privacy notice must be given first", code="notice_required")
        if not choices["target"]:
            raise ValidationFailed("no target qualification", field="target", code="target_required")
        data = PersonIn.model_validate(answers)
        with session_scope() as session:
            earlier = submissions.claim(session, form.token, "intake", actor)
            if earlier is not None:
                case_id = earlier.result_id or 0
            else:
                case_id = _register(session, actor, data, choices)
                submissions.done(session, form.token, case_id)
    except DomainError as exc:
        if exc.code == "possible_duplicate":
            with session_scope() as session:
                people = [session.get(Person, int(i)) for i in exc.params.get("ids", [])]
            st.session_state[f"_dup:{form.id}"] = [
                {
                    "name": p.display_name,
                    "birth_date": p.birth_date,
                    "codice_fiscale": p.codice_fiscale,
                    "district": p.territory,
                }
                for p in people
                if p is not None
            ]
            st.rerun()
        show_error(exc, lang, labels)
        return
    except (IVCError, ValueError) as exc:
        show_error(exc, lang, labels)
        return
    st.session_state.pop(f"_dup:{form.id}", None)
    advance([case_id], lang)
    form.reset()
    st.session_state["intake_created"] = case_id
    st.rerun()


def _register(session: Session, actor: Actor, data: PersonIn, choices: dict[str, Any]) -> int:
    person = register_person(session, data, actor, confirmed_new=choices["different"])
    case = cases.open_case(
        session, person, [choices["target"]], actor, mediator=choices["mediator"],
        interview_language=choices["person_lang"],
    )  # fmt: skip
    for purpose, given_now in choices["consents"].items():
        if given_now:
            give_consent(session, person, purpose, choices["person_lang"], actor, explained_by=choices["mediator"])
    agreements.prepare(session, case, choices["person_lang"], actor)
    if choices["declared"]:
        agreements.sign(
            session, case, actor, how="click", declaration_of_truth=True, informed_of_sample_checks=True,
            calendar=choices["calendar"],
        )  # fmt: skip
    if choices["admit"]:
        decisions.record_decision(session, case, DecisionKind.ADMISSIBILITY, "ammesso", actor)
        cases.transition(session, case, Action.ADMIT, actor)
    return case.id or 0
