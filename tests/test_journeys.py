"""Each role's whole job in a real browser (Debian's Chromium, Playwright) against ``ivc ui`` on
the test database, errors, reloads and double clicks included; then the database is checked for
copies, duplicates and statuses the issued documents do not support.

Screenshots of the main screens go to ``IVC_SCREENSHOT_DIR`` when set (``docs/screenshots``)."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from ivc.assessment.models import Assessment
from ivc.auth.models import User
from ivc.auth.service import get_actor, set_password
from ivc.case.models import Case
from ivc.case.states import CaseState, DocumentType
from ivc.consent import service as consents
from ivc.consent.models import ConsentPurpose
from ivc.decision import service as decisions
from ivc.decision.models import DecisionKind
from ivc.document.models import IssuedDocument
from ivc.document.recognition import recognition
from ivc.experience.models import Experience
from ivc.framework.models import text_in
from ivc.matching.models import Vacancy
from ivc.person.models import Person
from ivc.submission.models import FormSubmission

from .browser_support import (
    LONG,
    PASSWORD,
    ROOT,
    chromium,
    click,
    people_in_chromium,
    pick,
    settle,
    shot,
    sign_in,
    sign_out,
    tab,
    ui_server,
)
from .helpers import advance_to, decided_without_document, new_case, staff

pytestmark = pytest.mark.slow
pytest.importorskip("playwright.sync_api")
if not Path("/usr/bin/chromium").exists():
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


@pytest.fixture()
def people(session: Session) -> Iterator[dict[str, str]]:
    actors = staff(session)
    admin = get_actor(session, "admin")
    for user in [*actors, "admin"]:
        set_password(session, user, PASSWORD, admin)
    session.commit()
    yield {u: u for u in actors}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One ``ivc ui`` for the module: it keeps nothing between journeys but the loaded NLP
    (every journey starts from a wiped database, new accounts and a new browser)."""
    with ui_server(tmp_path_factory.mktemp("ui")) as address:
        yield address


@pytest.fixture()
def url(server: str, people: dict[str, str]) -> str:
    return server


def _count(session: Session, model: type, *where: object) -> int:
    return int(session.exec(select(func.count()).select_from(model).where(*where)).one())  # type: ignore[arg-type]


def test_an_operator_takes_a_person_from_intake_to_the_transparency_document(
    session: Session, url: str, tmp_path: Path
) -> None:
    evidence = tmp_path / "attestato.png"
    shutil.copy(ROOT / "docs" / "examples" / "certificato-it-ar.png", evidence)
    with chromium(tmp_path, "operator") as page:
        sign_in(page, url, "op3", "accoglienza")
        page.get_by_role("heading", name="Nuova accoglienza").wait_for()

        # A missing name: the error names the field, and what was typed stays.
        page.get_by_label("Cognome").fill("Tesfaye")
        pick(page, "Genere", "Uomo")
        pick(page, "Cittadinanza", "Eritrea")
        pick(page, "Livello di italiano", "A2")
        pick(page, "Chi ha inviato la persona", "Servizi sociali")
        pick(page, "Qualificazione obiettivo", "LIG-CUC")
        page.get_by_text("Ha ricevuto e capito questa informativa?").click()
        page.get_by_text("La persona ha fatto la dichiarazione").click()
        page.get_by_text("Ammetti subito al servizio").click()
        # A language without its level is not assumed to be the mother tongue: the form says so.
        pick(page, "Lingua 1", "Tigrinya")
        click(page, "Registra l'accoglienza")
        page.get_by_text("Indica il livello di: Tigrinya").wait_for()
        pick(page, "Livello", "Madrelingua", exact=True)
        click(page, "Registra l'accoglienza")
        page.get_by_text("«Nome» è obbligatorio").wait_for()
        assert page.get_by_label("Cognome").input_value() == "Tesfaye"
        assert _count(session, Person) == 0

        # Completed and saved with a double click: one person, one case, and a link to it.
        page.get_by_label("Nome", exact=True).fill("Yonas")
        shot(page, "02-intake", tmp_path)
        page.get_by_role("button", name="Registra l'accoglienza").dblclick()
        settle(page)
        page.get_by_text(re.compile(r"Accoglienza registrata: caso \d+")).wait_for(timeout=LONG)
        session.expire_all()
        assert _count(session, Person, Person.family_name == "Tesfaye") == 1
        person = session.exec(select(Person).where(Person.family_name == "Tesfaye")).one()
        case = session.exec(select(Case).where(Case.person_id == person.id)).one()
        assert person.gender == "M" and person.citizenship == "ER"
        assert person.languages == [{"code": "ti", "level": "native"}]
        assert page.get_by_label("Cognome").input_value() == ""  # a fresh form for the next person
        page.get_by_role("link", name=f"Apri il caso {case.id}").click()
        settle(page)
        assert f"case={case.id}" in page.url

        # Three interview steps, each with its own answer; a new step starts empty.
        tab(page, "Colloquio guidato")
        answers = {
            "Lavoro": ("Cuoco ad Asmara", "Ho lavorato come cuoco: pulivo il pesce e preparavo i primi piatti."),
            "Studi e formazione": ("Corso HACCP", "Ho seguito un corso di igiene alimentare a Genova nel 2023."),
            "Lingue": ("Lingue parlate", "Parlo tigrino e arabo, capisco l'inglese e sto imparando l'italiano."),
        }
        for step, (title, italian) in answers.items():
            page.get_by_text(step, exact=True).click()
            settle(page)
            assert page.get_by_label("Titolo (es. cuoca in un ristorante)").input_value() == ""
            assert page.get_by_label("La traduzione in italiano").input_value() == ""
            page.get_by_label("Titolo (es. cuoca in un ristorante)").fill(title)
            page.get_by_label("Le sue parole, nella sua lingua").fill(italian)
            page.get_by_label("La traduzione in italiano").fill(italian)
            page.get_by_role("button", name="Registra", exact=True).dblclick()
            settle(page)
            page.get_by_text("Registrato.").first.wait_for(timeout=LONG)
        shot(page, "03-interview", tmp_path)

        # An answer corrected in place: the same record, the new title.
        page.get_by_text("Studi e formazione", exact=True).click()
        settle(page)
        page.get_by_text("Corso HACCP").first.click()
        page.get_by_text("Correggi", exact=True).click()
        settle(page)
        page.get_by_label("Titolo (es. cuoca in un ristorante)").nth(1).fill("Corso HACCP di igiene alimentare")
        click(page, "Salva la correzione")
        page.get_by_text("Risposta corretta").wait_for(timeout=LONG)

        # A reload in the middle of a form: still signed in, on the same case and tab; nothing saved.
        page.get_by_text("Competenze digitali", exact=True).click()
        settle(page)
        page.get_by_label("Titolo (es. cuoca in un ristorante)").fill("non salvato")
        page.reload()
        page.get_by_text("Connesso come").wait_for(timeout=LONG)
        settle(page)
        assert f"case={case.id}" in page.url and "tab=interview" in page.url
        assert page.get_by_role("tab", name="Colloquio guidato").get_attribute("aria-selected") == "true"
        # Another interface language keeps the case and the tab open.
        pick(page, "Lingua / Language", "English")
        settle(page)
        page.get_by_role("tab", name="Guided interview").wait_for()
        assert page.get_by_role("tab", name="Guided interview").get_attribute("aria-selected") == "true"
        pick(page, "Lingua / Language", "Italiano")
        settle(page)
        page.get_by_role("tab", name="Colloquio guidato").wait_for()

        # Evidence, then the suggestions.
        tab(page, "Evidenze")
        with page.expect_response(lambda r: "upload_file" in r.url and r.request.method == "PUT", timeout=LONG):
            page.locator('input[type="file"]').first.set_input_files(str(evidence))
        page.get_by_label("Titolo", exact=True).fill("Attestato di servizio")
        pick(page, "Tipo di evidenza", "Dichiarazione del datore di lavoro")
        click(page, "Aggiungi l'evidenza")
        page.get_by_text("Evidenza aggiunta").wait_for(timeout=LONG)
        settle(page)  # the run has finished: what the previous run drew is gone
        shot(page, "04-evidence", tmp_path)
        assert not page.get_by_text("Nessuna evidenza per ora").is_visible()
        tab(page, "Competenze suggerite")
        shot(page, "05-mapping-review", tmp_path)
        # Confirm a competence of the repertory (the transparency document carries those).
        page.locator('[class*="st-key-accept_"] button').first.click()
        settle(page)

        # Issuing asks first and says what nobody reviewed; then the document is there once.
        tab(page, "Documenti")
        click(page, "Rilascia il documento di trasparenza")
        page.get_by_text("non sono state riviste").wait_for()
        page.get_by_role("button", name="Conferma", exact=True).dblclick()
        settle(page)
        page.get_by_text("Codice di verifica").first.wait_for(timeout=LONG)
        shot(page, "06-dossier", tmp_path)
        # The PDF is read from the store when asked for, and it is the issued document.
        with page.expect_download() as download:
            page.get_by_role("button", name="Scarica il PDF").first.click()
        downloaded = Path(download.value.path()).read_bytes()

    session.expire_all()
    kinds = session.exec(select(Experience.kind, Experience.text_it).where(Experience.case_id == case.id)).all()
    assert sorted(k for k, _ in kinds) == ["languages", "training", "work"]
    titles = session.exec(select(Experience.title).where(Experience.case_id == case.id)).all()
    assert "Corso HACCP di igiene alimentare" in titles and "Corso HACCP" not in titles
    assert len({text for _, text in kinds}) == 3  # no answer copied under another step
    assert _count(session, Experience, Experience.title == "non salvato") == 0
    docs = session.exec(select(IssuedDocument).where(IssuedDocument.case_id == case.id)).all()
    assert [d.doc_type for d in docs] == [DocumentType.TRANSPARENCY.value]
    assert hashlib.sha256(downloaded).hexdigest() == docs[0].sha256
    assert session.get(Case, case.id).state == CaseState.TRANSPARENCY_ISSUED.value  # type: ignore[union-attr]
    assert _count(session, FormSubmission, col(FormSubmission.kind) == "intake") == 1


def _choose(page: object, label: str, option: str, nth: int = 0) -> None:
    """Choose ``option`` in the ``nth`` selectbox labelled ``label``."""
    p: Any = page
    p.get_by_label(label, exact=True).nth(nth).click()
    p.keyboard.type(option)
    p.get_by_role("option", name=option, exact=True).first.click()


def _open_case(page: object, url: str, case_id: int, tab_name: str) -> Any:
    p: Any = page
    p.goto(f"{url}/coda?case={case_id}")
    settle(p)
    p.get_by_role("heading", name=re.compile(f"Caso {case_id} ")).wait_for(timeout=LONG)
    tab(p, tab_name)
    return p


def _confirm(page: object, button: str) -> None:
    p: Any = page
    click(p, button)
    p.get_by_role("button", name="Conferma", exact=True).click()
    settle(p)


def test_alfa_validates_changes_a_decision_and_certifies_with_four_eyes(
    session: Session, url: str, tmp_path: Path
) -> None:
    actors = {u: get_actor(session, u) for u in ("op3", "op1", "med", "ev", "es", "alfa", "alfa2", "cpi3", "mon")}
    case = advance_to(session, actors, CaseState.VALIDATION)
    session.commit()
    comps = decisions.competences_in_scope(session, case.id or 0, DecisionKind.VALIDATION)
    labels = [f"{c.code} {text_in(c.title, 'it')}" for c in comps]
    review = "Valutazione e decisioni"
    with people_in_chromium(tmp_path, "alfa", url) as window:
        # The reviewer takes the case: nothing can be decided before an assessment.
        page = _open_case(window("alfa"), url, case.id or 0, review)
        click(page, "Prendi in carico")
        page.get_by_text("In carico a: alfa").wait_for()
        assert page.get_by_text("Nessuna valutazione registrata").count() == len(comps)
        assert page.get_by_role("button", name="Registra le decisioni").count() == 0

        # The assessor first reads the person's own account, then records the assessment (double
        # click: one assessment).
        page = _open_case(window("ev"), url, case.id or 0, "Colloquio guidato")
        page.get_by_text("Il racconto della persona").wait_for()
        page.get_by_text("pulivo il pesce e preparavo il cuscus", exact=False).first.wait_for()
        assert page.get_by_role("button", name="Registra", exact=True).count() == 0  # reads, never records
        page = _open_case(window("ev"), url, case.id or 0, review)
        _choose(page, "Metodo", "Colloquio tecnico")
        for label in labels:
            _choose(page, label, "Positivo")
        page.get_by_role("button", name="Salva", exact=True).dblclick()
        settle(page)
        page.get_by_text("Valutazione registrata").wait_for(timeout=LONG)

        # Decisions, then a changed one: without a reason it is refused and the choice stays.
        page = _open_case(window("alfa"), url, case.id or 0, review)
        for i in range(len(comps)):
            _choose(page, "Decisione", "Validata", i)
        click(page, "Registra le decisioni")
        page.get_by_text("Decisioni registrate").wait_for(timeout=LONG)
        _choose(page, "Decisione", "Non validata", 0)
        click(page, "Registra le decisioni")
        page.get_by_text("motivo").first.wait_for()
        page.get_by_label("Motivo del cambio", exact=False).first.fill("La prova pratica non copre questa competenza")
        click(page, "Registra le decisioni")
        page.get_by_text("Decisioni registrate").wait_for(timeout=LONG)
        shot(page, "07-alfa-decisions", tmp_path)
        _confirm(page, "Rilascia il documento di validazione")
        page.get_by_text("serve l'approvazione di un secondo revisore").first.wait_for(timeout=LONG)
        assert page.get_by_role("button", name="Approva il rilascio").count() == 0  # not their own request

        # The second reviewer reads what they approve, the change and its reason included.
        page = _open_case(window("alfa2"), url, case.id or 0, review)
        page.get_by_text("Decisioni che approvi con il rilascio").wait_for()
        page.get_by_text("La prova pratica non copre questa competenza").first.wait_for()
        shot(page, "08-four-eyes", tmp_path)
        _confirm(page, "Approva il rilascio")
        page.get_by_text("Rilascio approvato").wait_for(timeout=LONG)

        # Certification: queue, exam with its commission, exam results, certificate with four eyes.
        _confirm(page, "Chiedi la certificazione")
        page.get_by_label("Luogo").fill("Genova, via XX Settembre 41")
        page.get_by_label("Presidente della commissione").fill("Maria Rossi")
        _choose(page, "Esperto di valutazione (utente)", "EV (ev)")
        _choose(page, "Esperto di settore (utente)", "ES (es)")
        click(page, "Fissa l'esame")
        page.get_by_text("Esame fissato").wait_for(timeout=LONG)
        page = _open_case(window("es"), url, case.id or 0, review)
        _choose(page, "Metodo", "Prova prestazionale")
        for label in labels[1:]:
            _choose(page, label, "Positivo")
        click(page, "Salva")
        page.get_by_text("Valutazione registrata").wait_for(timeout=LONG)
        page = _open_case(window("alfa"), url, case.id or 0, review)
        for i in range(len(comps) - 1):
            _choose(page, "Decisione", "Certificata", i)
        click(page, "Registra le decisioni")
        page.get_by_text("Decisioni registrate").wait_for(timeout=LONG)
        _confirm(page, "Rilascia il certificato")
        page = _open_case(window("alfa2"), url, case.id or 0, review)
        _confirm(page, "Approva il rilascio")
        page.get_by_text("Rilascio approvato").wait_for(timeout=LONG)

    session.expire_all()
    done = session.get(Case, case.id)
    assert done is not None and done.state == CaseState.CLOSED.value
    assert done.outcome == "certificazione_parziale"
    docs = sorted(d.doc_type for d in session.exec(select(IssuedDocument).where(IssuedDocument.case_id == case.id)))
    assert docs == sorted(t.value for t in DocumentType)
    assert _count(session, Assessment, Assessment.case_id == case.id) == 2  # the double click saved once
    history = decisions.history(session, case.id or 0)
    changed = [d for d in history if d.revoked_at is not None]
    assert len(changed) == 1 and changed[0].outcome == "validata"
    assert changed[0].revocation_reason == "La prova pratica non copre questa competenza"
    recognised = recognition(session, [case.id or 0])[case.id or 0]
    assert {cid for cid, r in recognised.items() if r.level == "certified"} == {c.id for c in comps[1:]}
    assert comps[0].id not in recognised or recognised[comps[0].id].level != "certified"


def test_cpi_sees_what_the_documents_say_and_anyone_checks_a_document_from_its_qr_link(
    session: Session, url: str, tmp_path: Path
) -> None:
    actors = {u: get_actor(session, u) for u in ("op3", "op1", "med", "ev", "es", "alfa", "alfa2", "cpi3", "mon")}
    certified = advance_to(session, actors, CaseState.CLOSED)
    decided = decided_without_document(session, actors)
    for case in (certified, decided):
        person = session.get(Person, case.person_id)
        consents.give_consent(session, person, ConsentPurpose.JOB_MATCHING, "ar", actors["op3"], explained_by="med")
    session.commit()
    certificate = session.exec(
        select(IssuedDocument).where(
            IssuedDocument.case_id == certified.id, IssuedDocument.doc_type == DocumentType.CERTIFICATE.value
        )
    ).one()
    transparency = session.exec(
        select(IssuedDocument).where(
            IssuedDocument.case_id == decided.id, IssuedDocument.doc_type == DocumentType.TRANSPARENCY.value
        )
    ).one()
    with chromium(tmp_path, "cpi") as page:
        sign_in(page, url, "cpi3", "fascicoli")
        page.get_by_label("Qualificazione (codice)").fill("LIG-CUC")
        click(page, "Cerca")
        table = page.get_by_test_id("stDataFrame").first
        table.wait_for()
        _choose(page, "Apri il fascicolo del caso", str(decided.id))
        page.get_by_text("Identificata (messa in trasparenza)").first.wait_for()
        assert page.get_by_text("Validata", exact=True).count() == 0  # decided, but no document issued
        _choose(page, "Apri il fascicolo del caso", str(certified.id))
        page.get_by_text("Certificata", exact=True).first.wait_for()
        shot(page, "09-cpi-dossier", tmp_path)

        page.goto(f"{url}/incrocio")
        settle(page)
        page.get_by_text("Nuova offerta").click()
        page.get_by_label("Riferimento").fill("VAC-T-9")
        page.get_by_label("Titolo", exact=True).fill("Aiuto cuoco")
        page.get_by_label("Datore di lavoro").fill("Trattoria del porto")
        comp = decisions.competences_in_scope(session, certified.id or 0, DecisionKind.VALIDATION)[0]
        page.get_by_label("Competenze richieste", exact=False).fill(comp.code)
        page.get_by_role("button", name="Salva").dblclick()
        settle(page)
        page.get_by_text("Offerta salvata").wait_for(timeout=LONG)
        _choose(page, "Offerta", "VAC-T-9 — Aiuto cuoco (Trattoria del porto)")
        first = page.get_by_test_id("stExpander").nth(1)  # after the new-vacancy form
        first.wait_for()
        assert "Amina" in first.inner_text()
        shot(page, "10-cpi-matching", tmp_path)
        with page.expect_download() as download:
            page.get_by_role("button", name="CSV").click()
        shortlist = Path(download.value.path()).read_text(encoding="utf-8")
        assert "Amina" in shortlist and "(certified)" in shortlist

        # The QR code's link opens the public check with the code and its verdict.
        page.goto(f"{url}/verifica/{certificate.verification_code}")
        settle(page)
        page.get_by_text("Documento valido").wait_for(timeout=LONG)
        page.get_by_text("Competenze certificate").wait_for()
        page.goto(f"{url}/verifica?code={transparency.verification_code}")
        settle(page)
        page.get_by_text("Competenze messe in trasparenza").wait_for(timeout=LONG)
        assert page.get_by_text("Competenze certificate").count() == 0
        shot(page, "11-public-check", tmp_path)

    session.expire_all()
    assert _count(session, Vacancy, Vacancy.reference == "VAC-T-9") == 1


def test_admin_monitoring_and_what_a_role_may_not_do(session: Session, url: str, tmp_path: Path) -> None:
    actors = {u: get_actor(session, u) for u in ("op3", "op1", "med", "ev", "es", "alfa", "alfa2", "cpi3", "mon")}
    advance_to(session, actors, CaseState.CLOSED)
    elsewhere = new_case(session, actors, district="1")
    other = session.get(Person, elsewhere.person_id)
    assert other is not None
    other.given_name, other.family_name = "Fatou", "Diallo"
    session.add(other)
    session.commit()
    with chromium(tmp_path, "admin") as page:
        # An account with a short password: the error names the rule, the form keeps its input.
        sign_in(page, url, "admin", "amministrazione")
        page.get_by_label("Nome utente", exact=True).first.fill("nuova.operatrice")
        page.get_by_label("Nome e cognome").first.fill("Nuova Operatrice")
        pick(page, "Ruolo", "Operatore IVC")
        page.get_by_label("Password", exact=True).first.fill("corta")
        click(page, "Crea")
        page.get_by_text("La password deve avere almeno 10 caratteri").wait_for()
        assert page.get_by_label("Nome utente", exact=True).first.input_value() == "nuova.operatrice"
        page.get_by_label("Password", exact=True).first.fill(PASSWORD)
        page.get_by_role("button", name="Crea").dblclick()
        settle(page)
        page.get_by_text("Utente nuova.operatrice creato").wait_for(timeout=LONG)
        shot(page, "12-admin", tmp_path)
        sign_out(page)

        # Wrong passwords: the rule is said, then for how long the account is locked.
        page.goto(url)
        for _ in range(5):
            page.get_by_label("Nome utente").fill("cpi3")
            page.get_by_role("textbox", name="Password").fill("non è questa")
            click(page, "Accedi")
        page.get_by_text("Account bloccato per troppi tentativi").wait_for()
        page.get_by_text("minuti").first.wait_for()

        # Monitoring: phases in the order of the path, small cells named and not drawn.
        sign_in(page, url, "mon", "monitoraggio")
        page.get_by_role("heading", name="Monitoraggio del programma").wait_for()
        page.get_by_text("meno di 5 persone").first.wait_for()
        shot(page, "13-monitoring", tmp_path)
        assert page.get_by_role("link", name="Casi").count() == 0
        sign_out(page)

        # The operator asks for pages and cases that are not theirs.
        sign_in(page, url, "op1", f"casi?case={elsewhere.id}")
        page.get_by_role("heading", name=re.compile("Fatou Diallo")).wait_for()  # their own district opens
        sign_out(page)
        sign_in(page, url, "op3", f"casi?case={elsewhere.id}")
        assert page.get_by_text("Fatou Diallo").count() == 0  # another district: never shown
        page.goto(f"{url}/coda")
        settle(page)
        assert page.get_by_role("heading", name="Coda di validazione e certificazione").count() == 0

    session.expire_all()
    assert _count(session, User, User.username == "nuova.operatrice") == 1
    locked = session.exec(select(User).where(User.username == "cpi3")).one()
    assert locked.locked_until is not None
