"""The person's room (ivc/ui/person) in Streamlit's AppTest harness: the code sign-in offered on
the start page, the space showing only the person's own records (another id in the address
shows a refusal), consent withdrawn from the space; and every text of the space in the six
languages of the person."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from ivc.auth.roles import Actor, Role
from ivc.case.models import Case
from ivc.case.states import CaseState, DocumentType, Outcome
from ivc.consent import service as consents
from ivc.consent.models import ConsentPurpose
from ivc.i18n import catalog, person_languages
from ivc.person.service import register_person
from ivc.personspace import access
from ivc.personspace.models import RequestKind
from ivc.personspace.service import CREDENTIAL_KINDS

from .helpers import advance_to, person_in, staff

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "ivc" / "ui" / "app.py"
SIX = ("it", "en", "fr", "es", "ar", "uk")
BIRTH = date(1986, 4, 12)


def _space_keys(lang: str) -> dict[str, str]:
    return {k: v for k, v in catalog(lang).items() if k.startswith("person_space.")}


def test_every_text_of_the_space_is_in_the_six_languages() -> None:
    assert set(SIX) <= set(person_languages())
    reference = set(_space_keys("it"))
    steps = set(re.findall(r'return "([a-z_]+)", Role\.', (ROOT / "ivc/case/states.py").read_text(encoding="utf-8")))
    steps |= set(re.findall(r'return \("([a-z_]+)" if', (ROOT / "ivc/case/states.py").read_text(encoding="utf-8")))
    steps |= set(re.findall(r'else "([a-z_]+)"\), Role', (ROOT / "ivc/case/states.py").read_text(encoding="utf-8")))
    used = set()
    for path in (ROOT / "ivc/ui/person").glob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*f?["'](person_space\.[a-z0-9_.]*[a-z0-9_])["']""", path.read_text("utf-8")))
    used |= {f"person_space.states.{s.value}" for s in CaseState}
    used |= {f"person_space.outcomes.{o.value}" for o in Outcome}
    used |= {f"person_space.steps.{s}" for s in steps}
    used |= {f"person_space.who.{r.value}" for r in Role}
    used |= {f"person_space.doctypes.{d.value}" for d in DocumentType}
    used |= {f"person_space.documents.kinds.{k}" for k in CREDENTIAL_KINDS}
    used |= {f"person_space.data.{k.value}" for k in RequestKind}
    used |= {"person_space.data.open", "person_space.data.closed"}
    used |= {f"person_space.errors.{c}" for c in ("code_sign_in_failed", "code_sign_in_locked", "not_yours", "other")}
    assert len(steps) == 18
    assert used - reference == set()
    for lang in SIX:
        texts = _space_keys(lang)
        assert set(texts) == reference, (lang, sorted(reference ^ set(texts)))
        assert all(v.strip() for v in texts.values()), lang
        for purpose in ConsentPurpose:  # the consents are explained in the person's texts
            assert catalog(lang).get(f"person.consent.{purpose.value}.title"), (lang, purpose)
        for key, text in texts.items():  # the same placeholders as Italian
            assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", catalog("it")[key])), (lang, key)
    assert "مساري" in _space_keys("ar").values()


def _app(lang: str | None = None, username: str | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    if lang:
        at.query_params["lang"] = lang
    if username:
        at.session_state["username"] = username
    return at


@pytest.fixture()
def actors(session: Session) -> dict[str, Actor]:
    return staff(session)


@pytest.fixture()
def certified(session: Session, actors: dict[str, Actor]) -> Case:
    return advance_to(session, actors, CaseState.CLOSED)


def test_sign_in_with_the_code_from_the_start_page(session: Session, actors: dict, certified: Case) -> None:
    code = access.issue_code(session, certified.person_id, actors["op3"])
    session.commit()
    at = _app().run()
    at.button(key="signin_person").click().run()
    assert at.header[0].value == "Accedi con il codice personale"
    at.text_input(key="person_code").set_value(code)
    at.date_input(key="person_birth_date").set_value(date(1999, 1, 1))
    at.button[0].click().run()
    assert any("sbagliati" in e.value for e in at.error)
    at.date_input(key="person_birth_date").set_value(BIRTH)
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["username"] == f"person:{certified.person_id}"
    assert at.header[0].value == "Il mio spazio"
    assert any("Amina" in m.value for m in at.markdown)


def test_another_persons_id_in_the_address_shows_nothing_of_theirs(
    session: Session, actors: dict, certified: Case
) -> None:
    other = register_person(session, person_in("3", given_name="Olena", family_name="Koval"), actors["op3"],
                            confirmed_new=True)  # fmt: skip
    access.issue_code(session, certified.person_id, actors["op3"])
    session.commit()
    at = _app("en", f"person:{certified.person_id}")
    at.query_params["persona"] = str(other.id)
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Here you can only see your own data."]
    page = "\n".join(str(x.value) for x in [*at.markdown, *at.header, *at.subheader, *at.caption])
    assert "Olena" not in page and "Koval" not in page and "Amina" not in page


def test_consent_withdrawn_from_the_space_is_withdrawn_at_once(session: Session, actors: dict, certified: Case) -> None:
    from ivc.person.service import get_person

    consents.give_consent(session, get_person(session, certified.person_id), ConsentPurpose.JOB_MATCHING, "ar",
                          actors["op3"], explained_by="med")  # fmt: skip
    access.issue_code(session, certified.person_id, actors["op3"])
    session.commit()
    at = _app("ar", f"person:{certified.person_id}")
    at.query_params["tab"] = "consents"
    at.run()
    assert not at.exception
    at.button(key="person_consent_job_matching").click().run()
    assert not at.exception
    session.expire_all()
    assert consents.active_consents(session, certified.person_id, ConsentPurpose.JOB_MATCHING) == []
    assert at.button(key="person_consent_job_matching").label == catalog("ar")["person_space.consents.give"]


@pytest.mark.parametrize("tab", ["path", "documents", "looked", "data"])
def test_every_tab_renders_in_arabic(session: Session, actors: dict, certified: Case, tab: str) -> None:
    access.issue_code(session, certified.person_id, actors["op3"])
    session.commit()
    at = _app("ar", f"person:{certified.person_id}")
    at.query_params["tab"] = tab
    at.run()
    assert not at.exception, at.exception
    assert at.header[0].value == "مساحتي"
