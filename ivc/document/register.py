"""Register numbers (sequential per type and year, gap-free under concurrency) and
verification codes a person can type.

Issuing takes a number optimistically: it reads the next free number without a lock, prepares
the document with it (signatures, PDF), then claims it with a conditional UPDATE that succeeds
only if nobody took it meanwhile. The counter row stays locked only from that claim to the
commit, not while a PDF is rendered, so concurrent issuers do not queue behind each other's
rendering. An issuer whose claim is lost looks again and prepares again, still without the lock;
only after a few lost claims does it take the next number with ``next_number`` (lock first).
"""

from __future__ import annotations

import secrets

from sqlalchemy import select, update
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


def register_number(doc_type: DocumentType, year: int, seq: int) -> str:
    fmt = issuers()["register"][doc_type.value]
    return f"{fmt['prefix']}/{year}/{int(seq):0{int(fmt['digits'])}d}"


def peek_next(session: Session, doc_type: DocumentType, year: int) -> int:
    """The number the next issue would get if nobody else issues first (no lock taken)."""
    last = session.execute(
        select(col(RegisterCounter.last)).where(
            col(RegisterCounter.doc_type) == doc_type.value, col(RegisterCounter.year) == year
        )
    ).scalar()
    return int(last or 0) + 1


def claim(session: Session, doc_type: DocumentType, year: int, seq: int) -> bool:
    """Take ``seq`` if it is still the next number; the counter row is locked from here to the
    commit (a rollback gives the number back). False if another issuer took it first."""
    # RETURNING, not rowcount: drivers do not all report rowcount for these statements.
    moved = session.execute(
        update(RegisterCounter)
        .where(
            col(RegisterCounter.doc_type) == doc_type.value,
            col(RegisterCounter.year) == year,
            col(RegisterCounter.last) == seq - 1,
        )
        .values(last=seq)
        .returning(col(RegisterCounter.last))
    ).scalar()
    if moved is not None:
        return True
    if seq != 1:
        return False
    dialect = session.get_bind().dialect.name
    make_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    created = session.execute(
        make_insert(RegisterCounter)
        .values(doc_type=doc_type.value, year=year, last=1)
        .on_conflict_do_nothing()
        .returning(col(RegisterCounter.last))
    ).scalar()
    return created is not None


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
    return int(seq), register_number(doc_type, year, int(seq))
