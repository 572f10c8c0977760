"""Register numbers (sequential per type and year, gap-free under concurrency) and
verification codes a person can type."""

from __future__ import annotations

import secrets

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from ivc.case.states import DocumentType
from ivc.document.models import RegisterCounter
from ivc.reference import issuers

# No 0/O, 1/I/L: unambiguous when read aloud or typed. 31 symbols ^ 12 = 7.9e17 codes.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12


def new_verification_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(code: str) -> str:
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    raw = raw.replace("0", "O").replace("1", "I")  # tolerate what a person may type
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def next_number(session: Session, doc_type: DocumentType, year: int) -> tuple[int, str]:
    """Take the next sequence number in the caller's transaction. The counter row is locked by
    the UPDATE until commit, so concurrent issuers queue; a rollback gives the number back."""
    stmt = (
        update(RegisterCounter)
        .where(col(RegisterCounter.doc_type) == doc_type.value, col(RegisterCounter.year) == year)
        .values(last=col(RegisterCounter.last) + 1)
        .returning(col(RegisterCounter.last))
    )
    seq = session.execute(stmt).scalar()
    if seq is None:
        dialect = session.get_bind().dialect.name
        make_insert = pg_insert if dialect == "postgresql" else sqlite_insert
        session.execute(
            make_insert(RegisterCounter)
            .values(doc_type=doc_type.value, year=year, last=0)
            .on_conflict_do_nothing()  # another issuer created it first
        )
        seq = session.execute(stmt).scalar_one()
    fmt = issuers()["register"][doc_type.value]
    return int(seq), f"{fmt['prefix']}/{year}/{int(seq):0{int(fmt['digits'])}d}"
