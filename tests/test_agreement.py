"""The service agreement: its text is versioned data, and what is recorded says which version and
language the person signed, the agreed calendar as dates, and how it was signed."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session

from ivc.agreement import service as agreements
from ivc.agreement import texts
from ivc.config import get_settings
from ivc.errors import DomainError, IntegrityFailure, NotFound, ValidationFailed
from ivc.evidence.models import EvidenceType
from ivc.evidence.service import add_evidence

from .helpers import new_case, staff, tiny_pdf


def test_the_text_is_versioned_data_italian_first_with_english() -> None:
    version = texts.current_version()
    assert {"it", "en"} <= set(texts.languages(version))
    italian = texts.text(version, "it")
    assert "Dichiarazione di veridicità" in italian and "controlli a campione" in italian
    assert "Declaration of truthfulness" in texts.text(version, "en")
    assert texts.pick_language(version, "ar") == "it"  # no Arabic text: Italian, explained by the mediator
    with pytest.raises(NotFound, match="no 'ar' text"):
        texts.text(version, "ar")
    with pytest.raises(NotFound, match="no service agreement text valid"):
        texts.current_version(date(2000, 1, 1))


def test_the_signed_version_language_and_calendar_are_recorded(session: Session) -> None:
    actors = staff(session)
    case = new_case(session, actors)  # interview language Arabic
    op = actors["op3"]
    prepared = agreements.prepare(session, case, case.interview_language, op)
    assert (prepared.text_version, prepared.language) == (texts.current_version(), "it")
    with pytest.raises(ValidationFailed, match="calendar entry 2"):
        agreements.sign(
            session, case, op, how="click", declaration_of_truth=True, informed_of_sample_checks=True,
            calendar_dates=[{"date": "2031-03-03", "what": "colloquio"}, {"date": "3 marzo", "what": "colloquio"}],
        )  # fmt: skip
    signed = agreements.sign(
        session,
        case,
        op,
        how="click",
        declaration_of_truth=True,
        informed_of_sample_checks=True,
        language="en",
        calendar_dates=[
            {"date": "2031-03-10", "time": "10:00", "what": "secondo colloquio", "where": "Genova"},
            {"date": "2031-03-03", "time": "09:30", "what": "primo colloquio con mediatrice"},
        ],
    )
    assert (signed.language, signed.signed_how, signed.declaration_of_truth) == ("en", "click", True)
    assert signed.text_sha256 == texts.digest(texts.text(signed.text_version, "en"))
    assert [d["date"] for d in signed.calendar_dates or []] == ["2031-03-03", "2031-03-10"]
    assert signed.calendar_dates and signed.calendar_dates[1]["where"] == "Genova"
    assert "Declaration of truthfulness" in agreements.agreement_text(signed)


def test_a_paper_signature_keeps_the_scan_of_this_case(session: Session) -> None:
    actors = staff(session)
    case, other = new_case(session, actors), new_case(session, actors)
    op = actors["op3"]
    kwargs = {"how": "paper", "declaration_of_truth": True, "informed_of_sample_checks": True}
    with pytest.raises(DomainError, match="scanned"):
        agreements.sign(session, case, op, **kwargs)  # type: ignore[arg-type]
    scan = add_evidence(
        session, other, tiny_pdf("scan"), title="Patto firmato", evidence_type=EvidenceType.DOCUMENT,
        media_type="application/pdf", actor=op,
    )  # fmt: skip
    with pytest.raises(ValidationFailed, match="not of case"):
        agreements.sign(session, case, op, scan_evidence_id=scan.id, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(DomainError, match="declare"):
        agreements.sign(session, other, op, how="click", declaration_of_truth=False, informed_of_sample_checks=True)
    signed = agreements.sign(session, other, op, scan_evidence_id=scan.id, **kwargs)  # type: ignore[arg-type]
    assert (signed.signed_how, signed.scan_evidence_id) == ("paper", scan.id)


def test_a_text_changed_after_signature_is_detected(session: Session, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    actors = staff(session)
    case = new_case(session, actors)
    signed = agreements.sign(
        session, case, actors["op3"], how="click", declaration_of_truth=True, informed_of_sample_checks=True
    )
    copy = tmp_path / "reference"
    shutil.copytree(get_settings().reference_dir, copy)
    monkeypatch.setattr(get_settings(), "reference_dir", copy)
    assert agreements.agreement_text(signed) == texts.text(signed.text_version, signed.language)
    page = copy / "agreements" / signed.text_version / f"{signed.language}.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nClausola aggiunta dopo.\n", encoding="utf-8")
    with pytest.raises(IntegrityFailure, match="changed after it was signed"):
        agreements.agreement_text(signed)
