"""Documents that read like acts of a public administration: every minimum element of
``ivc/document/elements.py`` printed under its label on each document type, codes by their label,
dates dd/mm/yyyy, the commission by name and role, a signature block (read back from the PDF)."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlmodel import Session

from ivc.case import service as cases
from ivc.case.states import CaseState, DocumentType
from ivc.document.elements import LABELS, REQUIRED
from ivc.document.models import IssuedDocument
from ivc.document.render import render_pdf
from ivc.document.wording import ada, code, day, label, repertory, texts
from ivc.evidence.storage import get_store
from ivc.framework.models import text_in

from .helpers import advance_to, staff


@pytest.fixture()
def issued(session: Session) -> list[IssuedDocument]:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.CLOSED)
    session.commit()
    return cases.issued_documents(session, case.id or 0)


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def _values(element: str, p: dict) -> list[str]:  # type: ignore[type-arg]
    """What the document must print for ``element`` of payload ``p``, as it prints it."""
    holder, act = p["holder"], p["ente_titolato"]["authorisation_act"]
    comps, quals = p["competences"], p["qualifications"]
    table = {
        "holder.given_name": [holder["given_name"]],
        "holder.family_name": [holder["family_name"]],
        "holder.birth_date": [day(holder.get("birth_date"))],
        "holder.birth_place": [holder.get("birth_place") or ""],
        "ente_titolare.name": [p["ente_titolare"]["name"]],
        "ente_titolato.name": [p["ente_titolato"]["name"]],
        "ente_titolato.authorisation_act.number": [act["number"]],
        "ente_titolato.authorisation_act.date": [day(act["date"])],
        "competences": [c["code"] for c in comps],
        "competences[].title": [text_in(c["title"], "it") for c in comps],
        "competences[].repertory": [repertory(p["framework"])],
        "competences[].qualification": [c["qualification"] for c in comps],
        "competences[].learned": [
            x
            for c in comps
            for e in c["learned"]
            for x in (e["what"], code("learning_contexts", e["learning_context"]))
        ],
        "competences[].assessed": [
            x for c in comps for a in c["assessed"] for x in (code("methods", a["method"]), day(a.get("date")))
        ],
        "competences[].ada": [ada(c["ada"]) for c in comps],
        "qualifications[].title": [text_in(q["title"], "it") for q in quals],
        "qualifications[].description": [" ".join(text_in(q["description"], "it").split()[:8]) for q in quals],
        "qualifications[].eqf_level": [f"{label('eqf')}: {q['eqf_level']}" for q in quals],
        "experiences": [e["title"] for e in p["experiences"]]
        + [code("learning_contexts", e["learning_context"]) for e in p["experiences"]],
        "number": [p["number"]],
        "issued_at": [day(p["issued_at"])],
        "place": [p["place"]],
        "commission": [f"{code('roles', m['role'])}: {m['name']}" for m in p.get("commission", {}).get("members", [])],
        "exam_date": [day(p.get("exam_date"))],
    }
    return [v for v in table[element] if v]


def test_every_minimum_element_is_printed_with_its_label_on_each_document_type(issued: list[IssuedDocument]) -> None:
    assert {d.doc_type for d in issued} == {t.value for t in DocumentType}
    for doc in issued:
        text = _text(get_store().get(doc.sha256))
        for element, _ in REQUIRED[DocumentType(doc.doc_type)]:
            assert element in LABELS, f"{element} has no label in elements.LABELS"
            assert texts("it")["labels"][LABELS[element]] in text, (doc.doc_type, element, "label")
            for value in _values(element, doc.payload):
                assert value in text, (doc.doc_type, element, value)


def test_codes_dates_and_numbers_are_worded_for_people(issued: list[IssuedDocument]) -> None:
    for doc in issued:
        text = _text(get_store().get(doc.sha256))
        for raw in ("analisi_dossier", "colloquio_tecnico", "prova_prestazionale", "non_formale", "positivo 20"):
            assert raw not in text, (doc.doc_type, raw)
        assert "ADA ADA" not in text and "ADA: ADA" not in text
        assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text), doc.doc_type  # no ISO dates
        assert f"Numero di registro {doc.number}" in text or "Numero di registro / " in text
        assert "RL 2024.1" not in text  # the repertory by name, not by code
        assert "Ente pubblico titolare — rilascia il documento" in text  # the Region as issuer
        assert "Ente titolato — eroga il servizio" in text  # ALFA as awarding body


def test_the_commission_is_named_by_person_and_role(issued: list[IssuedDocument]) -> None:
    cert = next(d for d in issued if d.doc_type == "certificato")
    members = cert.payload["commission"]["members"]
    assert [m["role"] for m in members] == ["president", "method_expert", "sector_expert"]
    assert members[1]["name"] == "EV" and members[2]["name"] == "ES"  # full names of the users ev, es
    text = _text(get_store().get(cert.sha256))
    assert "Esperto di metodologia di valutazione: EV" in text and "Esperto di settore: ES" in text
    assert "valutatore.ev" not in text and "; ev;" not in text


def test_each_document_ends_with_a_signature_block(issued: list[IssuedDocument]) -> None:
    for doc in issued:
        text = _text(get_store().get(doc.sha256))
        signer = doc.payload["signatory"]
        assert "Luogo e data" in text and f"Genova, {day(doc.payload['issued_at'])}" in text
        assert "Firmatario" in text and signer["name"] in text and code("roles", signer["role"]) in text
        assert "Firma elettronica (eddsa-jcs-2022)" in text
    transparency = next(d for d in issued if d.doc_type == "documento_trasparenza")
    assert transparency.payload["signatory"]["role"] == "operator"
    sealed = _text(render_pdf(transparency.payload, "ar", sealed=True))
    assert "sigillo elettronico dell'ente sul PDF (PAdES)" in sealed


def test_titles_in_the_persons_language_are_marked_as_a_translation(issued: list[IssuedDocument]) -> None:
    cert = next(d for d in issued if d.doc_type == "certificato")
    payload = {**cert.payload, "competences": [dict(c) for c in cert.payload["competences"]]}
    first = payload["competences"][0]
    first["title"] = {**first["title"], "uk": "Приймання, контроль і зберігання сировини"}
    text = _text(render_pdf(payload, "uk"))
    assert "Приймання, контроль і зберігання сировини (переклад)" in text  # the framework's Ukrainian label
    second = text_in(payload["competences"][1]["title"], "en")
    assert f"{second} (translation)" in text  # no Ukrainian label: English, marked as such


def test_esco_names_in_the_persons_language_are_printed_as_a_translation(issued: list[IssuedDocument]) -> None:
    cert = next(d for d in issued if d.doc_type == "certificato")
    # The person speaks Arabic: the payload carries the ESCO labels in Arabic (ESCO publishes them).
    labels = [by_lang for c in cert.payload["competences"] for by_lang in c["esco_labels"].values()]
    assert labels and all({"it", "en"} <= set(x) for x in labels) and any("ar" in x for x in labels)
    payload = {**cert.payload, "competences": [dict(c) for c in cert.payload["competences"]]}
    uri = payload["competences"][0]["esco_skills"][0]
    payload["competences"][0]["esco_labels"] = {uri: {"it": "x", "uk": "зберігання продуктів харчування"}}
    text = _text(render_pdf(payload, "uk"))
    assert "ESCO: зберігання продуктів харчування (переклад)" in text
