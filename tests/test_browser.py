"""One whole journey in a real browser (Debian's chromium, headless, driven by Playwright) against
a real Streamlit server on the test database: an operator signs in, takes an intake, records an
interview, uploads evidence, accepts a suggestion, issues the transparency dossier and asks for
validation; an ALFA reviewer then takes the case from the queue.

Screenshots of the main screens go to ``IVC_SCREENSHOT_DIR`` (``docs/screenshots`` when the
documentation is refreshed), else to the test's temporary directory."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from ivc.auth.service import get_actor, set_password
from ivc.case.models import Case
from ivc.case.states import CaseState
from ivc.person.models import Person

from .helpers import staff

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "una password lunga"
LONG = 180_000  # ms: the first flow of the server process starts Prefect's local API

pytestmark = pytest.mark.slow

playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    log = (tmp_path / "streamlit.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", str(ROOT / "ivc" / "ui" / "app.py"),
            "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", "--client.toolbarMode", "viewer",
        ],
        cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("streamlit did not start: " + (tmp_path / "streamlit.log").read_text())
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _shot(page: object, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("IVC_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _sign_in(page: object, url: str, username: str) -> None:
    p: Any = page
    p.goto(url)
    p.get_by_label("Nome utente").fill(username)
    p.get_by_role("textbox", name="Password").fill(PASSWORD)
    p.get_by_role("button", name="Accedi").click()
    p.get_by_text("Connesso come").wait_for(timeout=60_000)


def test_operator_journey_then_alfa_takes_the_case(session: Session, server: str, tmp_path: Path) -> None:
    staff(session)
    admin = get_actor(session, "admin")
    for user in ("op3", "alfa"):
        set_password(session, user, PASSWORD, admin)
    session.commit()
    evidence = tmp_path / "attestato.png"
    shutil.copy(ROOT / "docs" / "examples" / "certificato-it-ar.png", evidence)

    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="it-IT")
        page.set_default_timeout(60_000)
        try:
            _journey(page, server, evidence, tmp_path)
        except Exception:
            _shot(page, "failure", tmp_path)  # what the browser showed when the journey broke
            raise
        finally:
            browser.close()

    session.expire_all()
    person = session.exec(select(Person).where(Person.family_name == "Tesfaye")).one()
    case = session.exec(select(Case).where(Case.person_id == person.id)).one()
    assert case.state == CaseState.VALIDATION.value
    assert case.assignee == "alfa"
    from ivc.case.service import issued_documents
    from ivc.claim.service import claims_for_case
    from ivc.evidence.service import evidence_for_case

    assert [d.doc_type for d in issued_documents(session, case.id or 0)] == ["documento_trasparenza"]
    assert any(c.status == "confirmed" and c.reviewed_by == "op3" for c in claims_for_case(session, case.id or 0))
    assert [e.title for e in evidence_for_case(session, case.id or 0)] == ["Attestato di servizio"]


def _journey(page: Any, server: str, evidence: Path, tmp_path: Path) -> None:
    _sign_in(page, server, "op3")
    _shot(page, "01-operator-cases", tmp_path)

    # Intake
    page.get_by_text("Nuova accoglienza").first.click()
    page.get_by_label("Nome", exact=True).fill("Yonas")
    page.get_by_label("Cognome").fill("Tesfaye")
    page.get_by_label("Cittadinanza (codice, es. TN)").fill("ER")
    page.get_by_label("Lingue parlate (codice:livello)").fill("ti:native, ar:B1")
    page.get_by_label("Qualificazione obiettivo").click()
    page.keyboard.type("LIG-CUC ")
    page.keyboard.press("Enter")
    page.get_by_text("Ha ricevuto e capito questa informativa?").click()
    page.get_by_text("La persona ha fatto la dichiarazione").click()
    page.get_by_text("Ammetti subito al servizio").click()
    _shot(page, "02-intake", tmp_path)
    page.get_by_role("button", name="Registra l'accoglienza").click()
    page.get_by_text("Accoglienza registrata").wait_for(timeout=LONG)

    # Guided interview
    page.get_by_text("Casi", exact=True).first.click()
    page.get_by_role("tab", name="Colloquio guidato").click()
    page.get_by_label("Titolo (es. cuoca in un ristorante)").fill("Cuoco in un ristorante ad Asmara")
    page.get_by_label("Lingua delle parole della persona (codice)").fill("ar")
    page.get_by_label("Le sue parole, nella sua lingua").fill("كنت طباخا في مطعم في أسمرة")
    page.get_by_label("La traduzione in italiano").fill(
        "Ho lavorato come cuoco in un ristorante: preparavo i primi piatti, pulivo il pesce "
        "e tenevo in ordine la cucina rispettando le norme igieniche."
    )
    _shot(page, "03-interview", tmp_path)
    page.get_by_role("button", name="Registra", exact=True).click()
    page.get_by_text("Registrato. I suggerimenti").wait_for(timeout=LONG)

    # Evidence upload
    page.get_by_role("tab", name="Evidenze").click()
    # The file travels to the server on its own request: wait for it before submitting the form.
    with page.expect_response(lambda r: "upload_file" in r.url and r.request.method == "PUT", timeout=LONG):
        page.locator('input[type="file"]').first.set_input_files(str(evidence))
    page.get_by_label("Titolo", exact=True).fill("Attestato di servizio")
    page.get_by_role("button", name="Aggiungi l'evidenza").click()
    page.get_by_text("Evidenza aggiunta").wait_for(timeout=LONG)
    _shot(page, "04-evidence", tmp_path)

    # Mapping review: accept the first suggestion
    page.get_by_role("tab", name="Competenze suggerite").click()
    page.get_by_text("Da rivedere").wait_for()
    _shot(page, "05-mapping-review", tmp_path)
    page.get_by_role("button", name="Conferma").first.click()
    page.get_by_text("Competenze già riviste").wait_for(timeout=LONG)

    # Transparency dossier
    page.get_by_role("tab", name="Documenti").click()
    page.get_by_role("button", name="Rilascia il documento di trasparenza").click()
    page.get_by_text("Codice di verifica").first.wait_for(timeout=LONG)
    page.get_by_role("button", name="Rilascia il documento di trasparenza").wait_for(state="hidden", timeout=LONG)
    page.get_by_role("img").first.wait_for(timeout=LONG)  # the first page of the dossier, as a preview
    _shot(page, "06-dossier", tmp_path)

    # Ask for validation, then hand over to ALFA
    page.get_by_role("tab", name="Panoramica").click()
    page.get_by_role("button", name="Chiedi la validazione").click()
    page.get_by_text("Fatto.", exact=True).wait_for(timeout=LONG)
    page.get_by_role("button", name="Esci").click()

    _sign_in(page, server, "alfa")
    page.get_by_text("Coda ALFA").first.click()
    page.get_by_text("Coda di validazione e certificazione").wait_for()
    page.get_by_role("heading", name=re.compile("Yonas Tesfaye")).wait_for()
    page.get_by_role("tab", name="Valutazione e decisioni").click()
    page.get_by_role("button", name="Prendi in carico").click()
    page.get_by_text("In carico a: alfa").wait_for(timeout=LONG)
    _shot(page, "07-alfa-queue", tmp_path)
