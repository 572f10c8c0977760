"""Documents: minimum elements enforced, register numbers gap-free under concurrency, PDF text."""

from __future__ import annotations

import io
import threading

import pytest
from pypdf import PdfReader
from sqlmodel import Session

from ivc.case import service as cases
from ivc.case.states import CaseState, DocumentType
from ivc.database.core import get_engine, session_scope
from ivc.document import service as documents
from ivc.document.elements import missing_elements
from ivc.document.register import CODE_ALPHABET, new_verification_code, next_number, normalise_code
from ivc.errors import DomainError
from ivc.evidence.storage import get_store
from ivc.person.service import get_person

from .helpers import advance_to, staff


def test_a_validation_document_without_birth_data_is_refused_naming_the_element(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.VALIDATION_ISSUED)
    payload = cases.issued_documents(session, case.id or 0)[-1].payload
    assert missing_elements(DocumentType.VALIDATION, payload) == []
    broken = {**payload, "holder": {**payload["holder"], "birth_place": None}}
    assert missing_elements(DocumentType.VALIDATION, broken) == ["holder.birth_place"]
    no_ada = {**payload, "competences": [{**c, "ada": []} for c in payload["competences"]]}
    assert "competences[].ada" in missing_elements(DocumentType.VALIDATION, no_ada)


def test_issuing_refuses_an_incomplete_certificate(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.EXAM)
    person = get_person(session, case.person_id)
    person.birth_date = None
    session.add(person)
    with pytest.raises(DomainError) as err:
        documents.issue(session, case, DocumentType.CERTIFICATE, actors["alfa"])
    assert "holder.birth_date" in err.value.params["missing"]


def test_issued_pdf_carries_the_minimum_elements(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.VALIDATION_ISSUED)
    doc = documents.existing_document(session, case.id or 0, DocumentType.VALIDATION)
    assert doc is not None
    pdf = get_store().get(doc.sha256)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    text = " ".join(text.split())
    for needle in (
        "Documento di validazione",
        "Ben Salah",
        "12/04/1986",  # dd/mm/yyyy
        "Sfax",
        "Regione Liguria",
        doc.number,
        doc.verification_code,
        "EQF",
        "ADA",
        "LIG-CUC",
    ):
        assert needle in text, needle


def test_verification_codes_are_unambiguous() -> None:
    code = new_verification_code()
    assert len(code) == 14 and code.count("-") == 2
    assert all(ch in CODE_ALPHABET for ch in code.replace("-", ""))
    assert not set("01IOL") & set(code)
    assert normalise_code(code.lower().replace("-", " ")) == code


def test_concurrent_issuance_gives_consecutive_numbers() -> None:
    numbers: list[int] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def take() -> None:
        try:
            with Session(get_engine()) as s:
                seq, _ = next_number(s, DocumentType.CERTIFICATE, 2031)
                s.commit()
            with lock:
                numbers.append(seq)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=take) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert sorted(numbers) == list(range(1, 21))


def test_a_rolled_back_issuance_gives_its_number_back() -> None:
    with session_scope() as s:
        first, _ = next_number(s, DocumentType.TRANSPARENCY, 2032)
    with pytest.raises(RuntimeError), session_scope() as s:
        next_number(s, DocumentType.TRANSPARENCY, 2032)
        raise RuntimeError("rendering failed")
    with session_scope() as s:
        again, number = next_number(s, DocumentType.TRANSPARENCY, 2032)
    assert again == first + 1
    assert number == f"TR/2032/{again:06d}"


@pytest.mark.skipif(__import__("shutil").which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_the_printed_qr_code_scans_to_the_verification_page(session: Session, tmp_path: object) -> None:
    import subprocess
    from pathlib import Path

    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    from ivc.document.credentials import verify_link

    case = advance_to(session, staff(session), CaseState.CLOSED)
    cert = next(d for d in cases.issued_documents(session, case.id or 0) if d.doc_type == "certificato")
    out = Path(str(tmp_path))
    (out / "cert.pdf").write_bytes(get_store().get(cert.storage_key))
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", "cert.pdf", "page"], cwd=out, check=True)
    found = zxingcpp.read_barcodes(Image.open(next(out.glob("page*.png"))))
    assert [b.text for b in found] == [verify_link(cert.payload)]
