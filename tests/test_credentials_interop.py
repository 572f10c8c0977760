"""Credentials as others expect them: the official EDC context and schema, the Open Badge's hashed
identifier, a signed credential for every document, revocation published in a Bitstring Status
List and seen offline, the QR's link accepted — and a verifier written without ivc that accepts
what ivc exports (docs/DOCUMENTS.md, "Verifying without ivc")."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import base58
import pytest
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlmodel import Session

from ivc.case import service as cases
from ivc.case.states import CaseState
from ivc.config import get_settings
from ivc.document import credentials, status
from ivc.document import service as documents
from ivc.document.credentials import verify_link
from ivc.document.models import IssuedDocument
from ivc.document.verify import Verdict, verify_code, verify_offline

from .helpers import advance_to, staff

SCHEMAS = Path(__file__).resolve().parents[1] / "certificates" / "schemas"


@pytest.fixture()
def issued(session: Session) -> dict[str, IssuedDocument]:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.CLOSED)
    session.commit()
    return {d.doc_type: d for d in cases.issued_documents(session, case.id or 0)}


def _terms(context: Any) -> set[str]:
    """Every term a JSON-LD context defines, scoped contexts included."""
    found: set[str] = set()
    if isinstance(context, dict):
        for key, value in context.items():
            found.add(key)
            found |= _terms(value)
    elif isinstance(context, list):
        for item in context:
            found |= _terms(item)
    return found


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_the_europass_export_uses_the_official_edc_context_and_passes_its_schema(
    issued: dict[str, IssuedDocument],
) -> None:
    edc = issued["certificato"].credentials["europass"]
    assert edc["@context"] == ["https://www.w3.org/ns/credentials/v2", "http://data.europa.eu/snb/model/context/edc-ap"]
    assert credentials.validate_europass(edc) == []
    # Every property used is a term of the EDC application profile's context or of VCDM 2.0's.
    edc_terms = _terms(json.loads((SCHEMAS / "edc-ap-context.jsonld").read_text(encoding="utf-8")))
    vc_terms = _terms(json.loads((SCHEMAS / "vc-credentials-v2.jsonld").read_text(encoding="utf-8")))
    language_maps = {"it", "en"}
    # ``issued`` is required by the EBSI Europass EDC schema; neither context defines it (VCDM 1.1 did).
    ebsi_required = {"issued"}
    unknown = _keys(edc) - edc_terms - vc_terms - language_maps - ebsi_required
    assert unknown == set(), unknown
    # ELM structure: issued by the Region, awarded by ALFA with its act, proven by the exam.
    claim = edc["credentialSubject"]["hasClaim"][0]
    assert edc["issuer"]["legalName"] == {"it": "Regione Liguria"}
    body = claim["awardedBy"]["awardingBody"][0]
    assert body["legalName"]["it"].startswith("ALFA") and "522/2018" in body["additionalNote"][0]["noteLiteral"]["it"]
    assert claim["specifiedBy"]["type"] == "Qualification" and claim["specifiedBy"]["learningOutcome"]
    assert claim["provenBy"][0]["type"] == "LearningAssessment"


def test_the_open_badge_identifies_the_person_by_a_hashed_identifier(issued: dict[str, IssuedDocument]) -> None:
    cert = issued["certificato"]
    badge = cert.credentials["openbadge"]
    assert credentials.validate_openbadge(badge) == []
    (identity,) = badge["credentialSubject"]["identifier"]
    assert identity["type"] == "IdentityObject" and identity["hashed"] is True
    # The demo person has no tax code: the identity hashed is the full name.
    assert cert.payload["holder"]["codice_fiscale"] is None and identity["identityType"] == "name"
    expected = hashlib.sha256(("Amina Ben Salah" + identity["salt"]).encode()).hexdigest()
    assert identity["identityHash"] == f"sha256${expected}"
    # With a tax code, that is what is hashed, and it never appears in clear; an employer told the
    # code by the person recomputes the hash.
    payload = {**cert.payload, "holder": {**cert.payload["holder"], "codice_fiscale": "bnsmna86d52z352x"}}
    with_code = credentials.openbadge(payload, badge["issuer"]["id"])
    assert credentials.validate_openbadge(with_code) == []
    (identity,) = with_code["credentialSubject"]["identifier"]
    assert identity["identityType"] == "nationalIdentityNumber" and "BNSMNA86D52Z352X" not in json.dumps(with_code)
    expected = hashlib.sha256(("BNSMNA86D52Z352X" + identity["salt"]).encode()).hexdigest()
    assert identity["identityHash"] == f"sha256${expected}"


def test_every_document_is_a_signed_verifiable_credential_with_a_status(
    session: Session, issued: dict[str, IssuedDocument]
) -> None:
    assert set(issued) == {"documento_trasparenza", "documento_validazione", "certificato"}
    for doc in issued.values():
        vc = doc.credentials["vc"]
        assert credentials.validate_vc({k: v for k, v in vc.items() if k != "proof"}) == [], doc.doc_type
        assert credentials.validate_vc(vc) == [], doc.doc_type
        assert vc["credentialSubject"]["documentNumber"] == doc.number
        assert vc["credentialStatus"]["type"] == "BitstringStatusListEntry"
        assert vc["credentialStatus"]["statusListIndex"] == str(doc.register_seq)
        lists = [status.status_list_credential(session, doc.doc_type, doc.register_year)]
        assert verify_offline(vc, lists).verdict is Verdict.VALID, doc.doc_type
    for doc in issued.values():  # each list is published with the first document it covers
        assert status.published_path(doc.doc_type, doc.register_year).is_file()
    shapes = issued["certificato"].credentials
    assert shapes["openbadge"]["credentialStatus"]["statusListCredential"].endswith(
        "/status/CE-" + shapes["vc"]["validFrom"][:4]
    )
    assert shapes["europass"]["credentialStatus"]["id"] == shapes["openbadge"]["credentialStatus"]["id"]


def test_a_revoked_certificate_fails_offline_given_the_published_status_list(
    session: Session, issued: dict[str, IssuedDocument]
) -> None:
    actors = staff(session)
    cert = session.get(IssuedDocument, issued["certificato"].id)
    assert cert is not None
    before = status.status_list_credential(session, cert.doc_type, cert.register_year)
    for shape in ("openbadge", "vc", "europass_jwt"):  # the EDC is signed as a JWS
        assert verify_offline(cert.credentials[shape], [before]).verdict is Verdict.VALID, shape
    documents.revoke(session, cert, "Errore materiale", actors["alfa"])
    session.commit()
    published = get_settings().data_dir / "status" / f"CE-{cert.register_year}.json"
    after = json.loads(published.read_text(encoding="utf-8"))  # what the web server serves
    assert after["validFrom"] != before["validFrom"]
    for shape in ("openbadge", "vc", "europass_jwt"):  # the EDC is signed as a JWS
        assert verify_offline(cert.credentials[shape], [after]).verdict is Verdict.REVOKED, shape
    # Only this certificate: the transparency document's list is another one, still clean.
    tr = issued["documento_trasparenza"]
    tr_list = status.status_list_credential(session, tr.doc_type, tr.register_year)
    assert verify_offline(tr.credentials["vc"], [tr_list]).verdict is Verdict.VALID
    # A forged list (bit cleared, signature kept) is not believed.
    forged = {**after, "credentialSubject": {**after["credentialSubject"], "encodedList": status.encode(set())}}
    assert verify_offline(cert.credentials["openbadge"], [forged]).verdict is Verdict.UNKNOWN
    # Without the list, the answer is honest: the status cannot be checked.
    assert verify_offline(cert.credentials["openbadge"], []).verdict is Verdict.UNKNOWN


def test_the_qr_link_verifies_like_the_code(session: Session, issued: dict[str, IssuedDocument]) -> None:
    cert = issued["certificato"]
    link = verify_link(cert.payload)
    assert link.startswith("https://") and link.endswith(cert.verification_code)
    for scanned in (link, link + "/", link + "?src=qr", f"  {link}\n"):
        assert verify_code(session, scanned).verdict is Verdict.VALID, scanned
    assert verify_code(session, link.rsplit("/", 1)[0] + "/AAAA-BBBB-CCCC").verdict is Verdict.UNKNOWN


# --- What an employer does without ivc (docs/DOCUMENTS.md): standard packages only, no ivc import.


def employer_verifies(credential: dict[str, Any], status_list: dict[str, Any], trusted_did: str) -> str:
    """eddsa-jcs-2022 proof, then the Bitstring Status List, with cryptography, rfc8785, base58."""

    def proof_ok(document: dict[str, Any]) -> str | None:
        proof = document["proof"][0] if isinstance(document["proof"], list) else document["proof"]
        unsigned = {k: v for k, v in document.items() if k != "proof"}
        config = {k: v for k, v in proof.items() if k != "proofValue"}
        config["@context"] = unsigned["@context"]
        data = hashlib.sha256(rfc8785.dumps(config)).digest() + hashlib.sha256(rfc8785.dumps(unsigned)).digest()
        did = proof["verificationMethod"].split("#")[0]
        key = base58.b58decode(did.removeprefix("did:key:z"))
        assert key[:2] == b"\xed\x01"  # multicodec Ed25519 public key
        Ed25519PublicKey.from_public_bytes(key[2:]).verify(base58.b58decode(proof["proofValue"][1:]), data)
        return str(did)

    if proof_ok(credential) != trusted_did or proof_ok(status_list) != trusted_did:
        return "not from the Region"
    entry = credential["credentialStatus"]
    assert status_list["id"] == entry["statusListCredential"]
    encoded = status_list["credentialSubject"]["encodedList"][1:]  # multibase 'u': base64url
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    index = int(entry["statusListIndex"])
    return "revoked" if bits[index // 8] & (0x80 >> (index % 8)) else "valid"


def employer_verifies_jws(token: str, status_list: dict[str, Any], trusted_did: str) -> str:
    """The Europass EDC as a compact JWS (EdDSA): the same checks with the standard library's base64."""

    def unb64(part: str) -> bytes:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

    head, body, signature = token.split(".")
    header = json.loads(unb64(head))
    did = header["kid"].split("#")[0]
    assert header["alg"] == "EdDSA" and did == trusted_did
    key = base58.b58decode(did.removeprefix("did:key:z"))
    Ed25519PublicKey.from_public_bytes(key[2:]).verify(unb64(signature), f"{head}.{body}".encode())
    credential = json.loads(unb64(body))
    url, index = credential["credentialStatus"]["id"].rsplit("#", 1)  # EDC: <list>#<index>
    assert status_list["id"] == url
    encoded = status_list["credentialSubject"]["encodedList"][1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    i = int(index)
    return "revoked" if bits[i // 8] & (0x80 >> (i % 8)) else "valid"


def test_an_employer_verifies_a_certificate_without_ivc(session: Session, issued: dict[str, IssuedDocument]) -> None:
    cert = session.get(IssuedDocument, issued["certificato"].id)
    assert cert is not None
    did = cert.credentials["openbadge"]["issuer"]["id"]
    badge = json.loads(json.dumps(cert.credentials["openbadge"]))  # as downloaded
    listed = json.loads(json.dumps(status.status_list_credential(session, cert.doc_type, cert.register_year)))
    assert employer_verifies(badge, listed, did) == "valid"
    assert employer_verifies(json.loads(json.dumps(cert.credentials["vc"])), listed, did) == "valid"
    assert employer_verifies_jws(cert.credentials["europass_jwt"], listed, did) == "valid"
    changed = json.loads(json.dumps(badge))
    changed["credentialSubject"]["name"] = "Someone Else"
    with pytest.raises(InvalidSignature):
        employer_verifies(changed, listed, did)
    documents.revoke(session, cert, "Errore materiale", staff(session)["alfa"])
    session.commit()
    listed = json.loads((get_settings().data_dir / "status" / f"CE-{cert.register_year}.json").read_text())
    assert employer_verifies(badge, listed, did) == "revoked"
    assert employer_verifies_jws(cert.credentials["europass_jwt"], listed, did) == "revoked"


def test_the_command_line_verifies_a_qr_link_and_a_credential_offline(
    session: Session, issued: dict[str, IssuedDocument], tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from ivc.cli.main import app

    runner = CliRunner()
    cert = session.get(IssuedDocument, issued["certificato"].id)
    assert cert is not None
    assert runner.invoke(app, ["verify", verify_link(cert.payload)]).exit_code == 0
    badge, listed = tmp_path / "badge.json", tmp_path / "CE.json"
    badge.write_text(json.dumps(cert.credentials["openbadge"]), encoding="utf-8")
    written = runner.invoke(app, ["document", "status-list", "CE", str(cert.register_year), "-o", str(listed)])
    assert written.exit_code == 0, written.output
    ok = runner.invoke(app, ["verify", str(badge), "--status-list", str(listed), "--json"])
    assert ok.exit_code == 0 and json.loads(ok.output)["verdict"] == "valid", ok.output
    documents.revoke(session, cert, "Errore materiale", staff(session)["alfa"])
    session.commit()
    runner.invoke(app, ["document", "status-list", "CE", str(cert.register_year), "-o", str(listed)])
    revoked = runner.invoke(app, ["verify", str(badge), "--status-list", str(listed), "--json"])
    assert revoked.exit_code == 1 and json.loads(revoked.output)["verdict"] == "revoked", revoked.output


# The W3C test vector of eddsa-jcs-2022 (w3c/vc-di-eddsa, TestVectors/eddsa-jcs-2022/signedJCS.json
# and TestVectors/keyPair.json): ivc's canonicalisation (rfc8785) and base58 reproduce it exactly.
W3C_PRIVATE = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
W3C_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
W3C_CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"]
W3C_UNSIGNED = {
    "@context": W3C_CONTEXT,
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
W3C_PROOF = {
    "type": "DataIntegrityProof",
    "cryptosuite": "eddsa-jcs-2022",
    "created": "2023-02-24T23:36:38Z",
    "verificationMethod": f"https://vc.example/issuers/5678#{W3C_PUBLIC}",
    "proofPurpose": "assertionMethod",
    "@context": W3C_CONTEXT,
}
W3C_PROOF_VALUE = "z63t83Y53KfzJ5ZosfKTnqfMcKB2dmTrfjSaQjeNNjAD5srBowQfmWqeRb8rRjmeEuCBEsddF9LsVogtuTsijJKh4"


def test_the_w3c_eddsa_jcs_2022_test_vector_is_reproduced() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ivc.document.signing import _hash_data, b58decode, b58encode, public_from_did

    secret = b58decode(W3C_PRIVATE[1:])
    assert secret[:2] == b"\x80\x26"  # multicodec ed25519-priv
    key = Ed25519PrivateKey.from_private_bytes(secret[2:])
    public = public_from_did(f"did:key:{W3C_PUBLIC}")
    assert key.public_key().public_bytes_raw() == public.public_bytes_raw()
    data = _hash_data(W3C_UNSIGNED, W3C_PROOF)
    assert "z" + b58encode(key.sign(data)) == W3C_PROOF_VALUE
    public.verify(b58decode(W3C_PROOF_VALUE[1:]), data)
