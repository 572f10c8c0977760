"""The PAdES seal as the demo uses it: a demo certificate, clearly marked as such in its subject, on
the page and by ``ivc verify``, which checks the seal (intact, valid, whose, demo or not)."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlmodel import Session
from typer.testing import CliRunner

from ivc.case import service as cases
from ivc.case.states import CaseState
from ivc.config import get_settings, reset_settings
from ivc.document import pades
from ivc.document.render import embedded_json
from ivc.document.verify import Verdict, verify_bytes
from ivc.evidence.storage import get_store

from .helpers import advance_to, staff


@pytest.fixture()
def demo_seal(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv("IVC_PADES_PKCS12_FILE", raising=False)
    monkeypatch.delenv("IVC_PADES_PKCS12_PASSWORD", raising=False)
    reset_settings()
    path = pades.use_demo_seal()
    assert path is not None
    try:
        yield path
    finally:  # use_demo_seal set them in os.environ itself: monkeypatch would put them back
        os.environ.pop("IVC_PADES_PKCS12_FILE", None)
        os.environ.pop("IVC_PADES_PKCS12_PASSWORD", None)
        reset_settings()


def test_the_demo_seals_with_a_demo_certificate_and_verify_checks_it(
    session: Session, demo_seal: Path, tmp_path: Path
) -> None:
    assert demo_seal.stat().st_mode & 0o777 == 0o600 and demo_seal.is_relative_to(get_settings().data_dir)
    assert pades.enabled() and pades.is_demo()
    assert pades.use_demo_seal() is None  # configured: kept as it is
    actors = staff(session)
    case = advance_to(session, actors, CaseState.TRANSPARENCY_ISSUED)
    session.commit()
    doc = cases.issued_documents(session, case.id or 0)[0]
    pdf = get_store().get(doc.sha256)
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "DIMOSTRATIVO: sigillo apposto con un certificato di prova" in text  # on the page
    assert "sigillo elettronico dell'ente sul PDF (PAdES)" in text
    assert embedded_json(pdf) is not None

    seal = pades.seal_status(pdf)
    assert seal is not None and seal["intact"] and seal["valid"] and seal["whole_file"]
    assert seal["demo"] and "NOT VALID" in seal["signer"] and seal["ours"]
    result = verify_bytes(session, pdf)
    assert result.verdict is Verdict.VALID and "DEMO certificate, of no legal value" in result.reason
    assert result.seal["demo"] is True

    # One byte changed inside what the seal covers: the seal is broken, whatever else.
    i = pdf.index(b"/Producer")
    forged = pdf[:i] + b"/Producex" + pdf[i + 9 :]
    broken = verify_bytes(session, forged)
    assert broken.verdict is Verdict.TAMPERED and "seal is broken" in broken.reason

    # And on the command line.
    from ivc.cli.main import app

    path = tmp_path / "sealed.pdf"
    path.write_bytes(pdf)
    out = CliRunner().invoke(app, ["verify", str(path), "--json"])
    assert out.exit_code == 0, out.output
    answer = json.loads(out.output)
    assert answer["verdict"] == "valid" and answer["seal"]["demo"] is True and "DEMO" in answer["reason"]


def test_an_unsealed_pdf_reports_no_seal(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.TRANSPARENCY_ISSUED)
    session.commit()
    pdf = get_store().get(cases.issued_documents(session, case.id or 0)[0].sha256)
    assert pades.seal_status(pdf) is None
    result = verify_bytes(session, pdf)
    assert result.verdict is Verdict.VALID and result.seal == {} and "PAdES" not in result.reason
