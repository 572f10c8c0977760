"""Archivable documents: PDF/A-3b identification, output intent, every font embedded, the issue
date as CreationDate, the signed JSON as an associated file — read back from the issued files."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from datetime import datetime

import pytest
from pypdf import PdfReader
from sqlmodel import Session

from ivc.case import service as cases
from ivc.case.states import CaseState
from ivc.document.models import IssuedDocument
from ivc.document.pdfa import pdf_date
from ivc.document.render import render_pdf
from ivc.evidence.storage import get_store

from .helpers import advance_to, staff


@pytest.fixture()
def issued(session: Session) -> list[IssuedDocument]:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.CLOSED)
    session.commit()
    return cases.issued_documents(session, case.id or 0)


def test_each_document_declares_pdfa_3b_and_carries_what_it_requires(issued: list[IssuedDocument]) -> None:
    assert len(issued) == 3
    for doc in issued:
        pdf = get_store().get(doc.sha256)
        assert pdf.startswith(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3")  # PDF 1.7 with a binary comment line
        reader = PdfReader(io.BytesIO(pdf))
        root = reader.trailer["/Root"]
        xmp = root["/Metadata"].get_object()
        assert xmp["/Subtype"] == "/XML"
        packet = xmp.get_data().decode("utf-8")
        assert "<pdfaid:part>3</pdfaid:part>" in packet and "<pdfaid:conformance>B</pdfaid:conformance>" in packet
        # CreationDate is the issue date, the same in the Info dictionary and in XMP.
        issued_at = datetime.fromisoformat(doc.payload["issued_at"])
        assert reader.metadata is not None and reader.metadata["/CreationDate"] == pdf_date(issued_at)
        assert f"<xmp:CreateDate>{issued_at:%Y-%m-%dT%H:%M:%S}+00:00</xmp:CreateDate>" in packet
        assert f'<rdf:li xml:lang="x-default">{reader.metadata["/Title"]}</rdf:li>' in packet
        # Output intent: sRGB, a real ICC profile with three components.
        (intent,) = [i.get_object() for i in root["/OutputIntents"]]
        assert intent["/S"] == "/GTS_PDFA1"
        profile = intent["/DestOutputProfile"].get_object()
        icc = profile.get_data()
        assert profile["/N"] == 3 and icc[36:40] == b"acsp" and icc[16:20] == b"RGB "
        # The signed JSON twin as an associated file of the document.
        (spec,) = [a.get_object() for a in root["/AF"]]
        assert spec["/AFRelationship"] == "/Data" and spec["/F"] == spec["/UF"] == "ivc-document.json"
        stream = spec["/EF"]["/F"].get_object()
        assert stream["/Subtype"] == "/application/json"
        assert json.loads(stream.get_data()) == doc.credentials["twin"]
        # No encryption, no JavaScript.
        assert "/Encrypt" not in reader.trailer and "/JavaScript" not in str(root.get("/Names", {}))


def test_pdffonts_shows_every_font_embedded(issued: list[IssuedDocument], tmp_path) -> None:  # type: ignore[no-untyped-def]
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) is not installed")
    for doc in issued:
        path = tmp_path / f"{doc.doc_type}.pdf"
        path.write_bytes(get_store().get(doc.sha256))
        out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
        rows = out.splitlines()[2:]
        assert rows, out
        for row in rows:
            name, emb = row.split()[0], row.split()[-5]
            assert emb == "yes", (doc.doc_type, name, out)
        assert "Helvetica" not in out


def test_pdfa_rendering_stays_deterministic(issued: list[IssuedDocument]) -> None:
    doc = issued[-1]
    once = render_pdf(doc.payload, "ar", attachment=doc.credentials["twin"])
    assert once == render_pdf(doc.payload, "ar", attachment=doc.credentials["twin"]) == get_store().get(doc.sha256)
