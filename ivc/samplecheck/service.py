"""Draw ALFA's random sample of dossiers and record each check.

The population is every case with a document of the chosen types issued in the period (not
revoked), sorted by case id; the sample is ``ceil(rate x size)`` of them drawn with a seeded
generator, so the same seed and the same population give the same sample, and the seed and the
population are stored with the check for anyone to redraw it.
"""

from __future__ import annotations

import math
import random
import secrets
from datetime import UTC, date, datetime, time

from sqlmodel import Session, col, select

from ivc.audit import service as audit
from ivc.auth.roles import Actor, Role
from ivc.case.models import Case
from ivc.case.states import DocumentType
from ivc.config import get_settings
from ivc.consent import service as consents
from ivc.database.core import utcnow
from ivc.document.models import IssuedDocument
from ivc.errors import NotFound, PermissionDenied, ValidationFailed
from ivc.samplecheck.models import CheckOutcome, SampleCheck, SampleCheckItem

_CHECKERS = frozenset({Role.ALFA_REVIEWER, Role.ADMIN})
DEFAULT_TYPES = (DocumentType.VALIDATION, DocumentType.CERTIFICATE)


def draw(population: list[int], rate: float, seed: int) -> list[int]:
    """The sample (sorted case ids): reproducible from the sorted population, the rate and the seed."""
    ids = sorted(set(population))
    k = min(len(ids), math.ceil(rate * len(ids)))
    return sorted(random.Random(seed).sample(ids, k))


def population(session: Session, start: date, end: date, types: tuple[DocumentType, ...] = DEFAULT_TYPES) -> list[int]:
    lo = datetime.combine(start, time.min, tzinfo=UTC)
    hi = datetime.combine(end, time.min, tzinfo=UTC)
    rows = session.exec(
        select(IssuedDocument.case_id)
        .where(col(IssuedDocument.doc_type).in_([t.value for t in types]))
        .where(IssuedDocument.issued_at >= lo, IssuedDocument.issued_at < hi)
        .where(col(IssuedDocument.revoked_at).is_(None))
    ).all()
    return sorted(set(rows))


def draw_sample(
    session: Session,
    actor: Actor,
    start: date,
    end: date,
    *,
    rate: float | None = None,
    seed: int | None = None,
    types: tuple[DocumentType, ...] = DEFAULT_TYPES,
) -> SampleCheck:
    """Draw and record a sample check of the dossiers issued in [start, end)."""
    if actor.role not in _CHECKERS:
        raise PermissionDenied(f"role {actor.role.value} may not run sample checks")
    if end <= start:
        raise ValidationFailed("the period must end after it starts", field="end")
    rate = get_settings().sample_check_rate if rate is None else rate
    if not 0 < rate <= 1:
        raise ValidationFailed(f"the rate must be in (0, 1], not {rate}", field="rate")
    # 31 bits: the seed fits a signed 32-bit column on every database.
    seed = secrets.randbits(31) if seed is None else seed
    ids = population(session, start, end, types)
    check = SampleCheck(
        period_start=start,
        period_end=end,
        document_types=[t.value for t in types],
        rate=rate,
        seed=seed,
        population_size=len(ids),
        population=ids,
        created_by=actor.username,
        territory="*",
    )
    session.add(check)
    session.flush()
    for case_id in draw(ids, rate, seed):
        session.add(SampleCheckItem(check_id=check.id or 0, case_id=case_id))
    audit.record(
        session,
        actor,
        "samplecheck.drawn",
        entity="samplecheck",
        entity_id=check.id,
        after={"period": [start, end], "rate": rate, "seed": seed, "population": len(ids)},
    )
    session.flush()
    return check


def items(session: Session, check_id: int) -> list[SampleCheckItem]:
    return list(
        session.exec(
            select(SampleCheckItem).where(SampleCheckItem.check_id == check_id).order_by(col(SampleCheckItem.case_id))
        )
    )


def record_outcome(
    session: Session, item_id: int, outcome: CheckOutcome, actor: Actor, notes: str | None = None
) -> SampleCheckItem:
    """The outcome of checking one drawn dossier; checking is a view of the dossier under ALFA's
    public task, so it is logged in the access log too."""
    if actor.role not in _CHECKERS:
        raise PermissionDenied(f"role {actor.role.value} may not run sample checks")
    item = session.get(SampleCheckItem, item_id)
    if item is None:
        raise NotFound(f"no sample check item {item_id}", entity="samplecheckitem", key=item_id)
    if outcome is CheckOutcome.PENDING:
        raise ValidationFailed("record what the check found", field="outcome")
    if outcome is not CheckOutcome.COMPLIANT and not (notes or "").strip():
        raise ValidationFailed("an irregular outcome needs a note saying what was found", field="notes")
    case = session.get(Case, item.case_id)
    assert case is not None
    consents.view(session, actor, case.person_id, f"sample check {item.check_id}", case.id, "validation")
    item.outcome = outcome.value
    item.notes = notes.strip()[:2000] if notes else None
    item.checked_by = actor.username
    item.checked_at = utcnow()
    session.add(item)
    audit.record(
        session,
        actor,
        "samplecheck.checked",
        entity="samplecheckitem",
        entity_id=item.id,
        case_id=item.case_id,
        territory=case.territory,
        after={"outcome": item.outcome},
    )
    session.flush()
    return item
