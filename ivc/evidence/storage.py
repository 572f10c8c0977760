"""Content-addressed storage for evidence and issued documents.

``EvidenceStore`` is the interface; ``LocalContentStore`` keeps blobs under a root directory as
``ab/cd/<sha256>``, writes through a temporary file and an atomic link (never overwriting), and
verifies the hash on every read. An S3-compatible backend implements the same methods.

A full disk (``ENOSPC``/``EDQUOT``) surfaces as ``StorageFull`` and leaves nothing behind: the
temporary file is removed and no blob appears under its key, so the upload can simply be retried
once space is freed. A process killed mid-write leaves at most a temporary file under ``tmp/``,
which no listing shows and which the store sweeps once it is a day old.

With a ``BlobCipher`` (what ``get_store`` gives) the stored bytes are sealed with the active data
key; the key stays the sha256 of the *plaintext*, so deduplication and the integrity check (after
opening) work as before, and legacy plaintext blobs still read. ``reseal`` rewrites one blob under
the active key (key rotation); ``delete`` exists for erasure of blobs no record references.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from ivc.crypto.blobs import BlobCipher
from ivc.crypto.blobs import key_id_of as _sealed_with
from ivc.errors import IntegrityFailure, NotFound, StorageFull, ValidationFailed
from ivc.faults import failpoint

log = logging.getLogger(__name__)

_CHUNK = 1024 * 1024
_STALE_TMP_SECONDS = 24 * 3600  # older than any upload in progress: left by a killed process
_FULL = (errno.ENOSPC, errno.EDQUOT)


@dataclass(frozen=True)
class StoredBlob:
    key: str  # the sha256 hex digest
    size: int


class EvidenceStore(Protocol):
    def put(self, stream: BinaryIO, max_bytes: int | None = None) -> StoredBlob: ...

    def put_bytes(self, data: bytes) -> StoredBlob: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def sealed_with(self, key: str) -> str | None: ...

    def reseal(self, key: str) -> bool: ...

    def delete(self, key: str) -> bool: ...

    def iter_keys(self) -> Iterator[str]: ...


def _check_key(key: str) -> str:
    if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
        raise ValidationFailed(f"not a content key: {key!r}", field="key")
    return key


def _too_large(max_bytes: int) -> ValidationFailed:
    return ValidationFailed(f"file is larger than the limit of {max_bytes} bytes", field="file", limit=max_bytes)


def _copy_hashing(stream: BinaryIO, write: Callable[[bytes], object], max_bytes: int | None) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise _too_large(max_bytes)
        digest.update(chunk)
        write(chunk)
    return digest.hexdigest(), size


def _read_all(stream: BinaryIO, max_bytes: int | None) -> bytes:
    buffer = io.BytesIO()
    _copy_hashing(stream, buffer.write, max_bytes)
    return buffer.getvalue()


def _write_chunk(out: BinaryIO, chunk: bytes | memoryview) -> None:
    """Where blob bytes reach the local disk, a chunk at a time (crash tests stop here)."""
    out.write(chunk)
    failpoint("evidence_mid_write")


@contextlib.contextmanager
def _full_disk_is_storage_full(where: str) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        if exc.errno not in _FULL:
            raise
        log.error("evidence store full at %s: %s", where, exc)
        raise StorageFull(
            "the evidence store has no space left: nothing was saved; free some space (or raise the quota) "
            "and upload the file again",
            code="storage_full",
        ) from exc


def _open(cipher: BlobCipher | None, raw: bytes, key: str) -> bytes:
    data = cipher.open(raw, key) if cipher is not None else raw
    if hashlib.sha256(data).hexdigest() != key:
        raise IntegrityFailure(f"stored content {key} does not match its hash", key=key)
    return data


class LocalContentStore:
    """Blobs on a local (or shared, e.g. NFS) filesystem."""

    def __init__(self, root: Path, cipher: BlobCipher | None = None) -> None:
        self.cipher = cipher
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "tmp").mkdir(exist_ok=True)
        self._sweep_stale_tmp()

    def _sweep_stale_tmp(self) -> None:
        # Only old files: a younger one may be another process's upload in progress.
        cutoff = time.time() - _STALE_TMP_SECONDS
        for path in (self.root / "tmp").iterdir():
            with contextlib.suppress(OSError):
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()

    def _path(self, key: str) -> Path:
        key = _check_key(key)
        return self.root / key[:2] / key[2:4] / key

    def put(self, stream: BinaryIO, max_bytes: int | None = None) -> StoredBlob:
        with _full_disk_is_storage_full(str(self.root)):
            return self._put(stream, max_bytes)

    def _put(self, stream: BinaryIO, max_bytes: int | None) -> StoredBlob:
        fd, tmp_name = tempfile.mkstemp(dir=self.root / "tmp")
        try:
            with os.fdopen(fd, "wb") as tmp:
                if self.cipher is not None:
                    # Sealed in memory (uploads are bounded): plaintext never touches the disk.
                    data = _read_all(stream, max_bytes)
                    key, size = hashlib.sha256(data).hexdigest(), len(data)
                    sealed = memoryview(self.cipher.seal(data, key))
                    for start in range(0, len(sealed), _CHUNK):
                        _write_chunk(tmp, sealed[start : start + _CHUNK])
                else:
                    key, size = _copy_hashing(stream, lambda chunk: _write_chunk(tmp, chunk), max_bytes)
                tmp.flush()
                os.fsync(tmp.fileno())
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

    @staticmethod
    def _write_tmp(name: str, data: bytes) -> None:
        with open(name, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())

    def put_bytes(self, data: bytes) -> StoredBlob:
        return self.put(io.BytesIO(data))

    def _raw(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise NotFound(f"no stored content {key}", entity="blob", key=key) from exc

    def get(self, key: str) -> bytes:
        return _open(self.cipher, self._raw(key), key)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def sealed_with(self, key: str) -> str | None:
        with open(self._path(key), "rb") as f:
            return _sealed_with(f.read(64))

    def reseal(self, key: str) -> bool:
        """Rewrite the blob under the active key (atomic replace); False if already there."""
        if self.cipher is None or self.sealed_with(key) == self.cipher.active_key():
            return False
        sealed = self.cipher.seal(self.get(key), key)
        with _full_disk_is_storage_full(str(self.root)):
            fd, tmp_name = tempfile.mkstemp(dir=self.root / "tmp")
            os.close(fd)
            try:
                self._write_tmp(tmp_name, sealed)
                os.replace(tmp_name, self._path(key))  # same plaintext: the one overwrite allowed
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp_name)
        return True

    def delete(self, key: str) -> bool:
        try:
            self._path(key).unlink()
            return True
        except FileNotFoundError:
            return False

    def iter_keys(self) -> Iterator[str]:
        for path in sorted(self.root.glob("??/??/*")):
            if path.is_file() and len(path.name) == 64:
                yield path.name


class S3ContentStore:
    """Blobs in an S3-compatible bucket (AWS S3, MinIO, Ceph…), same keys and guarantees: the
    content is hashed while spooled to a temporary file, uploaded only if the key is absent, and
    verified on every read. Credentials come from the standard AWS environment or profile."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        client: Any = None,
        cipher: BlobCipher | None = None,
    ) -> None:
        self.cipher = cipher
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
        if self.cipher is not None:
            data = _read_all(stream, max_bytes)
            key, size = hashlib.sha256(data).hexdigest(), len(data)
            if not self.exists(key):  # never overwrite: the same key always holds the same bytes
                self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=self.cipher.seal(data, key))
            return StoredBlob(key, size)
        with _full_disk_is_storage_full("the local spool"), tempfile.TemporaryFile() as tmp:
            key, size = _copy_hashing(stream, tmp.write, max_bytes)
            if not self.exists(key):
                tmp.seek(0)
                self.client.upload_fileobj(tmp, self.bucket, self._key(key))
        return StoredBlob(key, size)

    def put_bytes(self, data: bytes) -> StoredBlob:
        return self.put(io.BytesIO(data))

    def _raw(self, key: str, byte_range: str | None = None) -> bytes:
        extra = {"Range": byte_range} if byte_range else {}
        try:
            data: bytes = self.client.get_object(Bucket=self.bucket, Key=self._key(key), **extra)["Body"].read()
        except self.client.exceptions.NoSuchKey as exc:
            raise NotFound(f"no stored content {key}", entity="blob", key=key) from exc
        return data

    def get(self, key: str) -> bytes:
        return _open(self.cipher, self._raw(key), key)

    def sealed_with(self, key: str) -> str | None:
        return _sealed_with(self._raw(key, "bytes=0-63"))

    def reseal(self, key: str) -> bool:
        if self.cipher is None or self.sealed_with(key) == self.cipher.active_key():
            return False
        sealed = self.cipher.seal(self.get(key), key)
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=sealed)
        return True

    def delete(self, key: str) -> bool:
        if not self.exists(key):
            return False
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        return True

    def iter_keys(self) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{self.prefix}/" if self.prefix else ""
        )
        for page in pages:
            for obj in page.get("Contents", []):
                name = obj["Key"].rsplit("/", 1)[-1]
                if len(name) == 64:
                    yield name

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
        return S3ContentStore(settings.s3_bucket, settings.s3_prefix, settings.s3_endpoint_url, cipher=BlobCipher())
    return LocalContentStore(settings.resolved_evidence_dir, cipher=BlobCipher())
