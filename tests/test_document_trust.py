"""Documents people take away: complete, bilingual, deterministic, verifiable, hard to forge."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pypdf import PdfReader
from sqlmodel import Session, select

from ivc.case import service as cases
from ivc.case.states import CaseState, DocumentType
from ivc.database.core import get_engine, utcnow
from ivc.document import credentials, signing
from ivc.document import service as documents
from ivc.document.elements import missing_elements
from ivc.document.models import IssuedDocument
from ivc.document.render import attach_json, embedded_json, render_pdf
from ivc.document.verify import Verdict, verify_bytes, verify_code
from ivc.evidence.storage import get_store

from .helpers import advance_to, pass_certification_exam, staff


@pytest.fixture()
def certified(session: Session) -> list[IssuedDocument]:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.CLOSED)
    session.commit()
    return cases.issued_documents(session, case.id or 0)


def _pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


NEEDLES = {
    "documento_trasparenza": [
        "Documento di supporto alla messa in trasparenza",
        "Ben Salah",
        "LIG-CUC-UC1",
        "Cuoca in un ristorante di pesce",
        "Esperienze",
        "Indice delle evidenze",
    ],
    "documento_validazione": [
        "Documento di validazione",
        "Ben Salah",
        "12/04/1986",  # dates dd/mm/yyyy (issue #19)
        "Sfax",
        "Regione Liguria",
        "Decreto n. 522/2018",
        "Livello EQF: 3",
        "ADA",
        "Colloquio tecnico",  # codes by their label
        "Cuoca in un ristorante",
    ],
    "certificato": [
        "Certificato di competenze",
        "Ben Salah",
        "12/04/1986",  # dates dd/mm/yyyy (issue #19)
        "Regione Liguria",
        "Commissione",
        "Presidente",
        "Data dell'esame",
        "Prova prestazionale",
        "Livello EQF: 3",
    ],
}


def test_each_document_carries_its_minimum_elements_in_pdf_and_json(certified: list[IssuedDocument]) -> None:
    assert {d.doc_type for d in certified} == set(NEEDLES)
    for doc in certified:
        assert missing_elements(DocumentType(doc.doc_type), doc.payload) == []
        text = _pdf_text(get_store().get(doc.sha256))
        for needle in [*NEEDLES[doc.doc_type], doc.number, doc.verification_code]:
            assert needle in text, (doc.doc_type, needle)
        twin = embedded_json(get_store().get(doc.sha256))
        assert twin is not None and twin["number"] == doc.number and twin["schema"] == "ivc.document/1"
        assert twin["competences"] and all(c["repertory"] and c["qualification"] for c in twin["competences"])


def test_the_second_language_is_the_persons(certified: list[IssuedDocument]) -> None:
    # The helper's person prefers Arabic: labels and titles appear in Arabic too.
    doc = certified[-1]
    assert doc.languages == ["it", "ar"]
    text = _pdf_text(get_store().get(doc.sha256))
    arabic = [ch for ch in text if "\u0600" <= ch <= "\u06ff" or "\ufb50" <= ch <= "\ufeff"]
    assert len(arabic) > 100  # labels, titles and legal text in Arabic (shaped presentation forms)


def _all_at_once(threads: list[threading.Thread], switch_every: float) -> None:
    """Run the threads together, switching between them every ``switch_every`` seconds, so that a
    race shows up in a few iterations instead of once in a thousand."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(switch_every)
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
    finally:
        sys.setswitchinterval(interval)


def test_pdfs_built_by_several_threads_at_once_do_not_mix_up_their_fonts() -> None:
    """reportlab subsets an embedded font by seeking in the font file shared by the whole process;
    two builds at once used to read each other's glyphs (a KeyError, or a wrong glyph)."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    from ivc.document import typography

    typography.fonts()
    style = ParagraphStyle("t", fontName=typography.REGULAR, fontSize=9)
    text = "àèìòù ÀÈÌÒÙ çñšžćčđ Łłőű ĂăȘșȚț äöüß éêëâîôû Ґґ Єє Її Йй Ђђ Љљ Њњ Ћћ"

    def one() -> bytes:
        buf = io.BytesIO()
        typography.build(SimpleDocTemplate(buf, invariant=1), [Paragraph(typography.markup(text), style)])
        return buf.getvalue()

    alone = one()
    built: list[bytes] = []
    errors: list[Exception] = []

    def work() -> None:
        try:
            built.extend(one() for _ in range(25))
        except Exception as exc:  # reported below
            errors.append(exc)

    # Switch threads as often as possible: the race shows within a few builds.
    _all_at_once([threading.Thread(target=work) for _ in range(4)], switch_every=1e-6)
    assert not errors, errors
    assert built == [alone] * 100


def test_documents_rendered_by_several_threads_at_once_are_the_ones_rendered_alone(
    certified: list[IssuedDocument],
) -> None:
    """The interface serves each user in a thread: simultaneous renders must neither fail nor mix
    their fonts up."""
    jobs = [(doc, lang) for doc in certified for lang in ("ar", "uk", "en", "ti")]
    alone = {(doc.id, lang): render_pdf(doc.payload, lang) for doc, lang in jobs}
    together: dict[tuple[int | None, str], list[bytes]] = {key: [] for key in alone}
    errors: list[Exception] = []

    def render(doc: IssuedDocument, lang: str) -> None:
        try:
            for _ in range(3):
                together[(doc.id, lang)].append(render_pdf(doc.payload, lang))
        except Exception as exc:  # reported below
            errors.append(exc)

    _all_at_once([threading.Thread(target=render, args=job) for job in jobs], switch_every=1e-5)
    assert not errors, errors
    for key, pdfs in together.items():
        assert pdfs == [alone[key]] * 3, key


def test_rendering_is_deterministic_and_a_reprint_is_identical(certified: list[IssuedDocument]) -> None:
    for doc in certified:
        again = render_pdf(doc.payload, doc.languages[1], attachment=doc.credentials["twin"])
        assert again == get_store().get(doc.sha256)


def test_verification_by_code_file_and_json(session: Session, certified: list[IssuedDocument], tmp_path: Path) -> None:
    cert = next(d for d in certified if d.doc_type == "certificato")
    assert verify_code(session, cert.verification_code).verdict is Verdict.VALID
    assert verify_code(session, cert.verification_code.lower().replace("-", " ")).verdict is Verdict.VALID
    assert verify_code(session, "AAAA-BBBB-CCCC").verdict is Verdict.UNKNOWN
    pdf = get_store().get(cert.sha256)
    result = verify_bytes(session, pdf)
    assert result.verdict is Verdict.VALID
    assert result.document["holder"] == {"name": "Amina Ben Salah"}  # minimum identity
    assert result.document["qualifications"][0]["eqf_level"] == 3 and result.document["competences"]
    for key in ("twin", "openbadge"):
        assert verify_bytes(session, json.dumps(cert.credentials[key]).encode()).verdict is Verdict.VALID
    assert verify_bytes(session, cert.credentials["europass_jwt"].encode()).verdict is Verdict.VALID


def test_one_changed_byte_of_the_json_is_detected(session: Session, certified: list[IssuedDocument]) -> None:
    cert = next(d for d in certified if d.doc_type == "certificato")
    raw = json.dumps(cert.credentials["twin"], ensure_ascii=False).encode()
    i = raw.index(b"Ben Salah")
    forged = raw[:i] + b"Ben Salam" + raw[i + 9 :]
    assert verify_bytes(session, forged).verdict is Verdict.TAMPERED
    badge = json.loads(json.dumps(cert.credentials["openbadge"]))
    badge["credentialSubject"]["achievement"]["name"] += "!"
    assert verify_bytes(session, json.dumps(badge).encode()).verdict is Verdict.TAMPERED
    head, body, sig = cert.credentials["europass_jwt"].split(".")
    assert verify_bytes(session, f"{head}.{body[:-2]}AA.{sig}".encode()).verdict is Verdict.TAMPERED


def test_a_pdf_with_altered_embedded_data_or_bytes_is_detected(
    session: Session, certified: list[IssuedDocument]
) -> None:
    cert = next(d for d in certified if d.doc_type == "certificato")
    twin = dict(cert.credentials["twin"])
    twin["holder"] = {**twin["holder"], "family_name": "Rossi"}
    bare = render_pdf(cert.payload, "ar")  # same layout, no attachment
    forged = attach_json(bare, twin)
    assert verify_bytes(session, forged).verdict is Verdict.TAMPERED
    original = get_store().get(cert.sha256)
    i = original.index(b"/Producer")
    flipped = original[:i] + b"/Producex" + original[i + 9 :]
    verdict = verify_bytes(session, flipped)
    assert verdict.verdict is Verdict.TAMPERED and "altered" in verdict.reason


def test_revoked_and_unknown_issuer(session: Session, certified: list[IssuedDocument], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    actors = staff(session)
    cert = session.get(IssuedDocument, next(d for d in certified if d.doc_type == "certificato").id)
    assert cert is not None
    other = Ed25519PrivateKey.generate()
    monkeypatch.setattr(signing, "issuer_key", lambda: other)
    foreign = signing.sign({k: v for k, v in cert.credentials["twin"].items() if k != "proof"}, "2026-01-01T00:00:00Z")
    monkeypatch.undo()
    assert verify_bytes(session, json.dumps(foreign).encode()).verdict is Verdict.UNKNOWN_ISSUER
    with pytest.raises(Exception, match="reason"):
        documents.revoke(session, cert, "  ", actors["alfa"])
    documents.revoke(session, cert, "Errore materiale nella qualificazione", actors["alfa"])
    session.commit()
    result = verify_code(session, cert.verification_code)
    assert result.verdict is Verdict.REVOKED and "Errore materiale" in result.reason


def test_the_holder_may_share_more_identity(session: Session, certified: list[IssuedDocument]) -> None:
    actors = staff(session)
    cert = session.get(IssuedDocument, certified[-1].id)
    assert cert is not None
    documents.share_fields(session, cert, ["birth_date"], actors["op3"])
    assert verify_code(session, cert.verification_code).document["holder"] == {
        "name": "Amina Ben Salah",
        "birth_date": "1986-04-12",
    }


def test_the_certificate_exports_validate_against_the_published_schemas(certified: list[IssuedDocument]) -> None:
    cert = next(d for d in certified if d.doc_type == "certificato")
    for doc in certified:
        assert credentials.validate_twin(doc.credentials["twin"]) == [], doc.doc_type
    assert credentials.validate_openbadge(cert.credentials["openbadge"]) == []
    assert credentials.validate_europass(cert.credentials["europass"]) == []
    assert cert.credentials["openbadge"]["credentialSubject"]["achievement"]["alignment"]


def test_fifty_concurrent_issuers_get_fifty_consecutive_numbers() -> None:
    from ivc.document.register import next_number

    numbers: list[int] = []
    lock = threading.Lock()

    def take() -> None:
        with Session(get_engine()) as s:
            seq, _ = next_number(s, DocumentType.CERTIFICATE, 2033)
            s.commit()
        with lock:
            numbers.append(seq)

    threads = [threading.Thread(target=take) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(numbers) == list(range(1, 51))


def test_a_number_claimed_by_another_issuer_first_is_not_taken_twice() -> None:
    from ivc.document.register import claim, peek_next

    with Session(get_engine()) as a, Session(get_engine()) as b:
        assert peek_next(a, DocumentType.VALIDATION, 2034) == 1
        assert peek_next(b, DocumentType.VALIDATION, 2034) == 1
        assert claim(b, DocumentType.VALIDATION, 2034, 1)
        b.commit()
        assert not claim(a, DocumentType.VALIDATION, 2034, 1)  # prepared with 1, but 1 is gone
        assert peek_next(a, DocumentType.VALIDATION, 2034) == 2
        assert claim(a, DocumentType.VALIDATION, 2034, 2)
        a.rollback()  # a failed issue gives its number back
    with Session(get_engine()) as c:
        assert peek_next(c, DocumentType.VALIDATION, 2034) == 2
        assert not claim(c, DocumentType.VALIDATION, 2034, 3)  # no skipping ahead


def _ready_for_certificate(session: Session, actors: dict[str, Any]) -> int:
    """A case at the exam, passed and decided: its certificate can be issued."""
    case = advance_to(session, actors, CaseState.EXAM)
    pass_certification_exam(session, actors, case, sorted(cases.target_competence_ids(session, case.id or 0)))
    return case.id or 0


def test_an_issuer_whose_number_is_taken_while_it_prepares_prints_and_registers_the_next_one(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ivc.document.register import next_number

    actors = staff(session)
    case = cases.get_case(session, _ready_for_certificate(session, actors))
    session.commit()
    prepared: list[str] = []
    others: list[int] = []
    real_prepare = documents._prepare
    year = utcnow().year
    sqlite = session.get_bind().dialect.name == "sqlite"

    def another_issuer() -> None:
        with Session(get_engine()) as other:
            others.append(next_number(other, DocumentType.CERTIFICATE, year)[0])
            other.commit()

    rival = threading.Thread(target=another_issuer)

    def prepare_while_another_issues(payload, did, lang):  # type: ignore[no-untyped-def]
        prepared.append(payload["number"])
        if len(prepared) == 1:  # another issuer, in its own transaction, takes a number meanwhile
            rival.start()
            if not sqlite:
                rival.join(timeout=60)
        return real_prepare(payload, did, lang)

    monkeypatch.setattr(documents, "_prepare", prepare_while_another_issues)
    doc = documents.issue(session, case, DocumentType.CERTIFICATE, actors["alfa"])
    session.commit()
    rival.join(timeout=60)
    first, second = f"/{year}/000001", f"/{year}/000002"
    if sqlite:
        # One writer at a time: the number was taken before preparing; the other issuer queued.
        assert len(prepared) == 1 and doc.number.endswith(first) and others == [2]
    else:
        assert [n[-12:] for n in prepared] == [first, second]  # prepared again, with the next number
        assert doc.number.endswith(second) and doc.register_seq == 2 and others == [1]
    pdf_text = _pdf_text(get_store().get(doc.sha256))
    assert doc.number in pdf_text  # what is printed is what is registered
    assert doc.number in json.dumps(doc.credentials["twin"])  # and what is signed
    if not sqlite:
        assert prepared[0] not in json.dumps(doc.credentials)


@pytest.mark.slow
def test_fifty_concurrent_certificate_issuances_get_fifty_consecutive_numbers(session: Session) -> None:
    actors = staff(session)
    exam_cases = [_ready_for_certificate(session, actors) for _ in range(50)]
    session.commit()
    errors: list[Exception] = []

    def issue(case_id: int) -> None:
        try:
            with Session(get_engine(), expire_on_commit=False) as s:
                documents.issue(s, cases.get_case(s, case_id), DocumentType.CERTIFICATE, actors["alfa"])
                s.commit()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=issue, args=(cid,)) for cid in exam_cases]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    seqs = sorted(
        session.exec(select(IssuedDocument.register_seq).where(IssuedDocument.doc_type == "certificato")).all()
    )
    assert seqs == list(range(1, len(exam_cases) + 1))
    # Whoever lost a claim prepared again: what is printed and signed is the number registered.
    for doc in session.exec(select(IssuedDocument).where(IssuedDocument.doc_type == "certificato")).all():
        assert doc.number.endswith(f"/{doc.register_seq:06d}") or doc.number.endswith(f"/{doc.register_seq}")
        assert doc.payload["number"] == doc.number
        assert doc.credentials["twin"]["number"] == doc.number
    from ivc.audit.service import verify_chain

    chain = verify_chain(session)  # fifty committing issuers also left one gap-free audit chain
    assert chain.ok, chain.summary()


NAMES = {
    "arabic": "أمينة بن صالح",
    "ukrainian": "Олена Коваленко",
    "chinese": "陈晓玲",
    "accented": "Ségolène Núñez Çelik",
    "bengali": "রহিম উদ্দিন",
    "tigrinya": "ዮናስ ተስፋማርያም",
}


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
@pytest.mark.parametrize("script", list(NAMES))
def test_names_in_any_script_render_as_glyphs_not_boxes(script: str, tmp_path: Path) -> None:
    from PIL import Image, ImageChops
    from reportlab.lib.pagesizes import A6
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    from ivc.document.typography import REGULAR, fonts, markup

    fonts()

    def render(text: str, name: str) -> Image.Image:
        pdf = tmp_path / f"{name}.pdf"
        style = ParagraphStyle("n", fontName=REGULAR, fontSize=28, leading=34)
        SimpleDocTemplate(str(pdf), pagesize=A6, invariant=1).build([Paragraph(markup(text), style)])
        subprocess.run(["pdftoppm", "-r", "72", "-png", "-singlefile", str(pdf), str(tmp_path / name)], check=True)
        return Image.open(tmp_path / f"{name}.png").convert("L")

    name = NAMES[script]
    drawn = render(name, "name")
    # A string of code points no font has is drawn as .notdef boxes: the name must not look like it.
    boxes = render("".join(chr(0xE000 + i) if not ch.isspace() else " " for i, ch in enumerate(name)), "boxes")
    ink = sum(drawn.histogram()[:128])
    assert ink > 50, "nothing was drawn"
    assert ImageChops.difference(drawn, boxes).getbbox() is not None
    box_ink = sum(boxes.histogram()[:128])
    assert ink != box_ink


def test_an_optional_pades_seal_is_added_and_verifies(session: Session, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature

    from ivc.config import reset_settings

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ALFA Liguria (test seal)")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    p12 = tmp_path / "seal.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"seal", key, cert, None, serialization.BestAvailableEncryption(b"secret")
        )
    )
    monkeypatch.setenv("IVC_PADES_PKCS12_FILE", str(p12))
    monkeypatch.setenv("IVC_PADES_PKCS12_PASSWORD", "secret")
    reset_settings()
    try:
        actors = staff(session)
        case = advance_to(session, actors, CaseState.TRANSPARENCY_ISSUED)
        doc = cases.issued_documents(session, case.id or 0)[0]
        pdf = get_store().get(doc.sha256)
        signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
        assert len(signatures) == 1
        status = validate_pdf_signature(signatures[0])
        assert status.intact and status.valid
        assert embedded_json(pdf) is not None  # the twin survives the incremental update
        assert verify_bytes(session, pdf).verdict is Verdict.VALID
    finally:
        monkeypatch.undo()
        reset_settings()
