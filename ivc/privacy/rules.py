"""What an erasure keeps, and why (pure rules, no database).

Documents issued as *atti pubblici* (documento di validazione, certificato: D.I. 30/6/2015 art. 5,
D.Lgs 13/2013 art. 6) must stay traceable and registered (art. 7 c.1 d); the register numbering
must stay gap-free. GDPR art. 17(3)(b) lets that legal obligation prevail over erasure, but only
for what the obligation needs. So each register row stays with the register data and *what was
certified*, and loses every identity datum: the holder keeps their copy, which still verifies
(by its bytes or its signature) as "issued, holder data erased". The full record with identity
was registered with the ente titolare's system (the Region) at issuance; ivc never erases there.
"""

from __future__ import annotations

from typing import Any

from ivc.case.states import DocumentType

PUBLIC_ACTS = frozenset({DocumentType.VALIDATION.value, DocumentType.CERTIFICATE.value})

KEPT_REGISTER_ENTRY = {
    "what": "register entry of each issued document: type, number, issue date and place, issuing bodies "
    "with their authorisation act, verification code, file fingerprint (sha256), revocation",
    "why": "register numbering stays continuous and documents in the holder's hands stay verifiable "
    "(D.Lgs 13/2013 art. 7 c.1 d; GDPR art. 17(3)(b))",
}
KEPT_CERTIFIED_CONTENT = {
    "what": "for validation documents and certificates: the qualifications and competences validated or "
    "certified, the repertory version and the exam date",
    "why": "atti pubblici: what was certified must stay traceable (D.Lgs 13/2013 artt. 6-7; D.I. 30/6/2015 "
    "art. 5); no identity datum is kept with it",
}
KEPT_CASE_SHELL = {
    "what": "an empty case record: state, outcome, ASL district, dates of each phase, target qualifications, "
    "accompanying operator",
    "why": "issued documents point at it and programme monitoring counts cases and times per phase "
    "(Reg. (EU) 2021/1147 art. 44); it holds no personal data once the person row is emptied",
}
KEPT_PERSON_SHELL = {
    "what": "an empty person record (its number and the erasure date only)",
    "why": "audit events and case records refer to it by number",
}
KEPT_AUDIT = {
    "what": "audit events about the person and their cases (who did what and when)",
    "why": "accountability of the controller (GDPR art. 5(2)); erasure itself is an audit event",
}


def register_minimum(doc_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload an issued document keeps after its holder's data is erased."""
    kept: dict[str, Any] = {
        "erased": True,
        "schema": payload.get("schema"),
        "type": payload.get("type", doc_type),
        "number": payload.get("number"),
        "issued_at": payload.get("issued_at"),
        "place": payload.get("place"),
        "verification_code": payload.get("verification_code"),
        "ente_titolare": payload.get("ente_titolare"),
        "ente_titolato": payload.get("ente_titolato"),
    }
    if doc_type in PUBLIC_ACTS:
        kept["framework"] = payload.get("framework")
        kept["qualifications"] = [
            {k: q.get(k) for k in ("code", "title", "eqf_level", "sector", "ada", "cp_istat", "ateco")}
            for q in payload.get("qualifications", [])
        ]
        kept["competences"] = [
            {k: c.get(k) for k in ("code", "title", "qualification", "ada", "status")}
            for c in payload.get("competences", [])
        ]
        if payload.get("exam_date"):
            kept["exam_date"] = payload["exam_date"]
    return kept
