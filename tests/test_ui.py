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
