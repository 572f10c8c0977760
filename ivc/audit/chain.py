"""The hash chain over audit events, as plain functions (no database).

Each event's ``hash`` is SHA-256 over a canonical JSON of its fields and the previous event's
hash, so changing, removing, reordering or inserting a row breaks the chain at that position.
Canonical JSON: sorted keys, no spaces, UTF-8, timestamps as UTC ISO 8601 with microseconds and
``Z``. The same functions chain events at commit (``ivc.audit.sealing``), backfill old rows in the
migration, and verify the database or a backup archive.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
CHAIN_VERSION = 1
# Every field of an event that the hash covers (all of them, so none can change unnoticed).
HASHED_FIELDS = (
    "id",
    "seq",
    "at",
    "actor",
    "actor_role",
    "on_behalf_of",
    "action",
    "entity",
    "entity_id",
    "case_id",
    "territory",
    "before",
    "after",
    "prev_hash",
)


def utc_text(value: datetime | str) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:  # SQLite hands back naive UTC when read without the column type
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(fields: Mapping[str, Any]) -> bytes:
    """The bytes that are hashed: only ``HASHED_FIELDS``, in a form every database returns alike."""
    doc: dict[str, Any] = {name: fields.get(name) for name in HASHED_FIELDS}
    doc["at"] = utc_text(doc["at"])
    doc["v"] = CHAIN_VERSION
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def event_hash(fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(fields)).hexdigest()


@dataclass(frozen=True)
class Break:
    """The first place where the chain does not hold."""

    seq: int | None
    event_id: int | None
    kind: str  # edited | deleted | reordered | unchained | forged | head
    detail: str


@dataclass
class ChainReport:
    count: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    breaks: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks

    def summary(self) -> str:
        if self.ok:
            return f"audit chain OK: {self.count} events, head {self.head_seq} {self.head_hash}"
        first = self.breaks[0]
        where = f"sequence {first.seq}" if first.seq is not None else "no sequence"
        return f"audit chain BROKEN at {where} (event id {first.event_id}): {first.kind}: {first.detail}"


def verify_rows(
    rows: Iterable[Mapping[str, Any]],
    head: Mapping[str, Any] | None,
    unchained: Iterable[Mapping[str, Any]] = (),
) -> ChainReport:
    """Walk ``rows`` in sequence order; ``head`` is the stored head row (seq, hash) or None.
    Stops describing after the first break of the walk (later positions follow from it)."""
    report = ChainReport()
    expected_seq = 1
    prev_hash = GENESIS
    prev_id: int | None = None
    for row in rows:
        seq = int(row["seq"])
        if not report.ok:
            break
        if seq != expected_seq:
            missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}–{seq - 1}"
            report.breaks.append(
                Break(seq, row.get("id"), "deleted", f"sequence {missing} missing before this event (row deleted)")
            )
            break
        if row.get("prev_hash") != prev_hash:
            report.breaks.append(
                Break(
                    seq,
                    row.get("id"),
                    "reordered",
                    f"prev_hash does not match the hash of sequence {seq - 1} (event id {prev_id}): "
                    "an event was removed, inserted or moved here",
                )
            )
            break
        if event_hash(row) != row.get("hash"):
            report.breaks.append(
                Break(
                    seq,
                    row.get("id"),
                    "edited",
                    "content does not match its hash (row changed after commit, or written outside ivc)",
                )
            )
            break
        prev_hash = str(row["hash"])
        prev_id = row.get("id")
        report.count += 1
        expected_seq += 1
    report.head_seq = expected_seq - 1
    report.head_hash = prev_hash
    if report.ok:
        for row in unchained:
            report.breaks.append(
                Break(
                    None,
                    row.get("id"),
                    "unchained",
                    f"event {row.get('action')!r} has no chain position (written outside ivc)",
                )
            )
            break
    if not report.ok:
        return report
    if head is None:
        if report.count:
            report.breaks.append(Break(None, None, "head", "the chain head row is missing"))
    elif int(head["seq"]) > report.head_seq:
        report.breaks.append(
            Break(
                report.head_seq + 1,
                None,
                "deleted",
                f"the head records sequence {head['seq']} but the chain ends at {report.head_seq}: "
                "the latest events were removed",
            )
        )
    elif (int(head["seq"]), head["hash"]) != (report.head_seq, report.head_hash):
        report.breaks.append(
            Break(
                int(head["seq"]) + 1 if int(head["seq"]) < report.head_seq else report.head_seq,
                None,
                "forged",
                f"the head records sequence {head['seq']} {head['hash']} but the chain ends at "
                f"{report.head_seq} {report.head_hash}: events were added or changed outside ivc",
            )
        )
    return report
