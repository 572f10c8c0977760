"""Key rotation: add a key, re-encrypt every encrypted column and every stored blob under it,
then retire the old key once nothing uses it.

The pass is resumable and idempotent: it only touches values not yet under the active key, in
small committed batches, and the key file says a rotation is in progress so a rerun after a crash
finishes it instead of adding yet another key. Legacy plaintext (databases from before
encryption) is encrypted by the same pass.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Column, Table, Text, select, type_coerce, update
from sqlmodel import Session, SQLModel

from ivc.audit import service as audit
from ivc.auth.roles import Actor
from ivc.crypto import keys
from ivc.crypto.fields import PREFIX, EncryptedText, decrypt, key_id_of
from ivc.database.core import get_engine
from ivc.errors import DomainError
from ivc.evidence.storage import EvidenceStore, get_store

PLAINTEXT = "plaintext"
BATCH = 200


@dataclass
class Usage:
    """How many stored values each key id encrypts ("plaintext" for legacy values)."""

    fields: Counter[str] = field(default_factory=Counter)
    blobs: Counter[str] = field(default_factory=Counter)

    def uses(self, kid: str) -> int:
        return self.fields[kid] + self.blobs[kid]


@dataclass
class RotationReport:
    active: str
    new_key: bool
    fields: int = 0
    blobs: int = 0


def encrypted_columns() -> list[tuple[Table, Column[str], str]]:
    import ivc.models  # noqa: F401  (every table registered)

    out = []
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedText):
                out.append((table, column, column.type.context))
    return out


def usage(store: EvidenceStore | None = None) -> Usage:
    result = Usage()
    with Session(get_engine()) as session:
        for _table, column, _ in encrypted_columns():
            raw = type_coerce(column, Text)
            for (value,) in session.execute(select(raw).where(column.is_not(None))):
                result.fields[key_id_of(value) or PLAINTEXT] += 1
    store = store or get_store()
    for key in store.iter_keys():
        result.blobs[store.sealed_with(key) or PLAINTEXT] += 1
    return result


def _reencrypt_column(table: Table, column: Column[str], context: str, active: str) -> int:
    raw = type_coerce(column, Text)
    pk = table.c.id
    done = 0
    last_id = 0
    while True:
        with Session(get_engine()) as session:
            rows = session.execute(
                select(pk, raw)
                .where(column.is_not(None), pk > last_id, ~raw.startswith(f"{PREFIX}{active}:"))
                .order_by(pk)
                .limit(BATCH)
            ).all()
            if not rows:
                return done
            for row_id, stored in rows:
                plaintext = decrypt(stored, context)
                # Only if nobody changed the value since it was read (a concurrent edit wins).
                result = session.execute(
                    update(table).where(pk == row_id, raw == stored).values({column.name: plaintext})
                )
                done += result.rowcount or 0  # type: ignore[attr-defined]
                last_id = row_id
            session.commit()


def reencrypt_all(store: EvidenceStore | None = None, progress: Callable[[str], None] | None = None) -> tuple[int, int]:
    """Bring every encrypted value and blob under the active key; returns (fields, blobs) changed."""
    active = keys.current(refresh=True).active
    fields = 0
    for table, column, context in encrypted_columns():
        n = _reencrypt_column(table, column, context, active)
        if progress and n:
            progress(f"{table.name}.{column.name}: {n} re-encrypted")
        fields += n
    store = store or get_store()
    blobs = 0
    for key in list(store.iter_keys()):
        blobs += store.reseal(key)
    if progress:
        progress(f"blobs: {blobs} re-encrypted")
    return fields, blobs


def rotate(
    actor: Actor,
    store: EvidenceStore | None = None,
    progress: Callable[[str], None] | None = None,
    *,
    prepare_only: bool = False,
) -> RotationReport:
    """Add a new active key (unless a rotation is already in progress: then finish it) and
    re-encrypt everything under it."""
    keyring = keys.current(refresh=True)
    new_key = not keyring.rotating
    if new_key:
        kid = keys.new_key_id()
        while kid in keyring.keys:
            kid = keys.new_key_id()
        keyring.keys[kid] = AESGCM.generate_key(bit_length=256)
        keyring.active = kid
        keyring.rotating = True
        keys.save(keyring)
    if prepare_only:  # several machines: copy the key file everywhere, then run rotate again
        return RotationReport(keyring.active, new_key)
    fields, blobs = reencrypt_all(store, progress)
    keyring = keys.current(refresh=True)
    keyring.rotating = False
    keys.save(keyring)
    with Session(get_engine()) as session:
        audit.record(
            session,
            actor,
            "keys.rotated",
            entity="data_key",
            entity_id=keyring.active,
            after={"new_key": new_key, "fields": fields, "blobs": blobs},
        )
        session.commit()
    return RotationReport(keyring.active, new_key, fields, blobs)


def retire(kid: str, actor: Actor, store: EvidenceStore | None = None) -> None:
    """Remove a key from the key file; refused while anything is still encrypted with it."""
    keyring = keys.current(refresh=True)
    if kid not in keyring.keys:
        raise DomainError(f"no data key {kid!r} in {keyring.path}", code="key_unknown", key_id=kid)
    if kid == keyring.active:
        raise DomainError(f"{kid} is the active key: rotate first", code="key_active", key_id=kid)
    if keyring.rotating:
        raise DomainError("a rotation is in progress: finish it with `ivc keys rotate`", code="key_rotating")
    used = usage(store)
    if used.uses(kid):
        raise DomainError(
            f"{kid} still encrypts {used.fields[kid]} field values and {used.blobs[kid]} blobs: "
            "run `ivc keys rotate` to finish re-encryption",
            code="key_in_use",
            key_id=kid,
        )
    del keyring.keys[kid]
    keys.save(keyring)
    with Session(get_engine()) as session:
        audit.record(session, actor, "keys.retired", entity="data_key", entity_id=kid)
        session.commit()
