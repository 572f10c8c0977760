"""What a competence is recognised as, for everyone but the ALFA reviewer deciding it: only what an
issued document in force (issued and not revoked) carries.

* a certificate carrying the competence → ``certified``;
* a validation document carrying it → ``validated``;
* a transparency document carrying it → ``identified`` (messa in trasparenza), never more.

The highest level wins. Decisions and claim statuses are ALFA's working state: a competence ALFA
decided "validata" is not validated for a CPI advisor, an employer, a verifier or the monitoring
partner until the validation document carrying it is issued, and stops being so when that
document is revoked. Every reader outside the review (matching, the CPI dossier, verification,
exports, monitoring) asks this module.

The competences a document carries are those of its stored payload (``ivc.document/1``: the
framework's code and version, each competence's code), resolved to competence ids in a few
queries for any number of cases.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy.sql import Select
from sqlmodel import Session, col, select

from ivc.case.states import DocumentType
from ivc.document.models import IssuedDocument
from ivc.framework.models import Competence, Framework

# Cases per query (SQLite binds at most 32,766 parameters; PostgreSQL 65,535).
CHUNK = 5000


class Level(StrEnum):
    """How far a competence was recognised, by the documents in force."""

    IDENTIFIED = "identified"  # identificata / messa in trasparenza
    VALIDATED = "validated"
    CERTIFIED = "certified"


RANK = {Level.IDENTIFIED: 1, Level.VALIDATED: 2, Level.CERTIFIED: 3}

# What a document of each type makes of the competences it carries.
DOCUMENT_LEVEL: dict[str, Level] = {
    DocumentType.TRANSPARENCY.value: Level.IDENTIFIED,
    DocumentType.VALIDATION.value: Level.VALIDATED,
    DocumentType.CERTIFICATE.value: Level.CERTIFIED,
}


def level_of(doc_type: str) -> Level:
    """What the competences listed by a document of this type are (identified, validated or
    certified): the heading a page gives the list."""
    try:
        return DOCUMENT_LEVEL[doc_type]
    except KeyError:
        raise ValueError(f"unknown document type {doc_type!r}") from None


@dataclass(frozen=True)
class Recognition:
    """A competence's level, and the document in force that gives it."""

    level: Level
    document_id: int
    document_number: str
    doc_type: str
    issued_at: datetime

    @property
    def rank(self) -> int:
        return RANK[self.level]


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _codes(competences: Any) -> list[str]:
    """The competence codes a payload lists (tolerant of payloads reduced by erasure)."""
    if not isinstance(competences, list):
        return []
    return [str(c["code"]) for c in competences if isinstance(c, dict) and c.get("code")]


def _framework_key(framework: Any) -> tuple[str, str] | None:
    if not isinstance(framework, dict) or not framework.get("code"):
        return None
    return str(framework["code"]), str(framework.get("version", ""))


def recognition(session: Session, case_ids: Iterable[int] | Select[Any]) -> dict[int, dict[int, Recognition]]:
    """For each case, competence id → its recognition by the documents in force (cases and
    competences without any are absent). Three queries whatever the number of cases (plus one per
    5,000 cases): the documents in force with only the framework and competences of their
    payloads, the frameworks they name, the competences they list."""
    groups: list[Any]
    if isinstance(case_ids, Select):  # a subquery of case ids: filtered in the database
        groups = [case_ids]
    else:
        ids = sorted({int(i) for i in case_ids if 0 < int(i) < 2**63})
        if not ids:
            return {}
        groups = list(_chunks(ids))
    payload = col(IssuedDocument.payload)
    docs: list[tuple[int, int, str, str, datetime, Any, Any]] = []
    for chunk in groups:
        docs.extend(
            session.execute(  # seven columns: past sqlmodel's typed select overloads
                sa_select(
                    col(IssuedDocument.id),
                    col(IssuedDocument.case_id),
                    col(IssuedDocument.doc_type),
                    col(IssuedDocument.number),
                    col(IssuedDocument.issued_at),
                    payload["framework"],
                    payload["competences"],
                ).where(
                    col(IssuedDocument.case_id).in_(chunk),
                    col(IssuedDocument.revoked_at).is_(None),
                    col(IssuedDocument.doc_type).in_(list(DOCUMENT_LEVEL)),
                )
            ).all()
        )
    if not docs:
        return {}
    wanted_frameworks = {k for d in docs if (k := _framework_key(d[5])) is not None}
    framework_ids: dict[tuple[str, str], int] = {
        (code, version): fid
        for fid, code, version in session.exec(
            select(Framework.id, Framework.code, Framework.version).where(
                col(Framework.code).in_(sorted({c for c, _ in wanted_frameworks}))
            )
        ).all()
        if fid is not None and (code, version) in wanted_frameworks
    }
    codes = sorted({code for d in docs for code in _codes(d[6])})
    competence_ids: dict[tuple[int, str], int] = {}
    for start in range(0, len(codes), CHUNK):
        for comp_id, comp_framework, code in session.exec(
            select(Competence.id, Competence.framework_id, Competence.code).where(
                col(Competence.code).in_(codes[start : start + CHUNK]),
                col(Competence.framework_id).in_(sorted(set(framework_ids.values()))),
            )
        ).all():
            if comp_id is not None:
                competence_ids[(comp_framework, code)] = comp_id
    out: dict[int, dict[int, Recognition]] = defaultdict(dict)
    for doc_id, case_id, doc_type, number, issued_at, framework, competences in docs:
        key = _framework_key(framework)
        fid = framework_ids.get(key) if key is not None else None
        if fid is None or doc_id is None:
            continue
        found = Recognition(DOCUMENT_LEVEL[doc_type], doc_id, number, doc_type, issued_at)
        held = out[case_id]
        for code in _codes(competences):
            cid = competence_ids.get((fid, code))
            if cid is None:
                continue
            current = held.get(cid)
            # The highest level wins; between documents of one level, the latest issued.
            if current is None or (found.rank, found.issued_at) > (current.rank, current.issued_at):
                held[cid] = found
    return {case_id: held for case_id, held in out.items() if held}


def recognition_for_case(session: Session, case_id: int) -> dict[int, Recognition]:
    """One case's recognised competences (competence id → recognition)."""
    return recognition(session, [case_id]).get(case_id, {})
