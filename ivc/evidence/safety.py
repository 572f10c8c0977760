"""What an uploaded file really is, and whether ivc may keep it.

Every file that reaches the evidence store goes through ``check_upload`` first. The type is decided
by the content (magic bytes and a real parse), never by the declared media type or the file name,
and only an allow-list is kept: PDF, JPEG, PNG, HEIC/HEIF, plain UTF-8 text, DOCX and ODT.
Everything else — archives, executables, markup that can run scripts, macro documents, bombs,
broken or encrypted files — is refused with a ``ValidationFailed`` whose ``code`` (``upload_*``)
and parameters let the interface translate the reason (``upload.*`` in the locale files).

The declared media type is only compared, never trusted: when it disagrees with the content the
file is kept under the detected type (and the disagreement goes to the audit log). Browsers and
phones declare types carelessly (``application/octet-stream``, ``image/jpg``, HEIC photos sent
as ``image/jpeg``) and refusing those would turn away genuine evidence from people who cannot
fix it; since nothing downstream reads the declared type, correcting it is the safe choice.

File names are shown, never used as paths: ``display_name`` keeps a readable last component.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import Any, BinaryIO

from ivc.config import Settings, get_settings
from ivc.errors import ValidationFailed
from ivc.text import forbidden_char

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
HEIC = "image/heic"
HEIF = "image/heif"
TEXT = "text/plain; charset=utf-8"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
ALLOWED = (PDF, JPEG, PNG, HEIC, HEIF, TEXT, DOCX, ODT)

# ISO-BMFF brands of still HEIF images (HEVC-coded or generic); video brands are refused.
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis"}
_HEIF_BRANDS = {b"mif1", b"msf1", b"heif"}

# Signatures of what is never kept: (prefix, offset, what it is).
_REFUSED_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"Rar!\x1a\x07", 0, "RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", 0, "7z archive"),
    (b"\x1f\x8b", 0, "gzip archive"),
    (b"BZh", 0, "bzip2 archive"),
    (b"\xfd7zXZ\x00", 0, "xz archive"),
    (b"\x28\xb5\x2f\xfd", 0, "zstd archive"),
    (b"MSCF", 0, "cabinet archive"),
    (b"ustar", 257, "tar archive"),
    (b"\x7fELF", 0, "ELF executable"),
    (b"MZ", 0, "Windows executable (PE)"),
    (b"\xca\xfe\xba\xbe", 0, "Mach-O or Java executable"),
    (b"\xfe\xed\xfa\xce", 0, "Mach-O executable"),
    (b"\xfe\xed\xfa\xcf", 0, "Mach-O executable"),
    (b"\xce\xfa\xed\xfe", 0, "Mach-O executable"),
    (b"\xcf\xfa\xed\xfe", 0, "Mach-O executable"),
    (b"\x00asm", 0, "WebAssembly module"),
    (b"#!", 0, "script with an interpreter line"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "legacy Office document (OLE2, may hold macros)"),
    (b"{\\rtf", 0, "RTF document (may embed objects)"),
    (b"%!PS", 0, "PostScript program"),
    (b"GIF87a", 0, "GIF image"),
    (b"GIF89a", 0, "GIF image"),
    (b"II*\x00", 0, "TIFF image"),
    (b"MM\x00*", 0, "TIFF image"),
    (b"SQLite format 3\x00", 0, "SQLite database"),
)
_ARCHIVE_MAGIC = (b"PK\x03\x04", b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"MSCF")
_ARCHIVE_SUFFIXES = (".zip", ".rar", ".7z", ".gz", ".tgz", ".bz2", ".xz", ".tar", ".jar", ".cab", ".iso")
_MARKUP = re.compile(rb"^\s*<(!doctype\s+html|html|svg|\?xml|!--|head|body|script|iframe)\b", re.IGNORECASE)
# Tags that run or embed code; words like "JavaScript:" in a CV are fine (text is never rendered).
_ACTIVE_TEXT = re.compile(rb"<\s*(script|iframe|object|embed)\b", re.IGNORECASE)
# Server-side code: a ".jpg" holding "<?php" is a web shell waiting for a misconfigured server.
_SERVER_CODE = re.compile(rb"<\?(php|=)", re.IGNORECASE)
_PDF_ACTIVE = (b"/JavaScript", b"/Launch", b"/EmbeddedFile", b"/RichMedia")


@dataclass(frozen=True)
class CheckedUpload:
    """What the content is (``media_type`` is the one to store) and what was declared."""

    media_type: str
    detected: str  # short human name, e.g. "PDF (3 pages)"
    declared: str | None

    @property
    def declared_mismatch(self) -> bool:
        if not self.declared:
            return False
        essence = self.declared.split(";")[0].strip().lower()
        return essence != self.media_type.split(";")[0] and essence not in _ALIASES.get(self.media_type, ())


_ALIASES = {JPEG: ("image/jpg", "image/pjpeg"), PNG: ("image/x-png",), HEIC: ("image/heif",), HEIF: ("image/heic",)}


def _refuse(code: str, message: str, **params: Any) -> ValidationFailed:
    return ValidationFailed(message, field="file", code=f"upload_{code}", **params)


def _not_allowed(detected: str) -> ValidationFailed:
    return _refuse(
        "type_not_allowed",
        f"this file is a {detected}, which cannot be kept as evidence "
        "(accepted: PDF, JPEG, PNG, HEIC, plain text, DOCX, ODT)",
        detected=detected,
    )


def read_upload(data: bytes | BinaryIO, *, settings: Settings | None = None) -> bytes:
    """The bytes of an upload given whole or as a stream (an open file, a spooled request body):
    a stream is read in chunks and only up to the limit, so an oversized file is refused after
    ``max_upload_bytes`` + 1 bytes instead of being held whole in memory."""
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    limit = (settings or get_settings()).max_upload_bytes
    buf = bytearray()
    while chunk := data.read(min(1024 * 1024, limit + 1 - len(buf))):
        buf += chunk
        if len(buf) > limit:
            raise _refuse(
                "too_large",
                f"the file is larger than the limit of {limit} bytes",
                size=len(buf),
                limit=limit,
            )
    return bytes(buf)


def check_upload(data: bytes, declared: str | None = None, *, settings: Settings | None = None) -> CheckedUpload:
    """Decide what ``data`` is and whether it may be stored; raise ``ValidationFailed`` if not."""
    settings = settings or get_settings()
    if not data:
        raise _refuse("empty", "the file is empty")
    if len(data) > settings.max_upload_bytes:
        raise _refuse(
            "too_large",
            f"the file is {len(data)} bytes, larger than the limit of {settings.max_upload_bytes} bytes",
            size=len(data),
            limit=settings.max_upload_bytes,
        )
    media_type, detected = _classify(data, settings)
    return CheckedUpload(media_type, detected, declared)


def _classify(data: bytes, settings: Settings) -> tuple[str, str]:
    # A PDF starts with its header: "%PDF-" further in is how HTML-then-PDF polyglots pass.
    if data.startswith(b"%PDF-"):
        return PDF, _check_pdf(data, settings)
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG, _check_image(data, "JPEG", settings)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG, _check_image(data, "PNG", settings)
    if data[4:8] == b"ftyp":
        return _check_bmff(data)
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _check_office(data, settings)
    if data.startswith(b"RIFF") and len(data) >= 12:
        raise _not_allowed(
            {b"WEBP": "WebP image", b"AVI ": "AVI video", b"WAVE": "WAV audio"}.get(data[8:12], "RIFF file")
        )
    for magic, offset, what in _REFUSED_SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            raise _not_allowed(what)
    return TEXT, _check_text(data)


def _check_text(data: bytes) -> str:
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if not body.strip():
        raise _refuse("empty", "the file holds no text (only a byte-order mark or spaces)")
    try:
        text = body.decode("utf-8")  # strict: overlong forms, lone surrogates and stray bytes fail
    except UnicodeDecodeError as exc:
        if b"\x00" in data[:8192] or sum(b < 9 for b in data[:8192]) > 8:
            raise _refuse(
                "type_unknown", "the content is binary data of a kind ivc does not accept", detected="binary data"
            ) from exc
        raise _refuse("text_encoding", f"the text is not valid UTF-8 (byte {exc.start})", position=exc.start) from exc
    bad = next((i for i, ch in enumerate(text) if _is_junk(ch)), None)
    if bad is not None:
        raise _refuse(
            "text_control",
            f"the text holds a control character U+{ord(text[bad]):04X} at position {bad}",
            character=f"U+{ord(text[bad]):04X}",
            position=bad,
        )
    if _MARKUP.match(body):
        what = "SVG image" if b"<svg" in body[:4096].lower() else "HTML or XML document"
        raise _not_allowed(what)
    if _ACTIVE_TEXT.search(body):
        raise _not_allowed("text holding HTML scripts")
    if _SERVER_CODE.search(body):
        raise _not_allowed("text holding PHP code")
    return "plain text"


def _is_junk(ch: str) -> bool:
    return forbidden_char(ch, allow="\t\n\r\f") is not None


def _check_pdf(data: bytes, settings: Settings) -> str:
    from pypdf import PdfReader

    if b"%%EOF" not in data[-2048:]:
        raise _refuse("pdf_broken", "the PDF is truncated (no end-of-file marker)", reason="truncated")
    for marker in _PDF_ACTIVE:
        if marker in data:
            raise _refuse(
                "pdf_active",
                f"the PDF holds active content ({marker.decode()[1:]}), which is not accepted",
                feature=marker.decode()[1:],
            )
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _refuse("pdf_encrypted", "the PDF is encrypted or password-protected")
        pages = len(reader.pages)
        names = reader.root_object.get("/Names")
        if names is not None and any(k in names.get_object() for k in ("/JavaScript", "/EmbeddedFiles")):
            raise _refuse("pdf_active", "the PDF holds active content (scripts or attachments)", feature="Names")
        for page in reader.pages[:50]:
            _ = page.mediabox  # a page without geometry is a broken page tree
    except ValidationFailed:
        raise
    except Exception as exc:  # pypdf raises many kinds on hostile input; any of them means unreadable
        raise _refuse(
            "pdf_broken", f"the PDF cannot be read ({type(exc).__name__})", reason=type(exc).__name__
        ) from exc
    if pages == 0:
        raise _refuse("pdf_broken", "the PDF has no pages", reason="no pages")
    if pages > settings.max_pdf_pages:
        raise _refuse(
            "pdf_too_many_pages",
            f"the PDF has {pages} pages, more than the limit of {settings.max_pdf_pages}",
            pages=pages,
            limit=settings.max_pdf_pages,
        )
    # What is accepted is what later steps can read: the same reading, with the same limits, as
    # the suggestions from evidence (a file pypdf must repair, or cannot read, is refused here).
    from ivc.evidence.extract import extract_text

    read = extract_text(data, PDF)
    if read.failed:
        raise _refuse("pdf_broken", f"the PDF cannot be read ({read.note})", reason=read.note)
    return f"PDF ({pages} pages)"


def _check_image(data: bytes, fmt: str, settings: Settings) -> str:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as probe:  # reads the header only
            width, height = probe.size
            if width * height > settings.max_image_pixels:
                raise _refuse(
                    "image_too_large",
                    f"the image is {width}×{height} pixels, more than the limit of {settings.max_image_pixels}",
                    width=width,
                    height=height,
                    limit=settings.max_image_pixels,
                )
            probe.verify()
        with Image.open(io.BytesIO(data), formats=[fmt]) as image:
            image.load()  # decodes every pixel: truncated or corrupt data fails here
    except ValidationFailed:
        raise
    except Exception as exc:  # Pillow's decoders raise OSError, SyntaxError, ValueError… on bad data
        raise _refuse(
            "image_broken", f"the {fmt} image is damaged or truncated ({exc})", format=fmt, reason=str(exc)[:200]
        ) from exc
    return f"{fmt} image {width}×{height}"


def _check_bmff(data: bytes) -> tuple[str, str]:
    """HEIC/HEIF: still-image brands only; the boxes must tile the file (no truncation, no junk)."""
    brand = data[8:12]
    if brand not in _HEIC_BRANDS | _HEIF_BRANDS:
        name = brand.decode("latin-1").strip()
        kind = "QuickTime video" if name == "qt" else f"video or media file (ISO-BMFF brand '{name}')"
        raise _not_allowed(kind)
    pos, boxes = 0, set()
    while pos < len(data):
        if pos + 8 > len(data):
            raise _refuse("image_broken", "the HEIF image is truncated", format="HEIF", reason="truncated")
        size = int.from_bytes(data[pos : pos + 4], "big")
        boxes.add(data[pos + 4 : pos + 8])
        if size == 1 and pos + 16 <= len(data):
            size = int.from_bytes(data[pos + 8 : pos + 16], "big")
        elif size == 0:
            size = len(data) - pos
        if size < 8 or pos + size > len(data):
            raise _refuse("image_broken", "the HEIF image is truncated or damaged", format="HEIF", reason="box size")
        pos += size
    if b"meta" not in boxes:
        raise _refuse("image_broken", "the HEIF file holds no image", format="HEIF", reason="no meta box")
    return (HEIC, "HEIC image") if brand in _HEIC_BRANDS else (HEIF, "HEIF image")


def _check_office(data: bytes, settings: Settings) -> tuple[str, str]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _refuse("archive_broken", f"the file is a damaged zip ({exc})", reason=str(exc)[:200]) from exc
    names = {i.filename for i in infos}
    kind = _office_kind(archive, names)
    if kind not in (DOCX, ODT):
        raise _not_allowed(kind)
    label = "DOCX document" if kind == DOCX else "ODT document"
    if len(infos) > settings.max_archive_entries:
        raise _refuse(
            "archive_bomb",
            f"the {label} has {len(infos)} parts, more than the limit of {settings.max_archive_entries}",
            reason="entries",
            limit=settings.max_archive_entries,
        )
    for info in infos:
        _check_member_name(info.filename)
        lowered = info.filename.lower()
        macro_part = lowered.rsplit("/", 1)[-1] in ("vbaproject.bin", "vbadata.xml")
        if macro_part or lowered.startswith(("basic/", "scripts/")):
            raise _refuse("office_macros", f"the {label} holds macros, which are not accepted", part=info.filename)
        if lowered.endswith(_ARCHIVE_SUFFIXES) or lowered.endswith((".docx", ".xlsx", ".pptx", ".odt", ".ods")):
            raise _refuse("archive_nested", f"the {label} holds another archive ({info.filename})", part=info.filename)
    if kind == DOCX:
        content_types = archive.read("[Content_Types].xml")
        if b"macroEnabled" in content_types or b"vbaProject" in content_types:
            raise _refuse("office_macros", "the DOCX document is macro-enabled (DOCM)", part="[Content_Types].xml")
    _unpack_within_limits(archive, infos, len(data), label, settings)
    return kind, label


def _office_kind(archive: zipfile.ZipFile, names: set[str]) -> str:
    if "mimetype" in names:
        try:
            mimetype = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
        except Exception:  # a mimetype part that cannot be read: judged as a plain zip below
            mimetype = ""
        if mimetype == ODT:
            if not {"content.xml", "META-INF/manifest.xml"} <= names:
                raise _refuse("office_broken", "the ODT document lacks required parts", format="ODT")
            return ODT
        return {
            "application/epub+zip": "EPUB book",
            "application/vnd.oasis.opendocument.spreadsheet": "ODS spreadsheet",
            "application/vnd.oasis.opendocument.presentation": "ODP presentation",
        }.get(mimetype, f"OpenDocument file ({mimetype[:60] or 'unknown'})")
    if "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            if "_rels/.rels" not in names:
                raise _refuse("office_broken", "the DOCX document lacks required parts", format="DOCX")
            return DOCX
        if "xl/workbook.xml" in names:
            return "XLSX spreadsheet"
        if "ppt/presentation.xml" in names:
            return "PPTX presentation"
        return "Office Open XML package"
    if "AndroidManifest.xml" in names:
        return "Android application (APK)"
    if "META-INF/MANIFEST.MF" in names:
        return "Java archive (JAR)"
    return "ZIP archive"


def _check_member_name(name: str) -> None:
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts or "\x00" in name:
        raise _refuse(
            "archive_path", f"the document holds a part with an unsafe path ({name[:100]!r})", part=name[:200]
        )


def _unpack_within_limits(
    archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], packed: int, label: str, settings: Settings
) -> None:
    """Read every part (checking CRCs) while counting what comes out: declared sizes can lie."""
    total = 0
    limit = min(settings.max_archive_unpacked_bytes, max(packed, 64 * 1024) * settings.max_archive_ratio)
    for info in infos:
        if info.is_dir():
            continue
        try:
            with archive.open(info) as member:
                first = True
                while chunk := member.read(64 * 1024):
                    if first:
                        if chunk.startswith(_ARCHIVE_MAGIC):
                            raise _refuse(
                                "archive_nested",
                                f"the {label} holds another archive ({info.filename})",
                                part=info.filename,
                            )
                        is_xml = info.filename.lower().endswith((".xml", ".rels"))
                        if is_xml and (b"<!ENTITY" in chunk or b"<!DOCTYPE" in chunk):
                            raise _refuse("archive_bomb", f"the {label} declares XML entities", reason="xml entities")
                        first = False
                    total += len(chunk)
                    if total > limit:
                        raise _refuse(
                            "archive_bomb",
                            f"the {label} unpacks to more than {limit} bytes (a zip bomb?)",
                            reason="size",
                            limit=limit,
                        )
        except ValidationFailed:
            raise
        except Exception as exc:  # bad CRC, unsupported compression, truncated stream
            raise _refuse("archive_broken", f"the {label} is damaged ({exc})", reason=str(exc)[:200]) from exc


def display_name(name: str | None) -> str | None:
    """A file name fit to show: the last path component, NFC, without control characters, bidi
    overrides or lone surrogates, not a dot-name, at most 200 characters (keeping the extension)."""
    if not name:
        return None
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if not _is_junk(ch) and unicodedata.category(ch) not in ("Cc", "Zl", "Zp"))
    name = " ".join(name.split()).strip(" .")
    if not name or name.strip(".") == "":
        return None
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:20] if dot and stem else ""
        name = (name[: 199 - len(ext)] + "." + ext) if ext else name[:200]
    return name


def clean_title(title: str) -> str:
    """A title on one line: whitespace collapsed, control characters, bidi overrides and lone
    surrogates dropped, at most 300 characters."""
    title = unicodedata.normalize("NFC", title)
    title = "".join(" " if ch in "\t\n\r\f" else ch for ch in title if ch in "\t\n\r\f" or not _is_junk(ch))
    return " ".join(title.split())[:300]
