"""``EncryptedText``: a text column stored as ``enc:v1:<key id>:<base64(nonce+ciphertext)>``.

The column name is bound into the ciphertext (associated data), so a value copied into another
column does not decrypt. A stored value without the prefix is legacy plaintext from before
encryption: it reads as is, and ``ivc keys rotate`` encrypts it.
"""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

from ivc.crypto import keys

PREFIX = "enc:v1:"


def is_encrypted(value: str) -> bool:
    return value.startswith(PREFIX)


def key_id_of(value: str | None) -> str | None:
    """The key id of a stored value; None for NULL or legacy plaintext."""
    if value is None or not is_encrypted(value):
        return None
    return value[len(PREFIX) :].split(":", 1)[0]


def encrypt(plaintext: str, context: str) -> str:
    kid, sealed = keys.current().encrypt(plaintext.encode("utf-8"), context.encode("utf-8"))
    return f"{PREFIX}{kid}:{base64.urlsafe_b64encode(sealed).decode('ascii')}"


def decrypt(stored: str, context: str) -> str:
    if not is_encrypted(stored):
        return stored  # legacy plaintext
    kid, _, body = stored[len(PREFIX) :].partition(":")
    try:
        sealed = base64.urlsafe_b64decode(body.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise keys.DecryptionFailed(f"stored value of {context} is not valid ciphertext", key_id=kid) from exc
    return keys.decrypt(kid, sealed, context.encode("utf-8")).decode("utf-8")


class EncryptedText(TypeDecorator[str]):
    """Text encrypted with the active data key on write and decrypted on read."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context  # "table.column": bound into every ciphertext

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        return encrypt(value, self.context)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        return decrypt(value, self.context)
