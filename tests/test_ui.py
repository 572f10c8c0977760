"""The Streamlit app through Streamlit's own test harness: scoped case list and a case timeline."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from ivc.case.states import CaseState

from .helpers import advance_to, new_case, staff

APP = Path(__file__).resolve().parents[1] / "ivc" / "ui" / "app.py"


def _app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=60)


def test_an_operator_sees_only_cases_of_their_district_and_opens_a_timeline(session: Session) -> None:
    actors = staff(session)
    mine = advance_to(session, actors, CaseState.TRANSPARENCY_ISSUED)
    new_case(session, actors, district="1")
    session.commit()
    at = _app().run()
    assert not at.exception
    at.sidebar.selectbox(key="user").set_value("op3").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["Caso"]) == [mine.id]
    assert at.selectbox(key="case_id").value == mine.id
    assert "Ben Salah" in at.header[0].value
    timeline = at.table[0].value
    assert list(timeline["Stato"]) == [
        "Accoglienza e patto di servizio",
        "Individuazione",
        "Documento di trasparenza rilasciato",
    ]


def test_the_interface_speaks_english_too(session: Session) -> None:
    actors = staff(session)
    new_case(session, actors, district="1")
    session.commit()
    at = _app().run()
    at.sidebar.selectbox(key="lang").set_value("en").run()
    at.sidebar.selectbox(key="user").set_value("op3").run()
    assert not at.exception
    assert at.title[0].value.startswith("ivc — Recognised")
    assert any("No case is visible" in i.value for i in at.info)


def test_monitoring_dashboard_shows_charts_for_monitoring_and_nothing_for_operators(session: Session) -> None:
    actors = staff(session)
    advance_to(session, actors, CaseState.CLOSED)
    session.commit()
    at = _app().run()
    at.sidebar.radio(key="page").set_value("monitoring").run()
    at.sidebar.selectbox(key="user").set_value("mon").run()
    assert not at.exception
    assert at.header[0].value == "Monitoraggio del programma"
    assert len(at.get("vega_lite_chart")) == 2  # funnel and median days, drawn as charts
    assert at.dataframe[0].value["code"].tolist()[0] == "O.PARTICIPANTS"
    at.sidebar.selectbox(key="user").set_value("op3").run()
    assert any("non vede" in w.value for w in at.warning)


def test_cpi_advisor_adds_a_vacancy_and_sees_only_consented_people(session: Session) -> None:
    from ivc.consent import service as consents
    from ivc.consent.models import ConsentPurpose
    from ivc.person.service import get_person

    from .helpers import target_competences

    actors = staff(session)
    case = advance_to(session, actors, CaseState.CLOSED)
    consents.give_consent(
        session, get_person(session, case.person_id), ConsentPurpose.JOB_MATCHING, "ar", actors["op3"]
    )
    advance_to(session, actors, CaseState.CLOSED)  # a second person, without consent
    skills = "\n".join(c.code for c in target_competences(session, case)[:2])
    session.commit()
    at = _app().run()
    at.sidebar.radio(key="page").set_value("matching").run()
    at.sidebar.selectbox(key="user").set_value("cpi3").run()
    assert any("Nessuna offerta" in i.value for i in at.info)
    at.text_input[0].set_value("VAC-UI-1")
    at.text_input[1].set_value("Aiuto cuoco")
    at.text_input[2].set_value("Trattoria del porto")
    at.text_area[0].set_value(skills)
    at.button[0].click().run()
    assert not at.exception
    assert any("salvata" in s.value for s in at.success)
    names = [e.label for e in at.expander if "Ben Salah" in e.label]
    assert len(names) == 1  # only the consenting person
