"""The Streamlit app through Streamlit's own test harness: sign-in, every page for every role,
and the main work of each role (intake, interview, mapping review, four-eyes issuing, CPI search,
administration) on the real database and flows."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from ivc.auth.models import User
from ivc.auth.roles import Role
from ivc.auth.service import get_actor, set_password
from ivc.case import service as cases
from ivc.case.models import Case
from ivc.case.states import Action, CaseState
from ivc.consent import service as consents
from ivc.consent.models import ConsentPurpose, ConsentRecord
from ivc.person.models import Person
from ivc.person.service import get_person, register_person
from ivc.ui.navigation import PAGES, pages_for

from .helpers import advance_to, new_case, staff

APP = Path(__file__).resolve().parents[1] / "ivc" / "ui" / "app.py"
PASSWORD = "una password lunga"


def _app(username: str | None = None, lang: str | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    if username:
        at.session_state["username"] = username
    if lang:
        at.session_state["lang"] = lang
    return at


def _page(at: AppTest, page: str) -> AppTest:
    at.session_state["goto"] = page
    return at.run()


def _key(at: AppTest, scope: str, field: str) -> str:
    """The widget key of ``field`` in the current rendering of the form ``scope`` (it moves on
    after each successful save, so the next rendering starts empty)."""
    gen = at.session_state.get(f"_form_gen:{scope}", 0)
    return f"{scope}:{gen}:{field}"


def _open(at: AppTest, page: str, case_id: int, tab: str | None = None) -> AppTest:
    """A page with a case open (``?case=ID``) and, optionally, one of its tabs."""
    at.session_state["_url_case"] = case_id
    if tab:
        at.session_state["_url_tab"] = tab
    return _page(at, page)


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader]
    parts += [i.value for i in at.info] + [w.value for w in at.warning] + [e.value for e in at.error]
    return "\n".join(str(p) for p in parts)


def test_sign_in_with_a_password_and_a_wrong_one_is_refused(session: Session) -> None:
    staff(session)
    set_password(session, "op3", PASSWORD, get_actor(session, "admin"))
    session.commit()
    at = _app().run()
    assert at.header[0].value == "Accedi"
    at.text_input(key="signin_username").set_value("op3")
    at.text_input(key="signin_password").set_value("sbagliata sbagliata")
    at.button[0].click().run()
    assert any("errati" in e.value for e in at.error)
    at.text_input(key="signin_password").set_value(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["username"] == "op3"
    assert at.header[0].value == "Casi"


@pytest.mark.parametrize("username", ["op3", "med", "ev", "alfa", "cpi3", "mon", "admin"], ids=lambda u: u)
def test_every_page_of_every_role_renders(session: Session, username: str) -> None:
    actors = staff(session)
    advance_to(session, actors, CaseState.TRANSPARENCY_ISSUED)
    advance_to(session, actors, CaseState.VALIDATION)
    session.commit()
    pages = pages_for(get_actor(session, username))
    assert "sign_in" not in pages and "verify" in pages
    at = _app(username).run()
    for page in pages:
        _page(at, page)
        assert not at.exception, (page, at.exception)
        assert at.header, page
    hidden = set(PAGES) - set(pages)
    expected_hidden = {
        "op3": {"queue", "dossiers", "matching", "monitoring", "admin"},
        "med": {"intake", "queue", "dossiers", "matching", "monitoring", "admin"},
        "ev": {"intake", "dossiers", "matching", "monitoring", "admin"},
        "alfa": {"intake", "dossiers", "matching", "admin"},
        "cpi3": {"cases", "intake", "queue", "monitoring", "admin"},
        "mon": {"cases", "intake", "queue", "dossiers", "matching", "admin"},
        "admin": {"queue"},
    }[username] | {"person"}  # the person's own space, for people signed in with their code
    assert hidden == expected_hidden


def test_a_page_the_role_lacks_is_not_reachable_even_by_forcing_it(session: Session) -> None:
    staff(session)
    session.commit()
    at = _app("mon")
    at.session_state["goto"] = "cases"
    at.run()
    assert not at.exception
    assert at.header[0].value == "Monitoraggio del programma"  # sent back to a page the role has


def test_operator_sees_only_their_district_and_the_case_workspace(session: Session) -> None:
    actors = staff(session)
    mine = advance_to(session, actors, CaseState.TRANSPARENCY_ISSUED)
    new_case(session, actors, district="1")
    session.commit()
    at = _open(_app("op3"), "cases", mine.id or 0)
    assert list(at.dataframe[0].value["Caso"]) == [mine.id]
    assert "Ben Salah" in at.subheader[0].value
    labels = [tab.label for tab in at.tabs]
    assert labels == [
        "Panoramica",
        "Colloquio guidato",
        "Evidenze",
        "Competenze suggerite",
        "Documenti",
        "Corsi e integrazione",
    ]
    timeline = at.table[0].value
    assert list(timeline["Stato"]) == [
        "Accoglienza e patto di servizio",
        "Individuazione",
        "Documento di trasparenza rilasciato",
    ]
    assert any(b.label == "Chiedi la validazione" for b in at.button)


def test_intake_records_person_consent_in_their_language_and_admits(session: Session) -> None:
    staff(session)
    session.commit()
    at = _app("op3")
    at.session_state["intake_lang"] = "ar"
    _page(at, "intake")
    assert not at.exception
    assert "الخدمة" in _texts(at) or any('dir="rtl"' in m.value for m in at.markdown)  # Arabic, right to left
    at.text_input(key=_key(at, "intake", "given")).set_value("Yonas")
    at.text_input(key=_key(at, "intake", "family")).set_value("Tesfaye")
    at.selectbox(key=_key(at, "intake", "gender")).set_value("M")
    at.selectbox(key=_key(at, "intake", "citizenship")).set_value("ER")
    at.selectbox(key=_key(at, "intake", "italian")).set_value("A1")
    at.selectbox(key=_key(at, "intake", "source")).set_value("social_services")
    at.selectbox(key=_key(at, "intake", "target")).set_value("LIG-CUC")
    at.selectbox(key=_key(at, "intake", "mediator")).set_value("med")
    at.checkbox(key=_key(at, "intake", "consent_ivc_service")).check()
    at.checkbox(key=_key(at, "intake", "consent_job_matching")).check()
    at.checkbox(key=_key(at, "intake", "declared")).check()
    at.checkbox(key=_key(at, "intake", "admit")).check()
    next(b for b in at.button if b.label == "Registra l'accoglienza").click().run()
    assert not at.exception, at.exception
    assert any("Accoglienza registrata" in s.value for s in at.success), _texts(at)
    person = session.exec(select(Person).where(Person.family_name == "Tesfaye")).one()
    case = session.exec(select(Case).where(Case.person_id == person.id)).one()
    assert case.state == CaseState.IDENTIFICATION.value and case.mediator == "med"
    given = session.exec(select(ConsentRecord).where(ConsentRecord.person_id == person.id)).all()
    assert {c.purpose for c in given} == {"ivc_service", "job_matching"}
    assert {(c.language, c.explained_by) for c in given} == {("ar", "med")}


def test_intake_warns_of_a_likely_existing_person_and_keeps_what_was_typed(session: Session) -> None:
    from datetime import date

    from .helpers import person_in

    actors = staff(session)
    register_person(session, person_in("3"), actors["op3"])  # Amina Ben Salah, born 12/04/1986
    session.commit()
    at = _page(_app("op3"), "intake")
    at.text_input(key=_key(at, "intake", "given")).set_value("amina")
    at.text_input(key=_key(at, "intake", "family")).set_value("BEN SALAH")
    at.date_input(key=_key(at, "intake", "birth")).set_value(date(1986, 4, 12))
    at.selectbox(key=_key(at, "intake", "gender")).set_value("F")
    at.selectbox(key=_key(at, "intake", "citizenship")).set_value("TN")
    at.selectbox(key=_key(at, "intake", "italian")).set_value("A2")
    at.selectbox(key=_key(at, "intake", "source")).set_value("cpi")
    at.selectbox(key=_key(at, "intake", "target")).set_value("LIG-CUC")
    at.checkbox(key=_key(at, "intake", "consent_ivc_service")).check()
    next(b for b in at.button if b.label == "Registra l'accoglienza").click().run()
    assert not at.exception, at.exception
    assert any("già registrata" in w.value for w in at.warning)  # shown before a second record is made
    assert len(session.exec(select(Person)).all()) == 1
    assert at.text_input(key=_key(at, "intake", "family")).value == "BEN SALAH"  # nothing typed is lost
    at.checkbox(key=_key(at, "intake", "different")).check()
    next(b for b in at.button if b.label == "Registra l'accoglienza").click().run()
    assert not at.exception, at.exception
    session.expire_all()
    assert len(session.exec(select(Person)).all()) == 2  # the operator confirmed a different person


def test_intake_without_the_privacy_notice_is_refused_and_nothing_is_stored(session: Session) -> None:
    staff(session)
    session.commit()
    at = _page(_app("op3"), "intake")
    at.text_input(key=_key(at, "intake", "given")).set_value("Nadia")
    at.text_input(key=_key(at, "intake", "family")).set_value("Haddou")
    at.selectbox(key=_key(at, "intake", "citizenship")).set_value("MA")
    next(b for b in at.button if b.label == "Registra l'accoglienza").click().run()
    assert any("informativa" in e.value for e in at.error)
    assert session.exec(select(Person).where(Person.family_name == "Haddou")).first() is None


def test_guided_interview_then_a_suggestion_is_accepted(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    session.commit()
    at = _open(_app("op3"), "cases", case.id or 0, "Colloquio guidato")
    assert len(at.radio(key=f"step:{case.id}").options) == 6  # the six steps of the guide
    form = f"interview:{case.id}:work"
    at.text_input(key=_key(at, form, "title")).set_value("Aiuto cuoca in una mensa")
    at.selectbox(key=_key(at, form, "language")).set_value("ar")
    at.text_area(key=_key(at, form, "original")).set_value("كنت أطبخ الكسكسي وأنظف السمك في المطبخ")
    at.text_area(key=_key(at, form, "italian")).set_value(
        "Preparavo il cuscus, pulivo e porzionavo il pesce, lavavo le stoviglie e tenevo in ordine la cucina."
    )
    next(b for b in at.button if b.label == "Registra").click().run()
    assert not at.exception, at.exception
    at.session_state["_url_tab"] = "Competenze suggerite"
    at.run()
    accept = [b for b in at.button if b.key and b.key.startswith("accept_")]
    assert accept, "the interview text produced competence suggestions"
    assert any("<mark>" in m.value for m in at.markdown)  # the supporting words are highlighted
    claim_id = int(accept[0].key.split("_")[1])
    accept[0].click().run()
    assert not at.exception
    from ivc.claim.models import CompetenceClaim

    session.expire_all()
    claim = session.get(CompetenceClaim, claim_id)
    assert claim is not None and claim.status == "confirmed" and claim.reviewed_by == "op3"


def test_four_eyes_the_requester_cannot_approve_a_colleague_can(session: Session) -> None:
    from datetime import date, timedelta

    from ivc.assessment import service as assessments
    from ivc.assessment.models import AssessmentMethod, AssessmentPhase, ResultOutcome
    from ivc.decision import service as decisions
    from ivc.decision.models import DecisionKind

    from .helpers import target_competences

    actors = staff(session)
    case = advance_to(session, actors, CaseState.VALIDATION)
    comps = target_competences(session, case)
    assessments.record_assessment(
        session,
        case,
        phase=AssessmentPhase.VALIDATION,
        method=AssessmentMethod.TECHNICAL_INTERVIEW,
        held_on=date.today() - timedelta(days=1),
        results={c.id or 0: ResultOutcome.POSITIVE for c in comps},
        actor=actors["ev"],
    )
    for c in comps:
        decisions.record_decision(
            session, case, DecisionKind.VALIDATION, "validata", actors["alfa"], competence_id=c.id
        )
    cases.request_action(session, case, Action.ISSUE_VALIDATION, actors["alfa"])
    session.commit()
    review = "Valutazione e decisioni"
    mine = _open(_app("alfa"), "queue", case.id or 0, review)
    assert not mine.exception
    assert "in attesa" in str(mine.dataframe[0].value["Secondo revisore"].tolist())
    assert any("collega" in c.value for c in mine.caption)
    assert not [b for b in mine.button if b.key == f"approve:{case.id}"]
    other = _open(_app("alfa2"), "queue", case.id or 0, review)
    assert any("Decisioni che approvi" in m.value for m in other.markdown)  # what is approved is shown
    next(b for b in other.button if b.key == f"approve:{case.id}").click().run()
    next(b for b in other.button if b.key == f"approve:{case.id}:yes").click().run()  # confirmed
    assert not other.exception, other.exception
    session.expire_all()
    done = cases.get_case(session, case.id or 0)
    assert done.state == CaseState.VALIDATION_ISSUED.value
    assert [d.doc_type for d in cases.issued_documents(session, case.id or 0)][-1] == "documento_validazione"


def test_cpi_dossier_search_shows_only_consented_people(session: Session) -> None:
    actors = staff(session)
    consenting = advance_to(session, actors, CaseState.TRANSPARENCY_ISSUED)
    consents.give_consent(
        session, get_person(session, consenting.person_id), ConsentPurpose.JOB_MATCHING, "ar", actors["op3"]
    )
    advance_to(session, actors, CaseState.TRANSPARENCY_ISSUED)  # same name, no consent
    session.commit()
    at = _page(_app("cpi3"), "dossiers")
    assert not at.exception
    assert list(at.dataframe[0].value["Caso"]) == [consenting.id]
    at.selectbox(key="ds_open").set_value(str(consenting.id)).run()
    assert not at.exception
    assert "Identificata" in str(at.table[0].value.to_dict())  # what the transparency document says


def test_admin_creates_a_user_who_can_then_sign_in(session: Session) -> None:
    staff(session)
    session.commit()
    at = _page(_app("admin"), "admin")
    at.text_input(key=_key(at, "new_user", "username")).set_value("nuova.operatrice")
    at.text_input(key=_key(at, "new_user", "name")).set_value("Nuova Operatrice")
    at.selectbox(key=_key(at, "new_user", "role")).set_value("operator")
    at.multiselect(key=_key(at, "new_user", "districts")).set_value(["2"])
    at.text_input(key=_key(at, "new_user", "password")).set_value(PASSWORD)
    next(b for b in at.button if b.label == "Crea").click().run()
    assert not at.exception, at.exception
    user = session.exec(select(User).where(User.username == "nuova.operatrice")).one()
    assert user.role == Role.OPERATOR.value and user.districts == ["2"] and user.password_hash
    # Where each account works, as the services decide it: never "all" for someone who sees nothing.
    where = dict(zip(at.dataframe[0].value["Nome utente"], at.dataframe[0].value["Distretti"], strict=True))
    assert where["nuova.operatrice"] == "2" and where["alfa"] == "Tutta la regione"
    assert where["mon"] == "Nessuno: non vede casi"


def test_the_interface_speaks_english_too(session: Session) -> None:
    actors = staff(session)
    new_case(session, actors, district="1")
    session.commit()
    at = _page(_app("op3", lang="en"), "cases")
    assert not at.exception
    assert at.title[0].value.startswith("ivc — Recognised")
    assert any("No case is visible" in i.value for i in at.info)


def test_monitoring_dashboard_draws_charts(session: Session) -> None:
    actors = staff(session)
    advance_to(session, actors, CaseState.CLOSED)
    session.commit()
    at = _page(_app("mon"), "monitoring")
    assert not at.exception
    assert at.header[0].value == "Monitoraggio del programma"
    # One person: every count is under the small-cell threshold, so it is named, never drawn as 0;
    # the median days per phase are not counts of people and are drawn.
    assert at.get("vega_lite_chart")
    assert any("meno di 5 persone" in c.value for c in at.caption)
    assert at.dataframe[0].value["Codice"].tolist()[0] == "O.PARTICIPANTS"
    assert {"O.LANGUAGE_COURSES", "R.CEFR_IMPROVED", "R.INTEGRATION_HELPED"} <= set(at.dataframe[0].value["Codice"])
    at.selectbox(key="mon_indicator").set_value("R.RECOGNITION_APPLICATIONS")
    at.selectbox(key="mon_breakdown").set_value("citizenship").run()
    assert not at.exception


def test_operator_records_a_course_a_level_and_the_integration_answer(session: Session) -> None:
    from ivc.participation.models import IntegrationFeedback, LanguageLevel, SupportActivity

    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    person = get_person(session, case.person_id)
    person.preferred_language = "ar"
    session.add(person)
    session.commit()
    at = _open(_app("op3"), "cases", case.id or 0, "Corsi e integrazione")
    assert not at.exception
    # The question is put to the person in Arabic, right to left; the operator reads the Italian.
    assert any('dir="rtl"' in m.value and "إيطاليا" in m.value for m in at.markdown)
    form = f"activity:{case.id}"
    at.selectbox(key=_key(at, form, "kind")).set_value("language_course")
    at.text_input(key=_key(at, form, "provider")).set_value("CPIA Genova Centro")
    at.text_input(key=_key(at, form, "title")).set_value("Italiano A2")
    next(b for b in at.button if b.label == "Registra l'attività").click().run()
    assert not at.exception, at.exception
    at.selectbox(key=f"pl_level_{case.person_id}").set_value("A2")
    at.selectbox(key=f"pl_source_{case.person_id}").set_value("course_exam")
    next(b for b in at.button if b.label == "Registra il livello").click().run()
    at.radio(key=f"pfb_answer_{case.id}").set_value("helped")
    next(b for b in at.button if b.label == "Registra la risposta").click().run()
    assert not at.exception, at.exception
    session.expire_all()
    (course,) = session.exec(select(SupportActivity).where(SupportActivity.person_id == case.person_id)).all()
    assert (course.kind, course.provider, course.created_by) == ("language_course", "CPIA Genova Centro", "op3")
    assert [lv.level for lv in session.exec(select(LanguageLevel)).all()] == ["A2"]
    (answer,) = session.exec(select(IntegrationFeedback)).all()
    assert (answer.answer, answer.asked_in) == ("helped", "ar")
    # An empty provider is refused with the field named, and nothing is added.
    next(b for b in at.button if b.label == "Registra l'attività").click().run()
    assert any("«Ente (es. CPIA Genova Centro)»" in e.value for e in at.error), [e.value for e in at.error]
    assert len(session.exec(select(SupportActivity)).all()) == 1


def test_cpi_advisor_adds_a_vacancy_and_sees_only_consented_people(session: Session) -> None:
    from .helpers import target_competences

    actors = staff(session)
    case = advance_to(session, actors, CaseState.CLOSED)
    consents.give_consent(
        session, get_person(session, case.person_id), ConsentPurpose.JOB_MATCHING, "ar", actors["op3"]
    )
    advance_to(session, actors, CaseState.CLOSED)  # a second person, without consent
    skills = "\n".join(c.code for c in target_competences(session, case)[:2])
    session.commit()
    at = _page(_app("cpi3"), "matching")
    assert any("Nessuna offerta" in i.value for i in at.info)
    at.text_input(key=_key(at, "vacancy", "reference")).set_value("VAC-UI-1")
    at.text_input(key=_key(at, "vacancy", "title")).set_value("Aiuto cuoco")
    at.text_input(key=_key(at, "vacancy", "employer")).set_value("Trattoria del porto")
    at.text_area(key=_key(at, "vacancy", "skills")).set_value(skills)
    next(b for b in at.button if b.label == "Salva").click().run()
    assert not at.exception
    assert any("salvata" in s.value for s in at.success)
    names = [e.label for e in at.expander if "Ben Salah" in e.label]
    assert len(names) == 1  # only the consenting person


def test_repeated_wrong_passwords_in_the_interface_lock_the_account(session: Session) -> None:
    staff(session)
    set_password(session, "op3", PASSWORD, get_actor(session, "admin"))
    session.commit()
    at = _app().run()
    for _ in range(5):
        at.text_input(key="signin_username").set_value("op3")
        at.text_input(key="signin_password").set_value("tentativo sbagliato")
        at.button[0].click().run()
    at.text_input(key="signin_password").set_value(PASSWORD)
    at.button[0].click().run()
    assert "username" not in at.session_state  # locked: even the right password is refused for a while
    session.expire_all()
    user = session.exec(select(User).where(User.username == "op3")).one()
    assert user.locked_until is not None


def test_alfa_queue_shows_age_against_the_service_level_and_filters_late_cases(session: Session) -> None:
    from datetime import timedelta

    from ivc.database.core import utcnow

    actors = staff(session)
    old = advance_to(session, actors, CaseState.VALIDATION)
    fresh = advance_to(session, actors, CaseState.VALIDATION)
    old.state_entered_at = utcnow() - timedelta(days=40)  # service level for validation: 30 days
    session.add(old)
    session.commit()
    at = _page(_app("alfa"), "queue")
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["Caso"]) == [old.id, fresh.id]  # longest waiting first
    assert list(table["In ritardo"]) == ["⚠", ""]
    assert any("oltre il livello di servizio" in w.value for w in at.warning)
    at.toggle(key="q_only_late").set_value(True).run()
    assert list(at.dataframe[0].value["Caso"]) == [old.id]
    at.selectbox(key="q_who").set_value("unassigned").run()
    assert list(at.dataframe[0].value["Caso"]) == [old.id]


def test_district_pickers_follow_the_territories_in_force(session: Session) -> None:
    """A district the reform closes leaves the pickers; a new one appears, with no code change."""
    from datetime import date, timedelta

    from ivc.territory.models import Territory

    staff(session)
    closed = session.get(Territory, "5")
    assert closed is not None
    closed.valid_to = date.today() - timedelta(days=1)
    session.add(closed)
    session.add(Territory(code="6", name="Tigullio", lead_municipality="Chiavari", valid_from=date.today()))
    session.commit()
    at = _page(_app("alfa"), "queue")
    assert not at.exception
    assert list(at.selectbox(key="q_district").options)[1:] == [
        "1 · Imperiese",
        "2 · Savonese",
        "3 · Genovese",
        "4 · Chiavarese",
        "6 · Tigullio",
    ]
    at = _page(_app("admin"), "admin")
    assert not at.exception
    assert list(at.multiselect(key=_key(at, "new_user", "districts")).options) == ["1", "2", "3", "4", "6"]
