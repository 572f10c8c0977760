"""Sign and verify documents as W3C Data Integrity proofs (cryptosuite ``eddsa-jcs-2022``:
Ed25519 over JSON Canonicalization), with the issuer identified as a ``did:key``.

The issuer key comes from settings (``IVC_ISSUER_KEY_FILE``); on the embedded default a
development key is created on first run, readable only by its owner.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import base58
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ivc.config import get_settings

_ED25519_MULTICODEC = b"\xed\x01"


def b58encode(data: bytes) -> str:
    """Base58 (Bitcoin alphabet), as multibase ``z`` and did:key use."""
    return str(base58.b58encode(data).decode("ascii"))


def b58decode(text: str) -> bytes:
    return bytes(base58.b58decode(text.encode("ascii")))


def canonical(value: Any) -> bytes:
    """JSON Canonicalization Scheme (RFC 8785), by the ``rfc8785`` package."""
    return bytes(rfc8785.dumps(value))


def did_key(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "did:key:z" + b58encode(_ED25519_MULTICODEC + raw)


def public_from_did(did: str) -> Ed25519PublicKey:
    if not did.startswith("did:key:z"):
        raise ValueError(f"not a did:key: {did[:40]}")
    raw = b58decode(did[len("did:key:z") :].split("#", 1)[0])
    if raw[:2] != _ED25519_MULTICODEC or len(raw) != 34:
        raise ValueError("not an Ed25519 did:key")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def _load_or_create(path: Path) -> Ed25519PrivateKey:
    if path.is_file():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path}: not an Ed25519 private key")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return key


@lru_cache(maxsize=4)
def _issuer_key(path: str) -> Ed25519PrivateKey:
    return _load_or_create(Path(path))


def issuer_key() -> Ed25519PrivateKey:
    return _issuer_key(str(get_settings().resolved_issuer_key_file))


def issuer_did() -> str:
    return did_key(issuer_key().public_key())


def trusted_issuers() -> set[str]:
    return {issuer_did(), *get_settings().trusted_issuers}


def _hash_data(document: dict[str, Any], proof_config: dict[str, Any]) -> bytes:
    return hashlib.sha256(canonical(proof_config)).digest() + hashlib.sha256(canonical(document)).digest()


def sign(document: dict[str, Any], created: str, *, proof_list: bool = False) -> dict[str, Any]:
    """The document with a Data Integrity proof added (deterministic: Ed25519 and a fixed time).
    ``proof_list`` puts the proof in an array, as Open Badges 3.0 requires."""
    did = issuer_did()
    config = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": created,
        "verificationMethod": f"{did}#{did.removeprefix('did:key:')}",
        "proofPurpose": "assertionMethod",
    }
    if "@context" in document:
        config["@context"] = document["@context"]
    signature = issuer_key().sign(_hash_data(document, config))
    proof = {**{k: v for k, v in config.items() if k != "@context"}, "proofValue": "z" + b58encode(signature)}
    return {**document, "proof": [proof] if proof_list else proof}


def verify(signed: dict[str, Any]) -> tuple[bool, str | None]:
    """(signature valid, issuer did). Never raises on malformed input."""
    try:
        raw = signed["proof"]
        proof = dict(raw[0] if isinstance(raw, list) and len(raw) == 1 else raw)
        value = proof.pop("proofValue")
        did = str(proof["verificationMethod"]).split("#", 1)[0]
        if proof.get("cryptosuite") != "eddsa-jcs-2022" or not value.startswith("z"):
            return False, did
        document = {k: v for k, v in signed.items() if k != "proof"}
        config = dict(proof)
        if "@context" in document:
            config["@context"] = document["@context"]
        public_from_did(did).verify(b58decode(value[1:]), _hash_data(document, config))
        return True, did
    except InvalidSignature:
        return False, locals().get("did")
    except (KeyError, TypeError, ValueError, AttributeError):
        return False, None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_jwt(credential: dict[str, Any]) -> str:
    """A compact JWS (EdDSA) enveloping the credential, as EBSI/Europass verifiers expect."""
    did = issuer_did()
    header = {"alg": "EdDSA", "typ": "vc+jwt", "kid": f"{did}#{did.removeprefix('did:key:')}"}
    signing_input = f"{_b64url(canonical(header))}.{_b64url(canonical(credential))}"
    return f"{signing_input}.{_b64url(issuer_key().sign(signing_input.encode('ascii')))}"


def verify_jwt(token: str) -> tuple[bool, str | None, dict[str, Any] | None]:
    """(signature valid, issuer did, credential if readable). Never raises on malformed input."""
    try:
        head, body, sig = token.strip().split(".")
        header = json.loads(_unb64url(head))
        did = str(header["kid"]).split("#", 1)[0]
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        return False, None, None
    try:
        credential = json.loads(_unb64url(body))
        credential = credential if isinstance(credential, dict) else None
    except (ValueError, UnicodeDecodeError):
        credential = None
    try:
        if header.get("alg") != "EdDSA":
            return False, did, credential
        public_from_did(did).verify(_unb64url(sig), f"{head}.{body}".encode("ascii"))
        return credential is not None, did, credential
    except (InvalidSignature, ValueError, TypeError):
        return False, did, credential
