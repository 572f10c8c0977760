"""Sealed blobs for the content store: ``MAGIC | len(key id) | key id | nonce | ciphertext``.

The blob's content key (sha256 of the plaintext) is the associated data, so a sealed file moved
under another key does not open; the store still checks the hash after opening. Content without
the magic header is legacy plaintext and reads as is.
"""

from __future__ import annotations

from ivc.crypto import keys

MAGIC = b"IVCSEAL1"


def key_id_of(raw: bytes) -> str | None:
    if not raw.startswith(MAGIC):
        return None
    n = raw[len(MAGIC)]
    return raw[len(MAGIC) + 1 : len(MAGIC) + 1 + n].decode("ascii")


class BlobCipher:
    """What the content stores call to seal on write and open on read."""

    def seal(self, plaintext: bytes, content_key: str) -> bytes:
        kid, sealed = keys.current().encrypt(plaintext, content_key.encode("ascii"))
        encoded = kid.encode("ascii")
        return MAGIC + bytes([len(encoded)]) + encoded + sealed

    def open(self, raw: bytes, content_key: str) -> bytes:
        kid = key_id_of(raw)
        if kid is None:
            return raw  # legacy plaintext
        start = len(MAGIC) + 1 + len(kid)
        return keys.decrypt(kid, raw[start:], content_key.encode("ascii"))

    def active_key(self) -> str:
        return keys.current().active
