"""Data-encryption keys (AES-256-GCM) kept in one key file, each with an id written in front of
every ciphertext so that keys can rotate: the *active* key encrypts, every listed key decrypts.

The file is JSON ``{"active": id, "keys": {id: base64}, "rotating": bool}`` with mode 0600. In
the embedded default (``IVC_DATA_KEY_FILE`` unset) it is created on first use under the data
directory; a configured file that is missing is an error, never silently replaced, because a new
key would make everything already encrypted unreadable. Key material is never logged.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ivc.errors import IntegrityFailure

log = logging.getLogger(__name__)

NONCE_BYTES = 12
_RELOAD_EVERY = 2.0  # seconds: another process may have rotated the active key


class KeyUnavailable(IntegrityFailure):
    """The key a ciphertext names is not in the key file (or the key file is missing)."""

    code = "key_unavailable"


class DecryptionFailed(IntegrityFailure):
    """The key is there but does not open the ciphertext: a wrong key or altered data."""

    code = "decryption_failed"


def new_key_id() -> str:
    return f"k{datetime.now(UTC):%Y%m%d}{secrets.token_hex(3)}"


@dataclass
class Keyring:
    path: Path
    active: str
    keys: dict[str, bytes]
    rotating: bool = False
    _aeads: dict[str, AESGCM] = field(default_factory=dict, repr=False)

    def _aead(self, kid: str) -> AESGCM:
        aead = self._aeads.get(kid)
        if aead is None:
            material = self.keys.get(kid)
            if material is None:
                raise KeyUnavailable(
                    f"data key {kid!r} is not in the key file {self.path}: restore the key file that "
                    "holds it (see docs/DEPLOY.md, key rotation)",
                    key_id=kid,
                )
            aead = self._aeads[kid] = AESGCM(material)
        return aead

    def encrypt(self, plaintext: bytes, aad: bytes) -> tuple[str, bytes]:
        nonce = os.urandom(NONCE_BYTES)
        return self.active, nonce + self._aead(self.active).encrypt(nonce, plaintext, aad)

    def decrypt(self, kid: str, sealed: bytes, aad: bytes) -> bytes:
        aead = self._aead(kid)
        try:
            return aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
        except InvalidTag as exc:
            raise DecryptionFailed(
                f"data key {kid!r} does not decrypt this value: the key file holds a different key "
                "under that id, or the stored data was altered",
                key_id=kid,
            ) from exc

    def to_json(self) -> str:
        return json.dumps(
            {
                "active": self.active,
                "rotating": self.rotating,
                "keys": {kid: base64.b64encode(k).decode("ascii") for kid, k in self.keys.items()},
            },
            indent=2,
        )


def _parse(path: Path, text: str) -> Keyring:
    try:
        data = json.loads(text)
        keys = {str(kid): base64.b64decode(v, validate=True) for kid, v in data["keys"].items()}
        active = str(data["active"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KeyUnavailable(f"the data key file {path} is not a valid key file") from exc
    bad = [kid for kid, k in keys.items() if len(k) != 32 or ":" in kid or not kid.isascii() or len(kid) > 40]
    if bad or active not in keys:
        raise KeyUnavailable(f"the data key file {path} is malformed (bad key ids {bad} or no active key)")
    return Keyring(path, active, keys, bool(data.get("rotating", False)))


def save(keyring: Keyring) -> None:
    """Write atomically with mode 0600 (a crash leaves the old file or the new one, never half)."""
    keyring.path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=keyring.path.parent, prefix=".keys-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(keyring.to_json())
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, keyring.path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _cache.pop(keyring.path, None)


def _create(path: Path) -> Keyring:
    kid = new_key_id()
    keyring = Keyring(path, kid, {kid: AESGCM.generate_key(bit_length=256)})
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    try:
        # O_EXCL: two processes starting together must not each make a different first key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _parse(path, path.read_text(encoding="utf-8"))
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(keyring.to_json())
        out.flush()
        os.fsync(out.fileno())
    log.info("created a new data key file at %s (key id %s)", path, kid)
    return keyring


def load(path: Path, *, create: bool) -> Keyring:
    if not path.is_file():
        if not create:
            raise KeyUnavailable(
                f"the data key file {path} (IVC_DATA_KEY_FILE) does not exist: restore it from the "
                "key backup; a new key could not read what is already encrypted"
            )
        return _create(path)
    if path.stat().st_mode & 0o077 and path not in _warned:
        _warned.add(path)
        log.warning("data key file %s is readable by group or others: chmod 600 it", path)
    return _parse(path, path.read_text(encoding="utf-8"))


_cache: dict[Path, tuple[float, Keyring]] = {}
_warned: set[Path] = set()
_lock = threading.Lock()


def current(*, refresh: bool = False) -> Keyring:
    """The configured keyring, re-read when the file changed (another process rotated)."""
    from ivc.config import get_settings

    settings = get_settings()
    path = settings.resolved_data_key_file
    now = time.monotonic()
    with _lock:
        cached = _cache.get(path)
        if cached and not refresh and now - cached[0] < _RELOAD_EVERY:
            return cached[1]
        keyring = load(path, create=settings.data_key_file is None)
        if cached and cached[1].to_json() == keyring.to_json():
            keyring = cached[1]  # keep the built ciphers
        _cache[path] = (now, keyring)
        return keyring


def decrypt(kid: str, sealed: bytes, aad: bytes) -> bytes:
    """Decrypt with the current keyring, re-reading the key file once for a key id it lacks."""
    keyring = current()
    if kid not in keyring.keys:
        keyring = current(refresh=True)
    return keyring.decrypt(kid, sealed, aad)
