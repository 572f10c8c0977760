"""One bad case never stops a batch: a poisoned evidence file, or any error in a case's step, is
recorded on that case (what, when, a reference for support) and the other cases finish.

(Issue #21, point 1: a PDF whose stream length refers to itself, accepted by an older upload check,
made ``evidence_text`` raise ``LimitReachedError`` and the batch issue none of its documents.)
"""

from __future__ import annotations

import io
import zlib

import pytest
from sqlmodel import Session, select

from ivc.audit.models import AuditEvent
from ivc.auth.roles import Actor
from ivc.case.models import Case
from ivc.case.states import CaseState
from ivc.claim.models import CompetenceClaim
from ivc.database.core import session_scope
from ivc.errors import ValidationFailed
from ivc.evidence.extract import extract_text
from ivc.evidence.models import EvidenceItem, EvidenceKind, EvidenceType
from ivc.evidence.safety import check_upload
from ivc.evidence.storage import get_store
from ivc.experience.service import add_experience
from ivc.flows import tasks
from ivc.flows.rounds import advance_now

from .helpers import EXPERIENCE, advance_to, staff


def _pdf(content: bytes) -> bytes:
    """A one-page PDF whose page content object (4 0 obj) is ``content`` (dictionary and stream)."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        content,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def self_length_pdf() -> bytes:
    """The stream's /Length is the stream object itself."""
    return _pdf(b"<< /Length 4 0 R >>\nstream\nBT /F1 12 Tf 72 720 Td (ciao) Tj ET\nendstream")


def double_flate_bomb_pdf(size: int = 300_000_000) -> bytes:
    """300 MB of zeros compressed twice: about a kilobyte."""
    packed = zlib.compress(zlib.compress(b"\x00" * size, 9), 9)
    head = f"<< /Length {len(packed)} /Filter [/FlateDecode /FlateDecode] >>\nstream\n".encode()
    return _pdf(head + packed + b"\nendstream")


def _smuggle(session: Session, case: Case, data: bytes, actor: Actor) -> EvidenceItem:
    """Evidence stored as an older, laxer upload check accepted it (around today's check)."""
    blob = get_store().put(io.BytesIO(data))
    item = EvidenceItem(
        case_id=case.id or 0,
        kind=EvidenceKind.FILE.value,
        evidence_type=EvidenceType.DOCUMENT.value,
        title="Attestato avvelenato",
        sha256=blob.key,
        size=blob.size,
        media_type="application/pdf",
        storage_key=blob.key,
        created_by=actor.username,
        territory=case.territory,
    )
    session.add(item)
    session.flush()
    return item


def _three_cases_in_identification(session: Session) -> tuple[list[int], dict[str, Actor]]:
    actors = staff(session)
    ids = []
    for _ in range(3):
        case = advance_to(session, actors, CaseState.IDENTIFICATION)
        add_experience(session, case, EXPERIENCE, actors["op3"])
        ids.append(case.id or 0)
    session.commit()
    return ids, actors


@pytest.mark.parametrize("poison", [self_length_pdf, double_flate_bomb_pdf], ids=["self-length", "flate-bomb"])
def test_a_poisoned_pdf_is_refused_at_upload_and_reads_as_no_text(poison: object) -> None:
    data = poison()  # type: ignore[operator]
    with pytest.raises(ValidationFailed) as refused:
        check_upload(data, "application/pdf")
    assert refused.value.code == "upload_pdf_broken"
    read = extract_text(data, "application/pdf")
    assert read.text is None and read.failed and read.note and "LimitReachedError" in read.note


def test_a_poisoned_evidence_file_stops_only_its_own_case(session: Session) -> None:
    ids, actors = _three_cases_in_identification(session)
    poisoned = session.get(Case, ids[1])
    assert poisoned is not None
    item = _smuggle(session, poisoned, self_length_pdf(), actors["op3"])
    session.commit()

    waiting = advance_now(ids)

    assert all(waiting[cid] for cid in ids), waiting  # every case, the poisoned one too, went on to wait
    with session_scope() as s:
        for cid in ids:  # the interview of each case was mapped
            assert s.exec(select(CompetenceClaim).where(CompetenceClaim.case_id == cid)).first() is not None
        shown = s.get(Case, ids[1])
        assert shown is not None and shown.attention
        assert "Attestato avvelenato" in shown.attention and "LimitReachedError" in shown.attention
        assert all((c := s.get(Case, cid)) is not None and not c.attention for cid in (ids[0], ids[2]))
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "evidence.text_unreadable")).one()
        assert event.entity_id == str(item.id) and event.case_id == ids[1]
    assert advance_now(ids) == waiting  # and a rerun neither crashes nor repeats the note


def test_an_error_in_one_case_is_recorded_on_it_and_the_flow_goes_on(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ivc.flows.phases import identification_flow

    ids, _ = _three_cases_in_identification(session)
    real = tasks.suggest_competences

    def broken_for_one(case_id: int) -> int:
        if case_id == ids[1]:
            tasks._current_step.set("suggest:broken")
            raise RuntimeError("a bug in one case's step")
        return real(case_id)

    monkeypatch.setattr(tasks, "suggest_competences", broken_for_one)
    waiting = identification_flow(ids)  # the real Prefect flow

    assert waiting[ids[1]] is None and waiting[ids[0]] and waiting[ids[2]]
    with session_scope() as s:
        failed = s.get(Case, ids[1])
        assert failed is not None and failed.attention
        assert "suggest:broken" in failed.attention and "RuntimeError" in failed.attention
        assert "a bug" not in failed.attention  # the kind of error, never its message
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "case.step_failed")).one()
        after = event.after or {}
        assert event.case_id == ids[1] and after["step"] == "suggest:broken"
        assert after["ref"] in failed.attention and after["at"]
        for cid in (ids[0], ids[2]):
            assert s.exec(select(CompetenceClaim).where(CompetenceClaim.case_id == cid)).first() is not None

    monkeypatch.setattr(tasks, "suggest_competences", real)
    assert advance_now([ids[1]])[ids[1]]  # fixed: the rerun goes through and the note goes
    with session_scope() as s:
        again = s.get(Case, ids[1])
        assert again is not None and again.attention is None


def test_a_broken_pdf_that_needs_repair_is_refused() -> None:
    from .test_upload_safety import pdf_bytes

    good = pdf_bytes(1)
    check_upload(good, "application/pdf")
    shifted = good.replace(b"\n1 0 obj", b"\n%" + b"x" * 40 + b"\n1 0 obj", 1)  # every xref offset now wrong
    assert shifted != good
    with pytest.raises(ValidationFailed) as refused:
        check_upload(shifted, "application/pdf")
    assert refused.value.code == "upload_pdf_broken" and "repair" in refused.value.params["reason"]


def test_upload_typing_holes_are_closed() -> None:
    from .test_upload_safety import pdf_bytes

    for data, code in [
        (
            b"<html><body>ciao</body></html>\n" + _pdf(b"<< /Length 5 >>\nstream\nBT ET\nendstream"),
            "upload_type_not_allowed",
        ),
        (b"<html><body>ciao</body></html>\n" + pdf_bytes(1), "upload_text_encoding"),  # HTML, then binary
        (b"\xff\xd8\xff<?php system($_GET['c']); ?>", "upload_image_broken"),
        (b"foto <?php echo 1; ?>", "upload_type_not_allowed"),
        (b"\xef\xbb\xbf", "upload_empty"),
        (b"\xef\xbb\xbf \n\t", "upload_empty"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            check_upload(data, "image/jpeg")
        assert refused.value.code == code, data[:40]
