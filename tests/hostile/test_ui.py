"""The hostile strings through the web interface (Streamlit's test harness): the intake form,
the CPI dossier search and the public verification page. Every case must end in a clear message
or a harmless store, never in an exception on the page."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from ivc.person.models import Person

from ..helpers import staff
from . import TALLY
from .corpus import STRINGS

APP = Path(__file__).resolve().parents[2] / "ivc" / "ui" / "app.py"


def _typeable(value: str) -> bool:
    """A browser sends UTF-8: lone surrogates cannot reach the page (the services get them in
    tests/hostile/test_services.py)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


BROWSER_STRINGS = [(label, value) for label, value in STRINGS if _typeable(value)]


def _app(username: str | None, page: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    if username:
        at.session_state["username"] = username
    at.session_state["goto"] = page
    return at.run()


def _judge(at: AppTest, name: str, failures: list[str]) -> None:
    TALLY.tried += 1
    if at.exception:
        failures.append(f"{name}: the page raised {at.exception[0].message[:200]}")


def test_hostile_strings_in_the_intake_form(session: Session) -> None:
    staff(session)
    session.commit()
    at = _app("op3", "intake")
    failures: list[str] = []
    for label, value in BROWSER_STRINGS:
        gen = at.session_state.get("_form_gen:intake", 0)
        at.text_input(key=f"intake:{gen}:given").set_value(value[:200])
        at.text_input(key=f"intake:{gen}:family").set_value(value[:200])
        at.text_input(key=f"intake:{gen}:native").set_value(value[:400])
        at.text_input(key=f"intake:{gen}:birth_place").set_value(value[:200])
        at.selectbox(key=f"intake:{gen}:gender").set_value("X")
        at.selectbox(key=f"intake:{gen}:citizenship").set_value("ER")
        at.selectbox(key=f"intake:{gen}:italian").set_value("A1")
        at.selectbox(key=f"intake:{gen}:source").set_value("cpi")
        at.selectbox(key=f"intake:{gen}:target").set_value("LIG-CUC")
        at.checkbox(key=f"intake:{gen}:consent_ivc_service").check()
        next(b for b in at.button if b.label == "Registra l'accoglienza").click().run()
        _judge(at, f"intake {label}", failures)
        if not (at.error or at.success):
            failures.append(f"intake {label}: neither an error nor a confirmation")
    stored = session.exec(select(Person)).all()
    for person in stored:  # whatever was stored carries no control characters into the record
        if any(ord(ch) < 32 for ch in person.family_name + person.given_name):
            failures.append(f"intake stored a control character: {person.family_name!r}")
    TALLY.failures += len(failures)
    assert failures == []


def test_hostile_strings_in_the_dossier_search_and_verification(session: Session) -> None:
    staff(session)
    session.commit()
    search = _app("cpi3", "dossiers")
    verify = _app(None, "verify")
    failures: list[str] = []
    for label, value in BROWSER_STRINGS:
        search.text_input(key="ds_skill").set_value(value[:200])
        next(b for b in search.button if b.label == "Cerca").click().run()
        _judge(search, f"dossier search {label}", failures)
        verify.text_input(key="_url_code").set_value(value[:40]).run()
        _judge(verify, f"verification code {label}", failures)
    TALLY.failures += len(failures)
    assert failures == []
