"""Upload safety: only real PDFs, images, text and office documents reach the evidence store,
whatever their name or declared type; everything else is refused with a reason a user can read."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlmodel import Session, select

from ivc.audit.models import AuditEvent
from ivc.case.states import CaseState
from ivc.config import get_settings
from ivc.errors import ValidationFailed
from ivc.evidence import service as evidence
from ivc.evidence.models import EvidenceType
from ivc.evidence.safety import DOCX, HEIC, JPEG, ODT, PDF, PNG, TEXT, check_upload, display_name
from ivc.i18n import catalog

from .helpers import advance_to, staff

# --- real files, built here -------------------------------------------------------------------


def pdf_bytes(pages: int = 1, text: str = "Dichiarazione del datore di lavoro", password: str | None = None) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, invariant=1)
    for i in range(pages):
        pdf.drawString(72, 720, f"{text} — pagina {i + 1}")
        pdf.showPage()
    pdf.save()
    data = buf.getvalue()
    if password is None:
        return data
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buf, format=fmt)
    return buf.getvalue()


def heic_bytes(brand: bytes = b"heic", truncate: bool = False) -> bytes:
    def box(kind: bytes, payload: bytes) -> bytes:
        return (8 + len(payload)).to_bytes(4, "big") + kind + payload

    data = (
        box(b"ftyp", brand + b"\x00\x00\x00\x00mif1" + brand) + box(b"meta", b"\x00" * 40) + box(b"mdat", b"\x01" * 200)
    )
    return data[:-50] if truncate else data


def zip_bytes(parts: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED, first: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as archive:
        if first is not None:
            archive.writestr(zipfile.ZipInfo(first), parts[first], compress_type=zipfile.ZIP_STORED)
        for name, body in parts.items():
            if name != first:
                archive.writestr(name, body)
    return buf.getvalue()


_DOCX_TYPES = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    b'wordprocessingml.document.main+xml"/></Types>'
)


def docx_bytes(**extra: bytes) -> bytes:
    parts = {
        "[Content_Types].xml": _DOCX_TYPES,
        "_rels/.rels": b'<?xml version="1.0"?><Relationships/>',
        "word/document.xml": b'<?xml version="1.0"?><w:document><w:body>Saldatore</w:body></w:document>',
    }
    parts.update(extra)
    return zip_bytes(parts)


def odt_bytes(**extra: bytes) -> bytes:
    parts = {
        "mimetype": ODT.encode(),
        "content.xml": b'<?xml version="1.0"?><office:document-content>Attestato</office:document-content>',
        "META-INF/manifest.xml": b'<?xml version="1.0"?><manifest:manifest/>',
    }
    parts.update(extra)
    return zip_bytes(parts, first="mimetype")


def refused(data: bytes, code: str, declared: str | None = None) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        check_upload(data, declared)
    assert info.value.code == f"upload_{code}", (info.value.code, str(info.value))
    assert info.value.params["field"] == "file" and str(info.value)
    return info.value


# --- what is kept ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        (pdf_bytes(3), PDF),
        (image_bytes("PNG"), PNG),
        (image_bytes("JPEG"), JPEG),
        (heic_bytes(), HEIC),
        ("Nota del colloquio: ha lavorato 5 anni in officina.\nمرحبا — Привіт\r\n".encode(), TEXT),
        (b"\xef\xbb\xbfcon BOM", TEXT),
        (b"CV: JavaScript: 3 anni, HTML <b> e CSS", TEXT),  # words about code are not code
        (docx_bytes(**{"word/media/image1.png": image_bytes("PNG")}), DOCX),
        (odt_bytes(), ODT),
    ],
)
def test_accepted_files_are_typed_by_their_content(data: bytes, media_type: str) -> None:
    assert check_upload(data, "application/octet-stream").media_type == media_type


def test_the_declared_type_is_corrected_not_trusted_and_the_audit_keeps_it(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    item = evidence.add_evidence(
        session,
        case,
        image_bytes("JPEG"),
        title="Foto del lavoro",
        evidence_type=EvidenceType.PHOTO_OR_VIDEO,
        media_type="application/pdf",
        actor=actors["op3"],
        filename="foto.pdf",
    )
    assert item.media_type == JPEG
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "evidence.added")).one()
    assert event.after["declared_media_type"] == "application/pdf" and event.after["media_type"] == JPEG
    assert check_upload(image_bytes("JPEG"), "image/jpg").declared_mismatch is False


# --- what is refused ---------------------------------------------------------------------------


def test_empty_and_oversized_files_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    refused(b"", "empty")
    monkeypatch.setattr(get_settings(), "max_upload_bytes", 1000)
    error = refused(b"a" * 1001, "too_large")
    assert error.params["limit"] == 1000


@pytest.mark.parametrize(
    ("data", "detected"),
    [
        (zip_bytes({"a.txt": b"hello"}), "ZIP archive"),
        (b"Rar!\x1a\x07\x00" + b"\x00" * 40, "RAR archive"),
        (b"7z\xbc\xaf\x27\x1c" + b"\x00" * 40, "7z archive"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 40, "gzip archive"),
        (b"a.txt".ljust(257, b"\x00") + b"ustar\x0000" + b"\x00" * 300, "tar archive"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 60, "ELF executable"),
        (b"MZ\x90\x00\x03" + b"\x00" * 60, "Windows executable (PE)"),
        (b"#!/bin/sh\nrm -rf /\n", "script with an interpreter line"),
        (b"<!DOCTYPE html><html><body>ciao</body></html>", "HTML or XML document"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "SVG image"),
        (b'<?xml version="1.0"?><svg><script>alert(1)</script></svg>', "SVG image"),
        (b"nota innocente <script>alert(1)</script>", "text holding HTML scripts"),
        (b"GIF89a\x01\x00\x01\x00" + b"\x00" * 20, "GIF image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 60, "legacy Office document (OLE2, may hold macros)"),
        (zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}), "XLSX spreadsheet"),
        (zip_bytes({"META-INF/MANIFEST.MF": b"Main-Class: x"}), "Java archive (JAR)"),
        (heic_bytes(b"isom"), "video or media file (ISO-BMFF brand 'isom')"),
    ],
)
def test_other_kinds_are_refused_naming_what_was_found(data: bytes, detected: str) -> None:
    error = refused(data, "type_not_allowed", declared="application/pdf")
    assert error.params["detected"] == detected and detected in str(error)


def test_binary_junk_and_bad_text_are_refused() -> None:
    refused(bytes(range(256)) * 4, "type_unknown")
    refused(b"caf\xc3", "text_encoding")  # truncated UTF-8 sequence
    refused(b"\xc0\xaf etc/passwd", "text_encoding")  # overlong '/'
    refused(b"\xed\xa0\x80 lone surrogate", "text_encoding")
    assert refused(b"nome\x00cognome", "text_control").params["character"] == "U+0000"
    assert refused("nota \u202egpj.exe".encode(), "text_control").params["character"] == "U+202E"


def test_broken_truncated_encrypted_and_long_pdfs_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    good = pdf_bytes(2)
    refused(good[: len(good) // 2], "pdf_broken")
    refused(b"%PDF-1.4 not really a pdf\n%%EOF", "pdf_broken")
    refused(good.replace(b"/Type /Pages", b"/Type /Broke"), "pdf_broken")
    refused(pdf_bytes(1, password="segreto"), "pdf_encrypted")
    refused(good.replace(b"%%EOF", b"/JavaScript (app.alert(1))\n%%EOF"), "pdf_active")
    monkeypatch.setattr(get_settings(), "max_pdf_pages", 3)
    assert refused(pdf_bytes(4), "pdf_too_many_pages").params["pages"] == 4


def test_truncated_damaged_and_bomb_images_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    jpeg = image_bytes("JPEG", (300, 200))
    refused(jpeg[: len(jpeg) // 2], "image_broken")
    png = image_bytes("PNG", (300, 200))
    refused(png[: len(png) - 40], "image_broken")
    refused(png[:40] + b"\x00" * 100 + png[140:], "image_broken")  # corrupt chunk
    refused(heic_bytes(truncate=True), "image_broken")
    monkeypatch.setattr(get_settings(), "max_image_pixels", 10_000)
    error = refused(image_bytes("PNG", (200, 100)), "image_too_large")
    assert (error.params["width"], error.params["height"]) == (200, 100)


def test_office_documents_must_be_real_and_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    refused(docx_bytes(**{"word/vbaProject.bin": b"\x00macro"}), "office_macros")
    refused(odt_bytes(**{"Basic/Standard/Module1.xml": b"<script/>"}), "office_macros")
    refused(docx_bytes(**{"word/embeddings/inner.zip": zip_bytes({"x": b"y"})}), "archive_nested")
    refused(docx_bytes(**{"word/media/blob.bin": zip_bytes({"x": b"y"})}), "archive_nested")  # by content
    refused(docx_bytes(**{"../../evil.txt": b"x"}), "archive_path")
    refused(docx_bytes(**{"/etc/cron.d/x": b"x"}), "archive_path")
    refused(zip_bytes({"[Content_Types].xml": _DOCX_TYPES, "word/document.xml": b"<w/>"}), "office_broken")
    refused(zip_bytes({"mimetype": ODT.encode(), "content.xml": b"<x/>"}, first="mimetype"), "office_broken")
    refused(
        docx_bytes(**{"word/styles.xml": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'}),
        "archive_bomb",
    )
    bomb = docx_bytes(**{"word/media/zeros.txt": b"\x00" * (32 * 1024 * 1024)})
    assert len(bomb) < 64 * 1024  # 32 MiB of zeros compress to a few dozen KiB
    refused(bomb, "archive_bomb")
    good = docx_bytes()
    refused(good[: len(good) - 30], "archive_broken")
    monkeypatch.setattr(get_settings(), "max_archive_entries", 5)
    refused(docx_bytes(**{f"word/media/{i}.xml": b"<x/>" for i in range(6)}), "archive_bomb")


def test_file_names_are_shown_never_used_as_paths() -> None:
    assert display_name("../../etc/passwd") == "passwd"
    assert display_name("C:\\Users\\x\\cv.pdf") == "cv.pdf"
    assert display_name("..") is None and display_name("/") is None and display_name("") is None
    assert display_name("fattura\x00.pdf") == "fattura.pdf"
    assert display_name("invoice\u202efdp.exe") == "invoicefdp.exe"  # the right-to-left override is gone
    assert display_name("\ud800cv.pdf") == "cv.pdf"
    assert display_name("سيرة ذاتية.pdf") == "سيرة ذاتية.pdf"
    assert display_name("نامه\u200cها.pdf") == "نامه\u200cها.pdf"  # Persian zero-width non-joiner kept
    long = display_name("a" * 5000 + ".pdf")
    assert long is not None and len(long) == 200 and long.endswith(".pdf")


def test_refused_uploads_leave_nothing_behind(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    root = get_settings().resolved_evidence_dir
    before = {p for p in root.rglob("*") if p.is_file()}
    with pytest.raises(ValidationFailed) as info:
        evidence.add_evidence(
            session,
            case,
            zip_bytes({"cv.exe": b"MZ"}),
            title="CV",
            evidence_type=EvidenceType.DOCUMENT,
            media_type="application/pdf",
            actor=actors["op3"],
            filename="cv.pdf",
        )
    assert info.value.code == "upload_type_not_allowed"
    assert {p for p in root.rglob("*") if p.is_file()} == before
    assert evidence.evidence_for_case(session, case.id or 0) == []


def test_every_refusal_has_a_message_in_italian_and_english() -> None:
    import re
    from pathlib import Path

    source = (Path(__file__).parent.parent / "ivc" / "evidence" / "safety.py").read_text(encoding="utf-8")
    codes = set(re.findall(r'_refuse\(\s*"(\w+)"', source)) | {"type_not_allowed", "no_title"}
    for lang in ("it", "en"):
        messages = catalog(lang)
        missing = [c for c in codes if f"upload.{c}" not in messages]
        assert not missing, (lang, missing)
