"""Interoperable shapes of an issued document, built from its payload (``ivc.document/1``):

* the signed twin: the payload itself with a Data Integrity proof (every document);
* an Open Badges 3.0 ``OpenBadgeCredential`` (W3C VCDM 2.0) for the certificate;
* a European Learning Model / Europass EDC credential (EBSI VCDM 2.0 profile, official EDC
  JSON-LD context) for the certificate;
* a W3C VCDM 2.0 credential for the transparency and the validation document.

Every credential carries a ``credentialStatus`` into ivc's Bitstring Status List
(``ivc.document.status``). Identity is kept to the minimum a verifier needs: the name, and in the
Open Badge the person's tax code (or name) only as a salted SHA-256 hash (``identifier``), which a
verifier told the code by the person can recompute; birth data, citizenship and codes stay in the
register and in the person's own copy of the PDF.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

from ivc.config import get_settings
from ivc.document import status
from ivc.document.recognition import DOCUMENT_LEVEL
from ivc.document.wording import texts
from ivc.framework.models import text_in

OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
EDC_SCHEMA = "http://data.europa.eu/snb/model/ap/edc-generic-full"
_VC2 = "https://www.w3.org/ns/credentials/v2"
_OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
EDC_CONTEXT = "http://data.europa.eu/snb/model/context/edc-ap"
VC2_SCHEMA = "https://www.w3.org/2022/credentials/v2/verifiable-credential-schema.json"
# What the listed competences are by each document (D.Lgs 13/2013 art. 3).
DOCUMENT_CREDENTIAL_TYPE = {
    "documento_trasparenza": "IvcTransparencyDocumentCredential",
    "documento_validazione": "IvcValidationDocumentCredential",
    "certificato": "IvcCertificateCredential",
}


def _iso(ts: str) -> str:
    """ISO 8601 in UTC with 'Z', as the credential schemas' date-time format wants."""
    return ts.replace("+00:00", "Z")


def verify_link(payload: dict[str, Any]) -> str:
    return f"{get_settings().verify_url.rstrip('/')}/{payload['verification_code']}"


def identity_hash(payload: dict[str, Any]) -> dict[str, Any]:
    """OB 3.0 ``IdentityObject`` for the holder: ``sha256$hex(identity + salt)``, the identity being
    the tax code (``nationalIdentityNumber``) or, without one, the full name (``name``). The salt is
    derived from the verification code, so it differs per credential and signing stays
    deterministic."""
    holder = payload["holder"]
    code = str(holder.get("codice_fiscale") or "").strip().upper()
    kind, value = ("nationalIdentityNumber", code) if code else ("name", holder_name(payload))
    salt = hashlib.sha256(f"ivc-identity-salt:{payload['verification_code']}".encode()).hexdigest()[:16]
    return {
        "type": "IdentityObject",
        "hashed": True,
        "identityHash": "sha256$" + hashlib.sha256((value + salt).encode("utf-8")).hexdigest(),
        "identityType": kind,
        "salt": salt,
    }


def holder_name(payload: dict[str, Any]) -> str:
    holder = payload["holder"]
    return f"{holder['given_name']} {holder['family_name']}"


def openbadge(payload: dict[str, Any], issuer_did: str) -> dict[str, Any]:
    """OB 3.0 AchievementCredential for a certificate: one achievement per qualification, the
    certified competences as results, ESCO skills as alignments."""
    qual = payload["qualifications"][0]
    alignments = [
        {
            "type": ["Alignment"],
            "targetName": text_in(c["title"], "en"),
            "targetUrl": uri,
            "targetFramework": "ESCO",
            "targetType": "ceasn:Competency",
        }
        for c in payload["competences"]
        for uri in c["esco_skills"]
    ]
    alignments += [
        {
            "type": ["Alignment"],
            "targetName": c["code"],
            "targetUrl": f"urn:ivc:competence:{c['code']}",
            "targetFramework": payload["framework"]["code"] + " " + payload["framework"]["version"],
            "targetCode": c["code"],
            "targetType": "CFItem",
        }
        for c in payload["competences"]
    ]
    return {
        "@context": [_VC2, _OB],
        "id": verify_link(payload),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": text_in(qual["title"], "it"),
        "issuer": {
            "id": issuer_did,
            "type": ["Profile"],
            "name": payload["ente_titolare"]["name"],
            "description": payload["ente_titolato"]["name"],
        },
        "validFrom": _iso(payload["issued_at"]),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [identity_hash(payload)],
            "name": holder_name(payload),
            "achievement": {
                "id": f"urn:ivc:qualification:{payload['framework']['code']}:{qual['code']}",
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": text_in(qual["title"], "it"),
                "description": text_in(qual["description"], "it"),
                "criteria": {"narrative": "; ".join(text_in(c["title"], "it") for c in payload["competences"])},
                "alignment": alignments,
                "humanCode": qual["code"],
                "fieldOfStudy": str(qual.get("sector") or ""),
                "tag": [f"EQF {qual['eqf_level']}", *qual.get("ada", [])],
            },
        },
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
        "credentialStatus": status.entry(payload),
    }


def _concept(uri: str, scheme: str, label: dict[str, str] | None = None) -> dict[str, Any]:
    concept: dict[str, Any] = {"id": uri, "type": "Concept", "inScheme": {"id": scheme, "type": "ConceptScheme"}}
    if label:
        concept["prefLabel"] = label
    return concept


_ITALY = _concept(
    "http://publications.europa.eu/resource/authority/country/ITA",
    "http://publications.europa.eu/resource/authority/country",
    {"it": "Italia", "en": "Italy"},
)
_ITALIAN = _concept(
    "http://publications.europa.eu/resource/authority/language/ITA",
    "http://publications.europa.eu/resource/authority/language",
)


def _organisation(key: str, name: str, code: str, note: str | None = None) -> dict[str, Any]:
    """An ELM ``Organisation`` in Italy (the Region, or ALFA as the body that awards)."""
    org: dict[str, Any] = {
        "id": f"urn:ivc:organisation:{key}",
        "type": "Organisation",
        "legalName": {"it": name},
        "location": [
            {
                "id": f"urn:ivc:location:{key}:{code}",
                "type": "Location",
                "address": [{"id": f"urn:ivc:address:{key}:{code}", "type": "Address", "countryCode": _ITALY}],
            }
        ],
    }
    if note:
        org["additionalNote"] = [{"id": f"urn:ivc:note:{key}:{code}", "type": "Note", "noteLiteral": {"it": note}}]
    return org


def europass_status(payload: dict[str, Any]) -> dict[str, Any]:
    """The EDC's ``credentialStatus``. The EBSI Europass EDC schema (ELM 3.2) admits only ``id`` and
    ``type`` (``CredentialStatus``), so the entry is the status list's URL with the index as fragment
    (``…/status/CE-2026#42``): the same list and bit as the Open Badge's BitstringStatusListEntry."""
    return {"id": status.entry(payload)["id"], "type": "CredentialStatus"}


def europass(payload: dict[str, Any], issuer_did: str) -> dict[str, Any]:
    """European Learning Model 3 / EDC credential (EBSI VCDM 2.0 profile, official EDC context)
    for a certificate: issued by the Region (ente titolare), awarded by ALFA (ente titolato, with
    its act of authorisation), one ``LearningAchievement`` per certificate specified by the
    ``Qualification`` (EQF level, learning outcomes = certified competences) and proven by the
    exam before the commission (``LearningAssessment``)."""
    qual = payload["qualifications"][0]
    holder = payload["holder"]
    code = payload["verification_code"]
    issued = _iso(payload["issued_at"])
    region = {**_organisation("ente-titolare", payload["ente_titolare"]["name"], code), "id": issuer_did}
    act = payload["ente_titolato"]["authorisation_act"]
    awarding = _organisation(
        "ente-titolato", payload["ente_titolato"]["name"], code, f"{act['number']} ({act['date']})"
    )
    awarded_by = {
        "id": f"urn:ivc:awarding:{code}",
        "type": "AwardingProcess",
        "awardingBody": [awarding],
        "awardingDate": issued,
    }
    outcomes = [
        {
            "id": f"urn:ivc:learning-outcome:{c['code']}",
            "type": "LearningOutcome",
            "title": {"it": text_in(c["title"], "it"), "en": text_in(c["title"], "en")},
        }
        for c in payload["competences"]
    ]
    achievement: dict[str, Any] = {
        "id": f"urn:ivc:achievement:{code}",
        "type": "LearningAchievement",
        "title": {"it": text_in(qual["title"], "it"), "en": text_in(qual["title"], "en")},
        "awardedBy": awarded_by,
        "specifiedBy": {
            "id": f"urn:ivc:qualification:{payload['framework']['code']}:{qual['code']}",
            "type": "Qualification",
            "title": {"it": text_in(qual["title"], "it"), "en": text_in(qual["title"], "en")},
            "description": {"it": text_in(qual["description"], "it")},
            "eqfLevel": _concept(
                f"http://data.europa.eu/snb/eqf/{qual['eqf_level']}", "http://data.europa.eu/snb/eqf/25831c2"
            ),
            "learningOutcome": outcomes,
        },
    }
    if payload.get("exam_date"):
        achievement["provenBy"] = [
            {
                "id": f"urn:ivc:assessment:{code}",
                "type": "LearningAssessment",
                "title": {"it": "Esame davanti alla commissione", "en": "Examination before the board"},
                "grade": {
                    "id": f"urn:ivc:grade:{code}",
                    "type": "Note",
                    "noteLiteral": {"it": "superato", "en": "passed"},
                },
                "dateIssued": _iso(str(payload["exam_date"])[:10] + "T00:00:00Z"),
                "awardedBy": awarded_by,
            }
        ]
    return {
        "@context": [_VC2, EDC_CONTEXT],
        "id": f"urn:ivc:credential:{code}",
        "type": ["VerifiableCredential", "VerifiableAttestation", "EuropeanDigitalCredential"],
        "issuer": region,
        "validFrom": issued,
        "issued": issued,
        "credentialProfiles": [
            _concept(
                "http://data.europa.eu/snb/credential/e34929035b",
                "http://data.europa.eu/snb/credential/25831c2",
                {"en": "Generic"},
            )
        ],
        "displayParameter": {
            "id": f"urn:ivc:display:{code}",
            "type": "DisplayParameter",
            "title": {"it": text_in(qual["title"], "it")},
            "language": [_ITALIAN],
            "primaryLanguage": _ITALIAN,
            "individualDisplay": [],
        },
        "credentialSubject": {
            "id": f"urn:ivc:person:{code}",
            "type": "Person",
            "givenName": {"it": holder["given_name"]},
            "familyName": {"it": holder["family_name"]},
            "fullName": {"it": holder_name(payload)},
            "hasClaim": [achievement],
        },
        "credentialSchema": [{"id": EDC_SCHEMA, "type": "ShaclValidator2017"}],
        "credentialStatus": europass_status(payload),
    }


def document_credential(payload: dict[str, Any], issuer_did: str) -> dict[str, Any]:
    """A W3C VCDM 2.0 credential for any document (used for the transparency and validation
    documents, which have no Open Badge or EDC shape): who issued it, the holder (name and hashed
    identifier), the qualification(s) and the competences with what they are by this document
    (identified, validated, certified), and its ``credentialStatus``. Terms outside the VC context
    fall in its issuer-dependent vocabulary."""
    level = DOCUMENT_LEVEL.get(payload["type"])
    return {
        "@context": [_VC2],
        "id": verify_link(payload),
        "type": ["VerifiableCredential", DOCUMENT_CREDENTIAL_TYPE[payload["type"]]],
        "name": texts("it").get(payload["type"], {}).get("title", payload["type"]),
        "description": texts("it").get(payload["type"], {}).get("legal", ""),
        "issuer": {"id": issuer_did, "name": payload["ente_titolare"]["name"]},
        "validFrom": _iso(payload["issued_at"]),
        "credentialSubject": {
            "type": "IvcDocumentSubject",
            "identifier": identity_hash(payload),
            "name": holder_name(payload),
            "documentNumber": payload["number"],
            "issuedBy": payload["ente_titolato"]["name"],
            "repertory": f"{payload['framework'].get('name') or payload['framework']['code']} "
            f"{payload['framework']['version']}",
            "qualification": [
                {"code": q["code"], "title": text_in(q["title"], "it"), "eqfLevel": q["eqf_level"]}
                for q in payload["qualifications"]
            ],
            "competence": [
                {
                    "code": c["code"],
                    "title": text_in(c["title"], "it"),
                    "status": level.value if level is not None else None,
                    "esco": list(c.get("esco_skills") or []),
                }
                for c in payload["competences"]
            ],
        },
        "credentialSchema": [{"id": VC2_SCHEMA, "type": "JsonSchema"}],
        "credentialStatus": status.entry(payload),
    }


@lru_cache(maxsize=4)
def schema(name: str) -> dict[str, Any]:
    path = get_settings().certificates_dir / "schemas" / name
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


_EDC_BASE_REF = (
    "file:///home/me/Documents/IPT/credential-converter/json/ebsi-elm/vcdm2.0-attestation-schema/schema.json"
)


def validate_openbadge(credential: dict[str, Any]) -> list[str]:
    """Errors of an OB 3.0 credential against 1EdTech's published JSON Schema (empty: valid)."""
    from jsonschema import Draft201909Validator

    validator = Draft201909Validator(
        schema("ob_v3p0_achievementcredential.json"), format_checker=Draft201909Validator.FORMAT_CHECKER
    )
    return [f"{e.json_path}: {e.message[:200]}" for e in validator.iter_errors(credential)]


def validate_europass(credential: dict[str, Any]) -> list[str]:
    """Errors of an EDC credential against the EBSI Europass EDC JSON Schema (empty: valid)."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    registry = Registry().with_resource(_EDC_BASE_REF, Resource.from_contents(schema("ebsi_attestation_schema.json")))
    validator = Draft202012Validator(
        schema("ebsi_europass_edc_schema.json"), registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    return [f"{e.json_path}: {e.message[:200]}" for e in validator.iter_errors(credential)]


def validate_vc(credential: dict[str, Any]) -> list[str]:
    """Errors of a credential against the W3C VCDM 2.0 JSON Schema (empty: valid)."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(
        schema("vc_v2_verifiable-credential-schema.json"), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    return [f"{e.json_path}: {e.message[:200]}" for e in validator.iter_errors(credential)]


def validate_twin(document: dict[str, Any]) -> list[str]:
    """Errors of a document twin against ivc's own published schema ``ivc-document-1``."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(
        schema("ivc-document-1.schema.json"), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    return [f"{e.json_path}: {e.message[:200]}" for e in validator.iter_errors(document)]
