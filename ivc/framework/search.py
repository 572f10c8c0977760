"""Search every loaded framework by code or by words in any language, accent- and
case-insensitive (the folded labels make it the same on SQLite and PostgreSQL).

Candidates are matched and pre-ranked in SQL (exact, prefix, word-prefix, contains; preferred
labels first; shorter first), so Python only sees a few hundred rows: fast enough for type-ahead
over a full ESCO import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, or_
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from ivc.errors import ValidationFailed
from ivc.framework.models import Framework, FrameworkLabel
from ivc.text import STOP_WORDS, forbidden_char, words

_CODE = re.compile(r"^(http://data\.europa\.eu/esco/\S+|[A-Za-z]{2,}-[A-Za-z0-9-]+)$")
_CANDIDATES = 400


@dataclass(frozen=True)
class SearchHit:
    framework: str  # e.g. "RL 2024.1", "ESCO v1.1.1"
    framework_code: str
    entity: str  # qualification | competence | skill | occupation
    key: str  # code, or ESCO URI
    label: str  # preferred label in the asked language (else it, en, any)
    matched: str  # the label that matched
    lang: str
    score: float


def search(
    session: Session,
    text: str,
    *,
    lang: str | None = None,
    framework: str | None = None,
    entity: str | None = None,
    limit: int = 20,
) -> list[SearchHit]:
    # Characters no label holds (NUL, lone surrogates, controls) are dropped: a pasted query may
    # carry them, and neither driver can send them.
    text = "".join(ch for ch in text if forbidden_char(ch) is None).strip()[:200]
    if lang is not None and (forbidden_char(lang) is not None or len(lang) > 12):
        raise ValidationFailed(f"not a language code: {lang[:20]!r}", field="lang")
    if not text:
        return []
    frameworks: dict[Any, Framework] = {fw.id: fw for fw in session.exec(select(Framework)).all()}
    label = FrameworkLabel
    cols = (
        col(label.framework_id),
        col(label.entity),
        col(label.entity_key),
        col(label.lang),
        col(label.kind),
        col(label.text),
        col(label.folded),
    )
    qwords = words(text)
    if _CODE.match(text):
        key = text.upper() if not text.startswith("http") else text
        where = [or_(col(label.entity_key) == key, col(label.entity_key).startswith(key, autoescape=True))]
        rank: ColumnElement[Any] = case((col(label.entity_key) == key, literal(1000)), else_=literal(500))
    else:
        meaningful = [w for w in qwords if w not in STOP_WORDS] or qwords
        if not meaningful:
            return []
        query = " ".join(qwords)
        where = [col(label.folded).contains(w, autoescape=True) for w in meaningful[:6]]
        first = meaningful[0]
        rank = (
            case((col(label.folded) == query, literal(100)), else_=literal(0))
            + case((col(label.folded).startswith(query, autoescape=True), literal(40)), else_=literal(0))
            + case((col(label.folded).startswith(first, autoescape=True), literal(20)), else_=literal(0))
            + case((col(label.folded).contains(" " + first, autoescape=True), literal(15)), else_=literal(0))
        )
    rank = rank + case(
        (col(label.kind) == "preferred", literal(8)), (col(label.kind) == "alt", literal(4)), else_=literal(0)
    )
    if lang:
        rank = rank + case((col(label.lang) == lang, literal(5)), else_=literal(0))
    stmt = sql_select(*cols, rank.label("rank")).where(*where)
    if framework:
        ids = [i for i, fw in frameworks.items() if fw.code == framework.upper()]
        stmt = stmt.where(col(label.framework_id).in_(ids))
    if entity:
        stmt = stmt.where(col(label.entity) == entity)
    stmt = stmt.order_by(rank.desc(), func.length(col(label.folded)), col(label.entity_key)).limit(_CANDIDATES)
    best: dict[tuple[str, str, str], tuple[float, Any]] = {}
    for row in session.execute(stmt).all():
        fw = frameworks[row[0]]
        score = float(row[7]) - min(len(row[6]), 200) / 100.0
        key3 = (fw.code, row[1], row[2])
        previous = best.get(key3)
        # Among versions of one framework keep the best label, and the newest full version.
        if previous is None or score > previous[0] or (score == previous[0] and _newer(fw, frameworks[previous[1][0]])):
            best[key3] = (score, tuple(row))
    ranked = sorted(best.values(), key=lambda item: (-item[0], str(item[1][2])))[:limit]
    names = display_labels(session, [(int(r[0]), str(r[2])) for _, r in ranked], lang)
    return [
        SearchHit(
            framework=f"{frameworks[r[0]].code} {frameworks[r[0]].version}",
            framework_code=frameworks[r[0]].code,
            entity=str(r[1]),
            key=str(r[2]),
            label=names.get((int(r[0]), str(r[2])), str(r[5])),
            matched=str(r[5]),
            lang=str(r[3]),
            score=round(score, 2),
        )
        for score, r in ranked
    ]


def _newer(a: Framework, b: Framework) -> bool:
    return ("slice" not in a.version, a.imported_at) > ("slice" not in b.version, b.imported_at)


def display_labels(session: Session, keys: list[tuple[int, str]], lang: str | None) -> dict[tuple[int, str], str]:
    """Preferred label of each (framework id, key) in ``lang``, else Italian, else English, else any."""
    if not keys:
        return {}
    rows = session.exec(
        select(FrameworkLabel.framework_id, FrameworkLabel.entity_key, FrameworkLabel.lang, FrameworkLabel.text).where(
            col(FrameworkLabel.entity_key).in_({k for _, k in keys}), FrameworkLabel.kind == "preferred"
        )
    ).all()
    found: dict[tuple[int, str], dict[str, str]] = {}
    for fw_id, key, row_lang, text in rows:
        found.setdefault((fw_id, key), {})[row_lang] = text
    out = {}
    for k in keys:
        by_lang = found.get(k, {})
        for choice in (lang, "it", "en"):
            if choice and choice in by_lang:
                out[k] = by_lang[choice]
                break
        else:
            if by_lang:
                out[k] = next(iter(by_lang.values()))
    return out
