"""The content-addressed evidence store: verified reads, no overwrite, limits."""

from __future__ import annotations

import hashlib
import io
import uuid
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
        b"Dichiarazione del datore: ha lavorato da noi.",
        title="Dichiarazione del datore",
        evidence_type=EvidenceType.EMPLOYER_STATEMENT,
        media_type="text/plain",
        actor=actors["op3"],
        filename="../../etc/dichiarazione.txt",
    )
    again = evidence.add_evidence(
        session,
        case,
        b"Dichiarazione del datore: ha lavorato da noi.",
        title="Dichiarazione (copia)",
        evidence_type=EvidenceType.EMPLOYER_STATEMENT,
        media_type="text/plain",
        actor=actors["op3"],
    )
    assert first.id == again.id
    assert first.display_name == "dichiarazione.txt"
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


@pytest.fixture()
def s3_store():  # type: ignore[no-untyped-def]
    """An S3-compatible server on 127.0.0.1 (moto), a bucket, and ivc's S3 store on it."""
    moto_server = pytest.importorskip("moto.server")
    import boto3

    from ivc.evidence.storage import S3ContentStore
    from ivc.ops.cluster import free_port

    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        client = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="eu-south-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        bucket = f"ivc-evidence-{uuid.uuid4().hex[:8]}"
        client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-south-1"})
        yield S3ContentStore(bucket, "liguria", client=client), client
    finally:
        server.stop()


def test_the_s3_backend_keeps_the_same_guarantees(s3_store) -> None:  # type: ignore[no-untyped-def]
    store, client = s3_store
    blob = store.put(io.BytesIO(b"busta paga marzo"))
    assert blob.key == hashlib.sha256(b"busta paga marzo").hexdigest()
    assert store.exists(blob.key) and store.get(blob.key) == b"busta paga marzo"
    assert store.put_bytes(b"busta paga marzo") == blob  # idempotent, not re-uploaded
    object_key = f"liguria/{blob.key[:2]}/{blob.key[2:4]}/{blob.key}"
    client.put_object(Bucket=store.bucket, Key=object_key, Body=b"busta paga MARZO")  # tampered behind our back
    with pytest.raises(IntegrityFailure):
        store.get(blob.key)
    with pytest.raises(NotFound):
        store.get("1" * 64)
    with pytest.raises(ValidationFailed, match="larger than the limit"):
        store.put(io.BytesIO(b"x" * 5000), max_bytes=4096)
    assert not store.exists(hashlib.sha256(b"x" * 5000).hexdigest())


def test_issuing_a_document_works_on_the_s3_backend(session: Session, s3_store) -> None:  # type: ignore[no-untyped-def]
    from ivc.case.states import DocumentType
    from ivc.document.render import render_pdf

    store, _ = s3_store
    actors = staff(session)
    case = advance_to(session, actors, CaseState.VALIDATION)
    from ivc.case import service as cases

    transparency = cases.issued_documents(session, case.id or 0)[0]
    again = render_pdf(transparency.payload, transparency.languages[1], attachment=transparency.credentials["twin"])
    assert store.put_bytes(again).key == transparency.sha256  # the same bytes, the same key, on S3 too
    assert DocumentType(transparency.doc_type) is DocumentType.TRANSPARENCY
