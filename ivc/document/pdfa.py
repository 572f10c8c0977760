"""Make a rendered document an archival PDF/A-3b file (ISO 19005-3, level B), deterministically.

What reportlab's output lacks is added with pypdf: the PDF/A identification in XMP metadata
(``pdfaid:part`` 3, ``conformance`` B) agreeing with the document information dictionary, whose
CreationDate is the issue date (the same payload still gives the same bytes); an sRGB output intent
(``certificates/icc/sRGB.icc``); and the signed JSON twin as an *associated file* of the document
(``/AF``, ``AFRelationship /Data``, MIME type ``application/json``). Fonts are embedded by the
renderer (no standard-14 font is used, not even reportlab's initial Helvetica).
"""

from __future__ import annotations

import io
import json
from datetime import datetime
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from ivc.config import get_settings

ICC = "icc/sRGB.icc"
PDF_HEADER = b"%PDF-1.7"


@lru_cache(maxsize=1)
def srgb_profile() -> bytes:
    return (get_settings().certificates_dir / ICC).read_bytes()


def pdf_date(moment: datetime) -> str:
    """``D:YYYYMMDDHHmmSS+00'00'`` (PDF date string, UTC)."""
    return moment.strftime("D:%Y%m%d%H%M%S+00'00'")


def xmp(*, title: str, author: str, subject: str, created: datetime, producer: str, lang: str) -> bytes:
    """XMP packet with the PDF/A-3B identification and the same metadata as the Info dictionary."""
    stamp = created.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    t, a, s, p = (escape(x) for x in (title, author, subject, producer))
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>3</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{t}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{a}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{s}</rdf:li></rdf:Alt></dc:description>
   <dc:language><rdf:Bag><rdf:li>{escape(lang)}</rdf:li></rdf:Bag></dc:language>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:CreateDate>{stamp}</xmp:CreateDate>
   <xmp:ModifyDate>{stamp}</xmp:ModifyDate>
   <xmp:MetadataDate>{stamp}</xmp:MetadataDate>
   <xmp:CreatorTool>{p}</xmp:CreatorTool>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdf:Producer>{p}</pdf:Producer>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()


def archival(
    pdf: bytes,
    *,
    title: str,
    author: str,
    subject: str,
    created: datetime,
    attachment: dict[str, Any] | None = None,
    attachment_name: str = "ivc-document.json",
    lang: str = "it-IT",
) -> bytes:
    """``pdf`` as PDF/A-3b, with ``attachment`` (if any) as its associated JSON file."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.pdf_header = PDF_HEADER
    producer = "ivc"
    writer.add_metadata(
        {
            "/Title": title,
            "/Author": author,
            "/Subject": subject,
            "/Creator": producer,
            "/Producer": producer,
            "/CreationDate": pdf_date(created),
            "/ModDate": pdf_date(created),
        }
    )
    root = writer._root_object
    metadata = DecodedStreamObject()
    metadata.set_data(xmp(title=title, author=author, subject=subject, created=created, producer=producer, lang=lang))
    metadata.update({NameObject("/Type"): NameObject("/Metadata"), NameObject("/Subtype"): NameObject("/XML")})
    root[NameObject("/Metadata")] = writer._add_object(metadata)
    root[NameObject("/Lang")] = TextStringObject(lang)

    profile = DecodedStreamObject()
    profile.set_data(srgb_profile())
    profile[NameObject("/N")] = NumberObject(3)
    intent = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/OutputIntent"),
            NameObject("/S"): NameObject("/GTS_PDFA1"),
            NameObject("/OutputConditionIdentifier"): TextStringObject("sRGB IEC61966-2.1"),
            NameObject("/Info"): TextStringObject("sRGB IEC61966-2.1"),
            NameObject("/DestOutputProfile"): writer._add_object(profile),
        }
    )
    root[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(intent)])

    if attachment is not None:
        data = json.dumps(attachment, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
        embedded = writer.add_attachment(attachment_name, data)
        embedded.subtype = NameObject("/application/json")
        embedded.associated_file_relationship = NameObject("/Data")
        embedded.description = TextStringObject("Documento informatico firmato (eddsa-jcs-2022) / signed document")
        embedded.modification_date = created
        embedded.pdf_object[NameObject("/UF")] = TextStringObject(attachment_name)
        root[NameObject("/AF")] = ArrayObject([embedded.pdf_object.indirect_reference])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
