"""The content-addressed evidence store: verified reads, no overwrite, limits."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from sqlmodel import Session

from ivc.case.states import CaseState
from ivc.errors import IntegrityFailure, NotFound, PermissionDenied, ValidationFailed
from ivc.evidence import service as evidence
from ivc.evidence.models import EvidenceType
from ivc.evidence.storage import LocalContentStore

from .helpers import advance_to, staff


def test_content_is_addressed_by_its_sha256_and_read_back_verified(tmp_path: Path) -> None:
    store = LocalContentStore(tmp_path)
    blob = store.put(io.BytesIO(b"attestato di lavoro"))
    assert blob.key == hashlib.sha256(b"attestato di lavoro").hexdigest()
    assert store.get(blob.key) == b"attestato di lavoro"
    assert store.put(io.BytesIO(b"attestato di lavoro")) == blob  # idempotent
    assert not list((tmp_path / "tmp").iterdir())


def test_tampered_content_is_detected(tmp_path: Path) -> None:
    store = LocalContentStore(tmp_path)
    blob = store.put(io.BytesIO(b"payslip"))
    path = next(p for p in tmp_path.rglob(blob.key))
    path.write_bytes(b"paysl1p")
    with pytest.raises(IntegrityFailure):
        store.get(blob.key)


def test_keys_are_never_paths(tmp_path: Path) -> None:
    store = LocalContentStore(tmp_path)
    with pytest.raises(ValidationFailed):
        store.get("../../etc/passwd")
    with pytest.raises(NotFound):
        store.get("0" * 64)


def test_an_oversized_upload_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    store = LocalContentStore(tmp_path)
    with pytest.raises(ValidationFailed, match="larger than the limit"):
        store.put(io.BytesIO(b"x" * 5000), max_bytes=4096)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_the_same_file_twice_on_a_case_is_one_evidence_item(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    first = evidence.add_evidence(
        session,
        case,
        b"%PDF-1.4 dichiarazione",
        title="Dichiarazione del datore",
        evidence_type=EvidenceType.EMPLOYER_STATEMENT,
        media_type="application/pdf",
        actor=actors["op3"],
        filename="../../etc/dichiarazione.pdf",
    )
    again = evidence.add_evidence(
        session,
        case,
        b"%PDF-1.4 dichiarazione",
        title="Dichiarazione (copia)",
        evidence_type=EvidenceType.EMPLOYER_STATEMENT,
        media_type="application/pdf",
        actor=actors["op3"],
    )
    assert first.id == again.id
    assert first.display_name == "dichiarazione.pdf"
    with pytest.raises(PermissionDenied):
        evidence.add_evidence(
            session,
            case,
            b"x",
            title="t",
            evidence_type=EvidenceType.PHOTO_OR_VIDEO,
            media_type="image/png",
            actor=actors["op1"],
        )
