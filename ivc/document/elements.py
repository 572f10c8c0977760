"""Minimum elements of each document (D.I. 30/6/2015 art. 6; D.Lgs 13/2013 art. 6 c.1 a),
checked on the machine-readable payload before anything is issued. Pure domain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ivc.case.states import DocumentType

Payload = dict[str, Any]
Check = tuple[str, Callable[[Payload], bool]]


def _has(*path: str) -> Callable[[Payload], bool]:
    def check(p: Payload) -> bool:
        value: Any = p
        for key in path:
            if not isinstance(value, dict):
                return False
            value = value.get(key)
        return value not in (None, "", [], {})

    return check


def _each_competence(pred: Callable[[dict[str, Any]], bool]) -> Callable[[Payload], bool]:
    return lambda p: bool(p.get("competences")) and all(pred(c) for c in p["competences"])


def _each_qualification(pred: Callable[[dict[str, Any]], bool]) -> Callable[[Payload], bool]:
    return lambda p: bool(p.get("qualifications")) and all(pred(q) for q in p["qualifications"])


_IDENTITY: list[Check] = [
    ("holder.given_name", _has("holder", "given_name")),
    ("holder.family_name", _has("holder", "family_name")),
]
_PUBLIC_DEED: list[Check] = [
    *_IDENTITY,
    ("holder.birth_date", _has("holder", "birth_date")),
    ("holder.birth_place", _has("holder", "birth_place")),
    ("ente_titolare.name", _has("ente_titolare", "name")),
    ("ente_titolato.name", _has("ente_titolato", "name")),
    ("ente_titolato.authorisation_act.number", _has("ente_titolato", "authorisation_act", "number")),
    ("ente_titolato.authorisation_act.date", _has("ente_titolato", "authorisation_act", "date")),
    ("competences", _has("competences")),
    ("competences[].title", _each_competence(lambda c: bool(c.get("title")))),
    ("competences[].repertory", _each_competence(lambda c: bool(c.get("repertory")))),
    ("competences[].qualification", _each_competence(lambda c: bool(c.get("qualification")))),
    ("qualifications[].title", _each_qualification(lambda q: bool(q.get("title")))),
    ("qualifications[].description", _each_qualification(lambda q: bool(q.get("description")))),
    ("qualifications[].eqf_level", _each_qualification(lambda q: bool(q.get("eqf_level")))),
    ("competences[].learned", _each_competence(lambda c: bool(c.get("learned")))),
    ("competences[].assessed", _each_competence(lambda c: bool(c.get("assessed")))),
    ("number", _has("number")),
    ("issued_at", _has("issued_at")),
    ("place", _has("place")),
]

REQUIRED: dict[DocumentType, list[Check]] = {
    DocumentType.TRANSPARENCY: [
        *_IDENTITY,
        ("competences", _has("competences")),
        ("experiences", _has("experiences")),
        ("competences[].learned", _each_competence(lambda c: bool(c.get("learned")))),
        ("number", _has("number")),
        ("issued_at", _has("issued_at")),
    ],
    DocumentType.VALIDATION: [
        *_PUBLIC_DEED,
        ("competences[].ada", _each_competence(lambda c: bool(c.get("ada")))),
    ],
    DocumentType.CERTIFICATE: [
        *_PUBLIC_DEED,
        ("commission", _has("commission")),
        ("exam_date", _has("exam_date")),
    ],
}


def missing_elements(doc_type: DocumentType, payload: Payload) -> list[str]:
    """Names of the required elements the payload lacks; empty when it may be issued."""
    return [name for name, check in REQUIRED[doc_type] if not check(payload)]


# The label (``labels.<key>`` in ``certificates/texts/<lang>.yaml``) under which each element is
# printed on the document; every required element has one (tested on the rendered pages).
LABELS: dict[str, str] = {
    "holder.given_name": "name",
    "holder.family_name": "name",
    "holder.birth_date": "birth",
    "holder.birth_place": "birth",
    "ente_titolare.name": "ente_titolare",
    "ente_titolato.name": "ente_titolato",
    "ente_titolato.authorisation_act.number": "authorisation",
    "ente_titolato.authorisation_act.date": "authorisation",
    "competences": "competences",
    "competences[].title": "competences",
    "competences[].repertory": "repertory",
    "competences[].qualification": "qualification",
    "competences[].learned": "learned",
    "competences[].assessed": "assessed",
    "competences[].ada": "ada",
    "qualifications[].title": "qualification",
    "qualifications[].description": "description",
    "qualifications[].eqf_level": "eqf",
    "experiences": "experiences",
    "number": "number",
    "issued_at": "issued_on",
    "place": "place",
    "commission": "commission",
    "exam_date": "exam_date",
}
