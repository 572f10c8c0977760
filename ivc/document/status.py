"""Revocation published as W3C Bitstring Status Lists (VC Bitstring Status List 1.0).

One list per document type and year (``<verify url>/status/CE-2026``); a document's index in it is
its register sequence number, so no new column is needed: ``CE/2026/000042`` is bit 42 of list
``CE-2026``. Every credential ivc exports carries a ``credentialStatus`` entry pointing there.

The list itself is a credential signed by the issuer (``BitstringStatusListCredential``), rebuilt
from the register — deterministically: its ``validFrom`` is the latest revocation in it (or the
first day of the year) — and written to ``<data dir>/status/`` when a revocation commits, for the web
server to publish and for anyone to keep and check offline (``ivc verify FILE --status-list LIST``).
"""

from __future__ import annotations

import base64
import gzip
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlmodel import Session, col, select

from ivc.config import get_settings
from ivc.document.models import IssuedDocument
from ivc.document.signing import issuer_did, sign
from ivc.reference import issuers

VC2 = "https://www.w3.org/ns/credentials/v2"
MIN_BITS = 131_072  # the specification's minimum list length (16 KB), for herd privacy
PURPOSE = "revocation"


def _prefixes() -> dict[str, str]:
    return {doc_type: str(fmt["prefix"]) for doc_type, fmt in issuers()["register"].items()}


def list_name(doc_type: str, year: int) -> str:
    return f"{_prefixes()[doc_type]}-{year}"


def list_url(doc_type: str, year: int) -> str:
    return f"{get_settings().verify_url.rstrip('/')}/status/{list_name(doc_type, year)}"


def index_of(number: str) -> int:
    """The status-list index of a register number (its sequence number: ``CE/2026/000042`` → 42)."""
    return int(number.rsplit("/", 1)[-1])


def entry(payload: dict[str, Any]) -> dict[str, Any]:
    """The ``credentialStatus`` of a credential built from ``payload``."""
    url = list_url(payload["type"], int(payload["issued_at"][:4]))
    index = index_of(payload["number"])
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": PURPOSE,
        "statusListIndex": str(index),
        "statusListCredential": url,
    }


def encode(revoked: set[int], length: int = MIN_BITS) -> str:
    """Multibase base64url (``u``, no padding) of the GZIP-compressed bitstring; bit 0 is the
    most significant bit of the first byte. GZIP without a time stamp, so the same set gives the
    same string."""
    size = max(length, MIN_BITS, ((max(revoked, default=0) // 8) + 1) * 8)
    bits = bytearray(size // 8)
    for i in revoked:
        bits[i // 8] |= 0x80 >> (i % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


def decode(encoded: str) -> bytes:
    if not encoded.startswith("u"):
        raise ValueError("the encoded list is not multibase base64url")
    raw = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))


def bit(encoded: str, index: int) -> bool:
    bits = decode(encoded)
    if not 0 <= index < len(bits) * 8:
        raise ValueError(f"index {index} outside a list of {len(bits) * 8} entries")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def status_list_credential(session: Session, doc_type: str, year: int) -> dict[str, Any]:
    """The signed status list of one document type and year, as the register has it now."""
    revoked = session.exec(
        select(IssuedDocument).where(
            IssuedDocument.doc_type == doc_type,
            IssuedDocument.register_year == year,
            col(IssuedDocument.revoked_at).is_not(None),
        )
    ).all()
    latest = max((d.revoked_at for d in revoked if d.revoked_at), default=None)
    valid_from = _iso(latest) if latest else f"{year}-01-01T00:00:00Z"
    url = list_url(doc_type, year)
    credential = {
        "@context": [VC2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_did(),
        "validFrom": valid_from,
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": PURPOSE,
            "encodedList": encode({d.register_seq for d in revoked}),
        },
    }
    return sign(credential, valid_from)


def published_path(doc_type: str, year: int) -> Path:
    return get_settings().data_dir / "status" / f"{list_name(doc_type, year)}.json"


def publish(session: Session, doc_type: str, year: int) -> Path:
    """Write the current list where the web server publishes it; returns the file."""
    path = published_path(doc_type, year)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(status_list_credential(session, doc_type, year), ensure_ascii=False, indent=1)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(data, encoding="utf-8")
    tmp.replace(path)
    return path


def publish_after_commit(session: Session, doc_type: str, year: int) -> None:
    """Publish the list once the caller's transaction commits (a rolled-back revocation publishes
    nothing), reading the register in a session of its own."""

    def _publish(_: Any) -> None:
        with Session(session.get_bind()) as fresh:
            publish(fresh, doc_type, year)

    event.listen(session, "after_commit", _publish, once=True)


def statuses_of(credential: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``credentialStatus`` entries of a credential (none, one or several)."""
    raw = credential.get("credentialStatus")
    items = raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else []
    return [s for s in items if isinstance(s, dict) and s.get("type") == "BitstringStatusListEntry"]
