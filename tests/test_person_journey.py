"""The person's own space in a real browser at a phone's viewport (390×844), in Arabic: sign in
with the access code and the date of birth, read the path, download the certificate and its
credential, withdraw the job-matching consent and see who looked (a CPI view made before).
Debian's Chromium driven by Playwright against ``ivc ui`` (tests/browser_support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from ivc.case.states import CaseState
from ivc.consent import service as consents
from ivc.consent.models import ConsentPurpose
from ivc.matching.service import open_dossier
from ivc.person.service import get_person
from ivc.personspace import access

from .browser_support import CHROMIUM, LONG, settle, shot, ui_server
from .helpers import advance_to, staff

pytestmark = pytest.mark.slow
pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with ui_server(tmp_path_factory.mktemp("ui")) as address:
        yield address


def _tab(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("tab", name=name).click()
    settle(page)


def test_a_person_on_a_phone_in_arabic(server: str, session: Session, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    actors = staff(session)
    case = advance_to(session, actors, CaseState.CLOSED)
    person = get_person(session, case.person_id)
    consents.give_consent(session, person, ConsentPurpose.JOB_MATCHING, "ar", actors["op3"], explained_by="med")
    open_dossier(session, actors["cpi3"], case.id or 0)  # a CPI view, before the person looks
    code = access.issue_code(session, case.person_id, actors["op3"])
    session.commit()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ar", accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(60_000)
        try:
            page.goto(f"{server}/?lang=ar")
            settle(page)
            page.get_by_role("button", name="الدخول بالرمز الشخصي").click()
            settle(page)
            page.get_by_role("textbox", name="الرمز الشخصي", exact=True).fill(code)
            # Streamlit's date input is the browser's own (type=date): it takes ISO dates.
            page.locator('[data-testid="stDateInput"] input').first.fill("1986-04-12", force=True)
            settle(page)
            page.get_by_role("button", name="دخول", exact=True).click()
            page.get_by_role("heading", name="مساحتي").wait_for(timeout=LONG)
            page.wait_for_load_state()
            page.get_by_role("heading", name="مساحتي").wait_for(timeout=LONG)
            settle(page)
            assert any(c["name"].endswith("ivc_session") for c in context.cookies())
            main = page.locator('[data-testid="stMain"]')
            assert main.evaluate("e => getComputedStyle(e).direction") == "rtl"
            # Nothing wider than the phone: no sideways scrolling.
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390 + 1
            # The path, in Arabic.
            page.get_by_text("انتهى المسار.").first.wait_for()
            shot(page, "person-space-path-ar-390", tmp_path)

            _tab(page, "وثائقي")
            page.get_by_role("heading", name="الشهادة").wait_for()
            with page.expect_download() as pdf:
                page.get_by_role("button", name="تنزيل ملف PDF").last.click()
            assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF")
            with page.expect_download() as badge:
                page.get_by_role("button", name="Open Badge").last.click()
            assert badge.value.suggested_filename.endswith("-openbadge.json")
            page.get_by_text("رمز التحقّق").first.wait_for()
            page.locator('[data-testid="stImage"] img').last.wait_for()  # the QR code of the short link
            shot(page, "person-space-documents-ar-390", tmp_path)

            _tab(page, "موافقاتي")
            page.get_by_role("button", name="أسحب موافقتي").first.click()
            settle(page)
            page.get_by_text("تم سحب الموافقة").wait_for()
            session.expire_all()
            assert consents.active_consents(session, case.person_id, ConsentPurpose.JOB_MATCHING) == []

            _tab(page, "من اطّلع على ملفي")
            page.get_by_text("مركز التوظيف").first.wait_for()
            page.get_by_text("cpi3").first.wait_for()
            shot(page, "person-space-looked-ar-390", tmp_path)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390 + 1
        except BaseException:
            page.screenshot(path=str(tmp_path / "failure-person-journey.png"), full_page=True)
            print("screenshot:", tmp_path / "failure-person-journey.png")
            raise
        finally:
            browser.close()
