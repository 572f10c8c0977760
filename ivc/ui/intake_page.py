"""A new intake: who the person is, who sent them, what makes them vulnerable, which languages
they speak and which mediator helps; consent and the service agreement are shown and recorded in
the person's language; optionally the admission, so the interview can start at once."""

from __future__ import annotations

from datetime import date

import streamlit as st
from sqlmodel import col, select

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
from ivc.errors import IVCError, ValidationFailed, first_error
from ivc.framework.models import Framework, Qualification, text_in
from ivc.i18n import NAMES, person_languages, t
from ivc.person.models import CEFR_LEVELS, Gender, ReferralSource, VulnerabilityKind
from ivc.person.service import PersonIn, register_person
from ivc.ui.common import advance, district_codes, in_language, show_error


def parse_languages(text: str) -> list[dict[str, str]]:
    """'ar:native, fr:B1, it' -> [{code, level}]; a missing level means native."""
    out = []
    for part in text.replace(";", ",").split(","):
        if not part.strip():
            continue
        code, _, level = part.strip().partition(":")
        out.append({"code": code.strip().lower(), "level": (level.strip() or "native")})
    return out


def render(actor: Actor, lang: str) -> None:
    st.header(t("intake.title", lang))
    with session_scope() as session:
        mediators = list(session.exec(select(User).where(User.role == Role.MEDIATOR.value, col(User.active))))
        quals = list(
            session.exec(
                select(Qualification)
                .join(Framework, col(Framework.id) == col(Qualification.framework_id))
                .where(Framework.kind == "repertory", col(Qualification.regulated_profession).is_(False))
                .order_by(col(Qualification.code))
            )
        )
    seen: dict[str, Qualification] = {}
    for q in quals:  # the latest version of each code
        seen[q.code] = q
    districts = sorted(actor.districts) or district_codes()
    person_lang = st.selectbox(
        t("intake.preferred_language", lang),
        person_languages(),
        key="intake_lang",
        format_func=lambda c: NAMES.get(c, c),
    )
    with st.form("intake", clear_on_submit=False):
        st.subheader(t("intake.identity", lang))
        c1, c2, c3 = st.columns(3)
        given = c1.text_input(t("intake.given_name", lang), max_chars=200, key="in_given")
        family = c2.text_input(t("intake.family_name", lang), max_chars=200, key="in_family")
        native = c3.text_input(t("intake.name_native", lang), max_chars=400, key="in_native")
        c1, c2, c3, c4 = st.columns(4)
        birth = c1.date_input(
            t("intake.birth_date", lang), value=None, min_value=date(1930, 1, 1), max_value=date.today(), key="in_birth"
        )
        birth_place = c2.text_input(t("intake.birth_place", lang), max_chars=200, key="in_bplace")
        gender = c3.selectbox(
            t("intake.gender", lang), [g.value for g in Gender], format_func=lambda g: t(f"genders.{g}", lang)
        )
        citizenship = c4.text_input(t("intake.citizenship", lang), max_chars=2, key="in_cit")
        c1, c2, c3 = st.columns(3)
        spoken = c1.text_input(t("intake.languages", lang), key="in_langs", placeholder="ar:native, fr:B1")
        italian = c2.selectbox(t("intake.italian_level", lang), CEFR_LEVELS, key="in_it")
        cf = c3.text_input(t("intake.codice_fiscale", lang), max_chars=16, key="in_cf")
        c1, c2 = st.columns(2)
        phone = c1.text_input(t("intake.phone", lang), max_chars=40, key="in_phone")
        email = c2.text_input(t("intake.email", lang), max_chars=200, key="in_email")
        st.subheader(t("intake.referral", lang))
        c1, c2, c3 = st.columns(3)
        source = c1.selectbox(
            t("intake.referral_source", lang),
            [r.value for r in ReferralSource],
            format_func=lambda r: t(f"referrals.{r}", lang),
            key="in_source",
        )
        district = c2.selectbox(t("cases.district", lang), districts, key="in_district")
        mediator = c3.selectbox(
            t("intake.mediator", lang),
            ["", *[m.username for m in mediators]],
            format_func=lambda u: (
                (u and f"{u} ({', '.join(next(m.languages for m in mediators if m.username == u))})")
                or t("intake.no_mediator", lang)
            ),
            key="in_mediator",
        )
        vulnerable = st.multiselect(
            t("intake.vulnerabilities", lang),
            [v.value for v in VulnerabilityKind],
            format_func=lambda v: t(f"vulnerabilities.{v}", lang),
            key="in_vuln",
        )
        vnote = st.text_input(t("intake.vulnerability_note", lang), max_chars=2000, key="in_vnote")
        guardian = st.text_input(t("intake.guardian", lang), max_chars=200, key="in_guardian")
        target = st.selectbox(
            t("intake.target", lang),
            list(seen),
            format_func=lambda c: f"{c} — {text_in(seen[c].title, lang)}",
            key="in_target",
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
                    key=f"in_consent_{purpose.value}",
                )
        in_language(t("person.consent.withdraw", person_lang), person_lang)
        st.subheader(t("person.agreement.title", lang))
        in_language(t("person.agreement.declaration", person_lang), person_lang)
        declared = st.checkbox(t("intake.declaration_given", lang), key="in_declared")
        calendar = st.text_input(t("person.agreement.calendar", lang), max_chars=2000, key="in_calendar")
        admit = st.checkbox(t("intake.admit", lang), key="in_admit")
        submitted = st.form_submit_button(t("intake.save", lang), type="primary")
    if not submitted:
        return
    try:
        if not consents[ConsentPurpose.IVC_SERVICE]:
            raise ValidationFailed("the privacy notice must be given first", code="notice_required")
        data = PersonIn.model_validate(
            {
                "given_name": given,
                "family_name": family,
                "name_native": native or None,
                "birth_date": birth if isinstance(birth, date) else None,
                "birth_place": birth_place or None,
                "gender": gender,
                "citizenship": citizenship,
                "languages": parse_languages(spoken),
                "italian_level": italian,
                "phone": phone or None,
                "email": email or None,
                "codice_fiscale": cf or None,
                "referral_source": source,
                "district": district,
                "preferred_language": person_lang,
                "guardian_name": guardian or None,
                "vulnerabilities": [{"kind": v, "note": vnote or None} for v in vulnerable],
            }
        )
        with session_scope() as session:
            person = register_person(session, data, actor)
            case = cases.open_case(
                session, person, [target], actor, mediator=mediator or None, interview_language=person_lang
            )
            for purpose, given_now in consents.items():
                if given_now:
                    give_consent(session, person, purpose, person_lang, actor, explained_by=mediator or None)
            agreements.prepare(session, case, person_lang, actor)
            if declared:
                agreements.sign(
                    session,
                    case,
                    actor,
                    how="click",
                    declaration_of_truth=True,
                    informed_of_sample_checks=True,
                    calendar=calendar or None,
                )
            if admit:
                decisions.record_decision(session, case, DecisionKind.ADMISSIBILITY, "ammesso", actor)
                cases.transition(session, case, Action.ADMIT, actor)
            case_id = case.id or 0
    except IVCError as exc:
        show_error(exc, lang)
        return
    except ValueError as exc:
        st.error(t("errors.invalid_input", lang, detail=first_error(exc)))
        return
    advance([case_id], lang)
    st.success(t("intake.saved", lang, id=case_id))
    st.session_state["open_case"] = case_id
