"""Interoperable shapes of an issued document, built from its payload (``ivc.document/1``):

* the signed twin: the payload itself with a Data Integrity proof (every document);
* an Open Badges 3.0 ``OpenBadgeCredential`` (W3C VCDM 2.0) for the certificate;
* a European Learning Model / Europass EDC credential (EBSI VCDM 2.0 profile) for the certificate.

Identity is kept to the minimum a verifier needs (name); birth data, citizenship and codes stay
in the register and in the person's own copy of the PDF.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from ivc.config import get_settings
from ivc.framework.models import text_in

OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
EDC_SCHEMA = "http://data.europa.eu/snb/model/ap/edc-generic-full"
_VC2 = "https://www.w3.org/ns/credentials/v2"
_OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


def _iso(ts: str) -> str:
    """ISO 8601 in UTC with 'Z', as the credential schemas' date-time format wants."""
    return ts.replace("+00:00", "Z")


def verify_link(payload: dict[str, Any]) -> str:
    return f"{get_settings().verify_url.rstrip('/')}/{payload['verification_code']}"


def openbadge(payload: dict[str, Any], issuer_did: str) -> dict[str, Any]:
    """OB 3.0 AchievementCredential for a certificate: one achievement per qualification, the
    certified competences as results, ESCO skills as alignments."""
    qual = payload["qualifications"][0]
    holder = payload["holder"]
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
            "name": f"{holder['given_name']} {holder['family_name']}",
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
    }


def europass(payload: dict[str, Any], issuer_did: str) -> dict[str, Any]:
    """European Learning Model 3 / EDC credential (EBSI VCDM 2.0 profile) for a certificate."""
    qual = payload["qualifications"][0]
    holder = payload["holder"]
    code = payload["verification_code"]
    issuer = {
        "id": issuer_did,
        "type": "Organisation",
        "legalName": {"it": payload["ente_titolare"]["name"]},
        "location": [
            {
                "id": f"urn:ivc:location:{code}",
                "type": "Location",
                "address": [
                    {
                        "id": f"urn:ivc:address:{code}",
                        "type": "Address",
                        "countryCode": {
                            "id": "http://publications.europa.eu/resource/authority/country/ITA",
                            "type": "Concept",
                            "inScheme": {
                                "id": "http://publications.europa.eu/resource/authority/country",
                                "type": "ConceptScheme",
                            },
                        },
                    }
                ],
            }
        ],
    }
    outcomes = [
        {
            "id": f"urn:ivc:learning-outcome:{c['code']}",
            "type": "LearningOutcome",
            "title": {"it": text_in(c["title"], "it"), "en": text_in(c["title"], "en")},
        }
        for c in payload["competences"]
    ]
    return {
        "@context": [_VC2, "https://www.w3.org/ns/credentials/examples/v2"],
        "id": f"urn:ivc:credential:{code}",
        "type": ["VerifiableCredential", "VerifiableAttestation", "EuropeanDigitalCredential"],
        "issuer": issuer,
        "validFrom": _iso(payload["issued_at"]),
        "issued": _iso(payload["issued_at"]),
        "credentialProfiles": [
            {
                "id": "http://data.europa.eu/snb/credential/e34929035b",
                "type": "Concept",
                "inScheme": {"id": "http://data.europa.eu/snb/credential/25831c2", "type": "ConceptScheme"},
                "prefLabel": {"en": "Generic"},
            }
        ],
        "displayParameter": {
            "id": f"urn:ivc:display:{code}",
            "type": "DisplayParameter",
            "title": {"it": text_in(qual["title"], "it")},
            "language": [
                {
                    "id": "http://publications.europa.eu/resource/authority/language/ITA",
                    "type": "Concept",
                    "inScheme": {
                        "id": "http://publications.europa.eu/resource/authority/language",
                        "type": "ConceptScheme",
                    },
                }
            ],
            "primaryLanguage": {
                "id": "http://publications.europa.eu/resource/authority/language/ITA",
                "type": "Concept",
                "inScheme": {
                    "id": "http://publications.europa.eu/resource/authority/language",
                    "type": "ConceptScheme",
                },
            },
            "individualDisplay": [],
        },
        "credentialSubject": {
            "id": f"urn:ivc:person:{code}",
            "type": "Person",
            "givenName": {"it": holder["given_name"]},
            "familyName": {"it": holder["family_name"]},
            "fullName": {"it": f"{holder['given_name']} {holder['family_name']}"},
            "hasClaim": [
                {
                    "id": f"urn:ivc:achievement:{code}",
                    "type": "LearningAchievement",
                    "title": {"it": text_in(qual["title"], "it"), "en": text_in(qual["title"], "en")},
                    "awardedBy": {
                        "id": f"urn:ivc:awarding:{code}",
                        "type": "AwardingProcess",
                        "awardingBody": [issuer],
                        "awardingDate": _iso(payload["issued_at"]),
                    },
                    "specifiedBy": {
                        "id": f"urn:ivc:qualification:{payload['framework']['code']}:{qual['code']}",
                        "type": "Qualification",
                        "title": {"it": text_in(qual["title"], "it"), "en": text_in(qual["title"], "en")},
                        "description": {"it": text_in(qual["description"], "it")},
                        "eqfLevel": {
                            "id": f"http://data.europa.eu/snb/eqf/{qual['eqf_level']}",
                            "type": "Concept",
                            "inScheme": {"id": "http://data.europa.eu/snb/eqf/25831c2", "type": "ConceptScheme"},
                        },
                        "learningOutcome": outcomes,
                    },
                }
            ],
        },
        "credentialSchema": [{"id": EDC_SCHEMA, "type": "ShaclValidator2017"}],
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


def validate_twin(document: dict[str, Any]) -> list[str]:
    """Errors of a document twin against ivc's own published schema ``ivc-document-1``."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(
        schema("ivc-document-1.schema.json"), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    return [f"{e.json_path}: {e.message[:200]}" for e in validator.iter_errors(document)]
