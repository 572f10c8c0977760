"""Content-addressed storage for evidence and issued documents.

``EvidenceStore`` is the interface; ``LocalContentStore`` keeps blobs under a root directory as
``ab/cd/<sha256>``, writes through a temporary file and an atomic link (never overwriting), and
verifies the hash on every read. An S3-compatible backend implements the same three methods.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from ivc.errors import IntegrityFailure, NotFound, ValidationFailed

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StoredBlob:
    key: str  # the sha256 hex digest
    size: int


class EvidenceStore(Protocol):
    def put(self, stream: BinaryIO, max_bytes: int | None = None) -> StoredBlob: ...

    def put_bytes(self, data: bytes) -> StoredBlob: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...


def _check_key(key: str) -> str:
    if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
        raise ValidationFailed(f"not a content key: {key!r}", field="key")
    return key


class LocalContentStore:
    """Blobs on a local (or shared, e.g. NFS) filesystem."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "tmp").mkdir(exist_ok=True)

    def _path(self, key: str) -> Path:
        key = _check_key(key)
        return self.root / key[:2] / key[2:4] / key

    def put(self, stream: BinaryIO, max_bytes: int | None = None) -> StoredBlob:
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.root / "tmp")
        try:
            with os.fdopen(fd, "wb") as tmp:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise ValidationFailed(
                            f"file is larger than the limit of {max_bytes} bytes", field="file", limit=max_bytes
                        )
                    digest.update(chunk)
                    tmp.write(chunk)
                tmp.flush()
                os.fsync(tmp.fileno())
            key = digest.hexdigest()
            final = self._path(key)
            final.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(tmp_name, final)  # atomic; fails if the blob exists: never overwrite
            except FileExistsError:
                pass
            return StoredBlob(key, size)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)

    def put_bytes(self, data: bytes) -> StoredBlob:
        return self.put(io.BytesIO(data))

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise NotFound(f"no stored content {key}", entity="blob", key=key) from exc
        if hashlib.sha256(data).hexdigest() != key:
            raise IntegrityFailure(f"stored content {key} does not match its hash", key=key)
        return data

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


class S3ContentStore:
    """Blobs in an S3-compatible bucket (AWS S3, MinIO, Ceph…), same keys and guarantees: the
    content is hashed while spooled to a temporary file, uploaded only if the key is absent, and
    verified on every read. Credentials come from the standard AWS environment or profile."""

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None, client: Any = None) -> None:
        if client is None:
            import boto3

            client = boto3.client("s3", endpoint_url=endpoint_url)
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")

    def _key(self, key: str) -> str:
        key = _check_key(key)
        return "/".join(p for p in (self.prefix, key[:2], key[2:4], key) if p)

    def put(self, stream: BinaryIO, max_bytes: int | None = None) -> StoredBlob:
        digest = hashlib.sha256()
        size = 0
        with tempfile.TemporaryFile() as tmp:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise ValidationFailed(
                        f"file is larger than the limit of {max_bytes} bytes", field="file", limit=max_bytes
                    )
                digest.update(chunk)
                tmp.write(chunk)
            key = digest.hexdigest()
            if not self.exists(key):  # never overwrite: the same key always holds the same bytes
                tmp.seek(0)
                self.client.upload_fileobj(tmp, self.bucket, self._key(key))
        return StoredBlob(key, size)

    def put_bytes(self, data: bytes) -> StoredBlob:
        return self.put(io.BytesIO(data))

    def get(self, key: str) -> bytes:
        try:
            data: bytes = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except self.client.exceptions.NoSuchKey as exc:
            raise NotFound(f"no stored content {key}", entity="blob", key=key) from exc
        if hashlib.sha256(data).hexdigest() != key:
            raise IntegrityFailure(f"stored content {key} does not match its hash", key=key)
        return data

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise


def get_store() -> EvidenceStore:
    """The configured store: the local directory (default) or an S3-compatible bucket."""
    from ivc.config import get_settings

    settings = get_settings()
    if settings.evidence_backend == "s3":
        if not settings.s3_bucket:
            raise ValidationFailed("IVC_EVIDENCE_BACKEND=s3 needs IVC_S3_BUCKET", field="s3_bucket")
        return S3ContentStore(settings.s3_bucket, settings.s3_prefix, settings.s3_endpoint_url)
    return LocalContentStore(settings.resolved_evidence_dir)
