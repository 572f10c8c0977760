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
from typing import BinaryIO, Protocol

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


def get_store() -> LocalContentStore:
    from ivc.config import get_settings

    return LocalContentStore(get_settings().resolved_evidence_dir)
