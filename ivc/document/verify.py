"""Verify a document from its code, its PDF or its JSON: valid, tampered, revoked, unknown issuer,
or unknown — with the reason, and the public view of what it attests: the competences it lists
and what they are by this document (identified by a transparency document, validated by a
validation document, certified by a certificate; ``ivc.document.recognition``)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlmodel import Session, select

from ivc.document import pades, status
from ivc.document.models import IssuedDocument
from ivc.document.recognition import DOCUMENT_LEVEL
from ivc.document.register import normalise_code
from ivc.document.render import embedded_json
from ivc.document.signing import trusted_issuers, verify, verify_jwt
from ivc.framework.models import text_in

MAX_BYTES = 30 * 1024 * 1024


class Verdict(StrEnum):
    VALID = "valid"
    TAMPERED = "tampered"
    REVOKED = "revoked"
    UNKNOWN_ISSUER = "unknown_issuer"
    UNKNOWN = "unknown"


@dataclass
class Verification:
    verdict: Verdict
    reason: str
    document: dict[str, Any] = field(default_factory=dict)  # public view, empty when unknown
    seal: dict[str, Any] = field(default_factory=dict)  # the PDF's PAdES seal, checked (pades.seal_status)

    @property
    def competences_are(self) -> str | None:
        """``identified``, ``validated`` or ``certified``: what the document's competences are
        (None when no document was found)."""
        value = self.document.get("competences_are")
        return str(value) if value else None


def public_view(doc: IssuedDocument) -> dict[str, Any]:
    """What a verifier sees: the full content the document attests, the minimum identity (name)
    and whatever else the holder chose to share. ``competences_are`` says what the listed
    competences are by this document — ``identified`` (transparency document), ``validated``
    (validation document) or ``certified`` (certificate) — and ``competences_heading`` is the
    translation key of the list's heading ("Competenze messe in trasparenza", "Competenze
    validate", "Competenze certificate")."""
    p = doc.payload
    holder = p.get("holder", {})
    identity = {"name": f"{holder.get('given_name', '')} {holder.get('family_name', '')}".strip()}
    identity.update({k: holder.get(k) for k in doc.shared_fields if holder.get(k)})
    if p.get("erased"):
        identity = {"name": "—"}  # the register keeps no identity after erasure (docs/PRIVACY.md)
    level = DOCUMENT_LEVEL.get(doc.doc_type)
    return {
        "type": doc.doc_type,
        "number": doc.number,
        "issued_at": p.get("issued_at"),
        "issuer": p.get("ente_titolare", {}).get("name"),
        "issued_by_body": p.get("ente_titolato", {}).get("name"),
        "holder": identity,
        "qualifications": [
            {"code": q["code"], "title": text_in(q["title"], "it"), "eqf_level": q["eqf_level"]}
            for q in p.get("qualifications", [])
        ],
        "competences": [{"code": c["code"], "title": text_in(c["title"], "it")} for c in p.get("competences", [])],
        "competences_are": level.value if level is not None else None,
        "competences_heading": f"verify.competences_heading.{doc.doc_type}",
        "revoked": doc.revoked_at is not None,
        "revocation_reason": doc.revocation_reason,
        "holder_erased": bool(p.get("erased")),
    }


def _registered(session: Session, doc: IssuedDocument, how: str) -> Verification:
    if doc.revoked_at is not None:
        return Verification(
            Verdict.REVOKED, f"revoked on {doc.revoked_at:%Y-%m-%d}: {doc.revocation_reason}", public_view(doc)
        )
    reason = f"{how}; document {doc.number} is in the register"
    if doc.payload.get("erased"):
        reason += (
            "; the holder's data were erased from the register (GDPR art. 17): the holder is the person "
            "named on the document presented"
        )
    return Verification(Verdict.VALID, reason, public_view(doc))


def code_from(text: str) -> str:
    """The verification code in what was typed or scanned: the bare code, or the QR's link
    (``https://…/verifica/4HZ9-BMQ9-AQ4P``, with or without a trailing slash or a query)."""
    value = text.strip()
    if "/" in value:
        value = value.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return value


def verify_code(session: Session, code: str) -> Verification:
    normalised = normalise_code(code_from(code[:512])[:64])
    doc = session.exec(select(IssuedDocument).where(IssuedDocument.verification_code == normalised)).first()
    if doc is None:
        return Verification(Verdict.UNKNOWN, "no document has this verification code")
    return _registered(session, doc, "the verification code matches")


def _code_of(data: dict[str, Any]) -> str | None:
    if isinstance(data.get("verification_code"), str):
        return str(data["verification_code"])
    ident = str(data.get("id", ""))
    return ident.rsplit("/", 1)[-1].rsplit(":", 1)[-1] or None


def _judge(session: Session, ok: bool, issuer: str | None, credential: dict[str, Any] | None) -> Verification:
    """One verdict for any signed shape (Data Integrity JSON or JWS), once its signature is checked."""
    if not ok or credential is None:
        return Verification(Verdict.TAMPERED, "the signature does not match the content: it was changed after issuance")
    if issuer not in trusted_issuers():
        return Verification(Verdict.UNKNOWN_ISSUER, f"signed by {issuer}, which is not a trusted issuer")
    code = _code_of(credential)
    doc = session.exec(select(IssuedDocument).where(IssuedDocument.verification_code == code)).first() if code else None
    if doc is None:
        return Verification(Verdict.UNKNOWN, "the signature is valid but the document is not in this register")
    return _registered(session, doc, "the signature is valid")


def check_status(credential: dict[str, Any], lists: list[dict[str, Any]]) -> tuple[bool | None, str]:
    """Whether a credential is revoked according to the status lists given (signed
    ``BitstringStatusListCredential``s, e.g. downloaded once and kept): (True, why) revoked,
    (False, why) not revoked, (None, why) undecidable — no entry, no matching list, or a list that
    is not authentic or not from the credential's issuer. Needs no register: works offline."""
    entries = status.statuses_of(credential)
    raw = credential.get("credentialStatus")
    if not entries and isinstance(raw, dict) and raw.get("type") == "CredentialStatus" and "#" in str(raw.get("id")):
        url, index = str(raw["id"]).rsplit("#", 1)  # the EDC's form: <list>#<index>
        entries = [{"statusListCredential": url, "statusListIndex": index, "statusPurpose": status.PURPOSE}]
    if not entries:
        return None, "the credential carries no status entry"
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    for item in entries:
        found = next((x for x in lists if x.get("id") == item.get("statusListCredential")), None)
        if found is None:
            return None, f"no status list {item.get('statusListCredential')} was given"
        ok, list_issuer = verify(found)
        if not ok or list_issuer != issuer_id or list_issuer not in trusted_issuers():
            return None, "the status list is not authentic or not from the credential's issuer"
        subject = found.get("credentialSubject", {})
        if subject.get("statusPurpose") != item.get("statusPurpose"):
            continue
        try:
            revoked = status.bit(str(subject["encodedList"]), int(item["statusListIndex"]))
        except (KeyError, ValueError, TypeError, OSError, EOFError):
            return None, "the status list cannot be read"
        if revoked:
            return True, f"revoked according to the status list {found['id']} of {found.get('validFrom')}"
    return False, "not revoked according to the status list"


def verify_offline(data: dict[str, Any] | str, lists: list[dict[str, Any]]) -> Verification:
    """Verify an exported credential (JSON, or the EDC's compact JWS) with no register: its
    signature, its issuer among the trusted ones, and its status in the lists given."""
    if isinstance(data, str):
        ok, issuer, credential = verify_jwt(data)
    elif "proof" in data:
        (ok, issuer), credential = verify(data), data
    else:
        return Verification(Verdict.UNKNOWN, "the JSON carries no proof: it is not a signed ivc document")
    if not ok or credential is None:
        return Verification(Verdict.TAMPERED, "the signature does not match the content: it was changed after issuance")
    if issuer not in trusted_issuers():
        return Verification(Verdict.UNKNOWN_ISSUER, f"signed by {issuer}, which is not a trusted issuer")
    revoked, why = check_status(credential, lists)
    if revoked:
        return Verification(Verdict.REVOKED, why)
    if revoked is None:
        return Verification(Verdict.UNKNOWN, f"the signature is valid, but the status cannot be checked: {why}")
    return Verification(Verdict.VALID, f"the signature is valid and {why}")


def verify_json(session: Session, data: dict[str, Any]) -> Verification:
    if "proof" not in data:
        return Verification(Verdict.UNKNOWN, "the JSON carries no proof: it is not a signed ivc document")
    ok, issuer = verify(data)
    return _judge(session, ok, issuer, data)


def verify_token(session: Session, token: str) -> Verification:
    """A compact JWS (the Europass EDC export)."""
    ok, issuer, credential = verify_jwt(token)
    if issuer is None:
        return Verification(Verdict.UNKNOWN, "not a readable signed token")
    return _judge(session, ok, issuer, credential)


def describe_seal(seal: dict[str, Any]) -> str:
    """One clause on a PDF's PAdES seal, as ``ivc verify`` reports it."""
    text = f"PAdES seal intact and valid, by {seal.get('signer')}"
    if seal.get("demo"):
        text += " — a DEMO certificate, of no legal value"
    elif not seal.get("ours"):
        text += " — not the seal certificate this register uses"
    if not seal.get("whole_file"):
        text += " — the file was extended after sealing"
    return text


def _verify_pdf(session: Session, data: bytes) -> Verification:
    digest = hashlib.sha256(data).hexdigest()
    doc = session.exec(select(IssuedDocument).where(IssuedDocument.sha256 == digest)).first()
    if doc is not None:
        return _registered(session, doc, "the PDF is byte for byte the issued file")
    twin = embedded_json(data)
    if twin is None:
        return Verification(Verdict.UNKNOWN, "this PDF was not issued by this register and carries no ivc data")
    inner = verify_json(session, twin)
    if inner.verdict is Verdict.VALID:
        return Verification(
            Verdict.TAMPERED,
            "the embedded data is authentic but the PDF was altered after issuance",
            inner.document,
        )
    return inner


def verify_bytes(session: Session, data: bytes) -> Verification:
    if len(data) > MAX_BYTES:
        return Verification(Verdict.UNKNOWN, f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    if data.lstrip()[:5] == b"%PDF-":
        seal = (pades.seal_status(data) if b"/ByteRange" in data else None) or {}
        result = _verify_pdf(session, data)
        if seal and not (seal.get("intact") and seal.get("valid")):
            return Verification(
                Verdict.TAMPERED, "the PAdES seal is broken: the PDF was changed after sealing", result.document, seal
            )
        if seal:
            result.reason += f"; {describe_seal(seal)}"
        result.seal = seal
        return result
    text = data.decode("utf-8", errors="replace").strip()
    if text.count(".") == 2 and not text.startswith(("{", "[")):
        return verify_token(session, text)
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):  # nesting too deep: not a document
        return Verification(Verdict.UNKNOWN, "the file is neither an ivc PDF nor JSON")
    if not isinstance(parsed, dict):
        return Verification(Verdict.UNKNOWN, "the JSON is not a document")
    return verify_json(session, parsed)
